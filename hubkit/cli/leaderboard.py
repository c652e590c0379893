"""``hubkit leaderboard build``: a reproducible leaderboard of hub models on one dataset split."""

from __future__ import annotations

from pathlib import Path

import click

from hubkit.cli._output_option import output_dir_option
from hubkit.cli._errors import user_errors


@click.group()
def cli() -> None:
    """Leaderboards with 95% intervals, tie groups and verified results, published as static Spaces."""


@cli.command()
@click.argument("dataset")
@click.option("--config", help="Dataset config (default: the one the models report).")
@click.option("--split", help="Split (default: the one the models report; validation or test first).")
@click.option("--models", help="Comma-separated model repo ids (or, with --evaluate, local folders).")
@click.option("--search", help="Only models whose repo id contains this text.")
@output_dir_option("output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder: leaderboard.json, leaderboard.csv, README.md, index.html, evaluations/.")
@click.option("--evaluate", is_flag=True, help="Score the --models here with hubkit eval instead of reading claims.")
@click.option("--verify", is_flag=True, help="Re-run every claim with hubkit eval and mark it reproduced or not.")
@click.option("--tolerance", type=float, default=None,
              help="Largest |re-run - claim| that still reproduces (default 5e-5: claims are rounded to 4 decimals).")
@click.option("--data-dir", help="Folder with the dataset's original files (hubkit builders), for re-runs.")
@click.option("--dataset-revision", help="Revision of a hub dataset repo, for --evaluate.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--max-samples", type=click.IntRange(min=1), help="With --evaluate: score only the first N examples.")
@click.option("--bootstrap-resamples", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Resamples of the paired tests (and of --evaluate's intervals).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the paired tests.")
@click.option("--max-models", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Most models to list from the hub when neither --models nor --search narrows it.")
@click.option("--title", help="Page title (default: '<dataset> <split> leaderboard').")
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--push-to", help="Publish the folder as this static Space (shown at /spaces/NS/NAME); a bare NAME "
                                "means the token's user.")
def build(dataset, config, split, models, search, output, evaluate, verify, tolerance, data_dir, dataset_revision,
          batch_size, max_samples, bootstrap_resamples, seed, max_models, title, overwrite, push_to) -> None:
    """Rank the models that report DATASET (or --evaluate listed ones) and write the leaderboard.

    \b
    hubkit leaderboard build sst2 --search sst2 --output-dir lb --verify --data-dir SST-2
    hubkit leaderboard build sst2 --models alice/a,alice/b --evaluate --data-dir SST-2 --output-dir lb \\
        --push-to alice/sst2-leaderboard
    """
    with user_errors():
        from hubkit.hub_client import connect
        from hubkit.leaderboard.build import DEFAULT_TOLERANCE, BuildRequest
        from hubkit.leaderboard.build import build as run_build
        from hubkit.leaderboard.measure import EvalSettings

        names = [m.strip() for m in models.split(",") if m.strip()] if models else None
        if models is not None and not names:
            raise click.BadParameter("give at least one model id", param_hint="--models")
        if tolerance is not None and not (verify or evaluate):
            raise click.UsageError("--tolerance only applies with --verify or --evaluate")
        api = connect().api()
        if push_to:
            from hubkit.repo_ids import full_repo_id

            given, push_to = push_to, full_repo_id(push_to, api)
            if push_to != given:  # say which namespace a bare name went to
                click.echo(f"using repo {push_to} (the token's user)")
        settings = EvalSettings(data_dir=data_dir, dataset_revision=dataset_revision, batch_size=batch_size,
                                n_resamples=bootstrap_resamples, max_samples=max_samples)
        request = BuildRequest(dataset=dataset, output=output, config=config, split=split, models=names,
                               search=search, evaluate=evaluate, verify=verify, push_to=push_to, settings=settings,
                               tolerance=DEFAULT_TOLERANCE if tolerance is None else tolerance,
                               n_resamples=bootstrap_resamples, seed=seed, max_models=max_models,
                               overwrite=overwrite, title=title)
        built = run_build(request, api)
        for line in summary_lines(built.doc):
            click.echo(line)
        click.echo(f"wrote {output}")
        if built.commit_url:
            click.echo(built.commit_url)
            click.echo(f"page: {built.page_url}")


def summary_lines(doc: dict) -> list[str]:
    """The ranking as a few terminal lines."""
    metric = doc["metric"]["name"]
    lines = [f"{doc['title']}: {metric}, ties by {doc['method']['ties']['method']}"]
    for e in doc["entries"]:
        ci = f"[{e['ci'][0]:.4f}, {e['ci'][1]:.4f}]" if e["ci"] else "no interval"
        lines.append(f"{e['rank']:>3}. group {e['group']}  {e['model']['id']:<40} {e['score']:.4f}  {ci}  {e['status']}")
    for s in doc["skipped"]:
        lines.append(f"  not ranked: {s['model']}: {s['reason']}")
    return lines
