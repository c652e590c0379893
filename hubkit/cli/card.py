"""``hubkit card``: build, validate, merge and push model cards."""

from __future__ import annotations

from pathlib import Path

import click

from hubkit.cli._errors import user_errors


@click.group()
def cli() -> None:
    """Cards rendered from hubkit output folders, validated offline, merged on regeneration."""


@cli.command("model")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--push-to", help="Model repo to push the card to (a pull request if you do not own it); a bare "
                                "NAME means the token's user.")
@click.option("--data-dir", help="The training data's original files, for label and length statistics.")
@click.option("--pr", is_flag=True, help="Open a pull request even if you own the repo.")
def model(folder, push_to, data_dir, pr) -> None:
    """Write FOLDER/README.md (plus plots/ and .eval_results/) from a train or eval output folder.

    Hand edits outside hubkit's <!-- hubkit:begin/end --> markers and YAML keys hubkit does not
    own are kept. The card is validated offline; nothing is pushed if it is invalid.

    \b
    Example:
      hubkit card model runs/sst2 --push-to alice/minilm-sst2
    """
    with user_errors():
        if push_to:
            from hubkit.cards.push import push_model_card
            from hubkit.hub_client import connect
            from hubkit.repo_ids import full_repo_id

            api = connect().api()
            given, push_to = push_to, full_repo_id(push_to, api)
            if push_to != given:  # say which namespace a bare name went to
                click.echo(f"using repo {push_to} (the token's user)")
            click.echo(push_model_card(folder, push_to, api, data_dir=data_dir, create_pr=pr or None))
            return
        from hubkit.cards.model_card import write_model_card

        build = write_model_card(folder, data_dir=data_dir)
        click.echo(f"wrote {folder / 'README.md'} and {len(build.files)} file(s): {', '.join(sorted(build.files))}")


@cli.command("validate")
@click.argument("readme", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--repo-type", type=click.Choice(["model", "dataset"]), default="model", show_default=True)
def validate(readme, repo_type) -> None:
    """Check a card's metadata offline; the error names the offending key.

    \b
    Example:
      hubkit card validate runs/sst2/README.md
    """
    with user_errors():
        from hubkit.repocard.validate import validate_card

        validate_card(readme.read_text(encoding="utf-8"), repo_type)
        click.echo(f"{readme}: valid {repo_type} card metadata")
