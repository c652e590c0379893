"""``hubkit datasets``: list, prepare, validate, card, push and scaffold dataset builders.

Each command parses its flags and calls the plain functions in :mod:`hubkit.datasets`; a
:class:`~hubkit.datasets.errors.DatasetError` becomes one line on stderr and exit status 1. Heavy
libraries are imported inside the commands: ``push`` must choose the hub endpoint first.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from hubkit.cli._output_option import output_dir_option


SCRIPTS_HELP = ("Another folder of builders (<DIR>/<NAME>/<NAME>.py), searched besides the built-in ones, "
                "./dataset_scripts and the folders in HUBKIT_DATASET_SCRIPTS.")


def _reporting_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a user's mistake (a dataset error, a bad path, a bad repo id) into one line and exit 1,
    through the mechanism every hubkit command shares (:func:`hubkit.cli._errors.user_errors`)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from hubkit.cli._errors import user_errors

        with user_errors():
            return command(*args, **kwargs)

    return wrapper


def _with_scripts_dirs(command: Callable[..., Any]) -> Callable[..., Any]:
    """Make the command's ``--scripts-dir`` folders visible to the registry while it runs."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from hubkit.datasets.registry import extra_scripts_dirs

        with extra_scripts_dirs(kwargs.pop("scripts_dirs")):
            return command(*args, **kwargs)

    return wrapper


CSV_OPTIONS = ("validation_fraction", "license", "pretty_name", "homepage")


def _dataset_arguments(command: Callable[..., Any]) -> Callable[..., Any]:
    """NAME plus the options that choose which data a builder reads (and, for csv, its card facts)."""
    options = [
        click.argument("name"),
        click.option("--config", "config", default=None, help="Builder config (e.g. es or nl for conll2002)."),
        click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                     help="Folder with the original files, unpacked; without it the builder downloads them. "
                          "csv builder: a folder with train.csv (and validation/test), or one .csv/.tsv/.jsonl."),
        click.option("--text-column", "text_columns", multiple=True,
                     help="csv builder: the text column (give it twice for sentence pairs)."),
        click.option("--label-column", default=None, help="csv builder: the label column."),
        click.option("--validation-fraction", type=float, default=None,
                     help="csv builder: hold out this fraction of train as the validation split (seeded)."),
        click.option("--license", default=None, help="csv builder: the data's licence id for the card (e.g. cc-by-4.0)."),
        click.option("--pretty-name", default=None, help="csv builder: the dataset's name on its card."),
        click.option("--homepage", default=None, help="csv builder: where the data comes from, for the card."),
        click.option("--scripts-dir", "scripts_dirs", type=click.Path(path_type=Path), multiple=True,
                     help=SCRIPTS_HELP),
    ]
    wrapped = _collect_build_options(command)
    wrapped = _with_scripts_dirs(wrapped)
    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped


def _collect_build_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Gather the builder options into one ``options`` dict, leaving out those not given: a builder
    refuses options it does not take, so an unused flag must not reach it."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options: dict[str, Any] = {}
        text_columns = kwargs.pop("text_columns")
        if text_columns:
            options["text_columns"] = tuple(text_columns)
        label_column = kwargs.pop("label_column")
        if label_column:
            options["label_column"] = label_column
        for key in CSV_OPTIONS:
            value = kwargs.pop(key)
            if value is not None:
                options[key] = value
        return command(*args, options=options, **kwargs)

    return wrapper


def _prepare(name: str, config: str | None, data_dir: Path | None, options: dict[str, Any],
             strict: bool = False):
    from hubkit.datasets.prepare import prepare

    return prepare(name, config=config, data_dir=data_dir, options=options, strict=strict)


STRICT_HELP = ("Refuse the source files' known flaws (a minority tag-scheme start, a stray -DOCSTART-, a "
               "duplicated id, a blank line of spaces, a byte-order mark mid-file) instead of reading past "
               "them with a warning.")


def _print_sizes(prepared) -> None:
    for split, rows in prepared.split_sizes.items():
        click.echo(f"{split}: {rows:,} rows")


def _print_report(report, strict: bool = False) -> None:
    for split, counts in report.label_distribution.items():
        shown = ", ".join(f"{label} {count:,}" for label, count in counts.items())
        click.echo(f"labels {split}: {shown}")
    if not strict:  # with --strict they are among the errors
        for anomaly in report.anomalies:
            click.echo(f"warning: {anomaly}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)


@click.group()
def cli() -> None:
    """Build datasets from their original files, check them, card them and publish them as Parquet.

    \b
    Your own data: `hubkit datasets prepare csv --data-dir data.csv ...`, or a builder of your own
    from `hubkit datasets new NAME` (written to ./dataset_scripts/NAME/). Builders are searched in
    hubkit's built-in folder, ./dataset_scripts, the folders in HUBKIT_DATASET_SCRIPTS (separated
    like PATH, added to the built-in ones) and a command's --scripts-dir.
    """


@cli.command("list")
@click.option("--scripts-dir", "scripts_dirs", type=click.Path(path_type=Path), multiple=True, help=SCRIPTS_HELP)
@_reporting_errors
def list_command(scripts_dirs: tuple[Path, ...]) -> None:
    """List the registered dataset builders, their configs and task families.

    \b
    Builders come from hubkit's built-in folder, installed packages' "hubkit.datasets" entry points,
    ./dataset_scripts (where `hubkit datasets new` writes), every folder in HUBKIT_DATASET_SCRIPTS
    (separated like PATH; added to the built-in builders, not replacing them) and --scripts-dir.

    \b
    Example:
      hubkit datasets list --scripts-dir my_builders
    """
    from hubkit.datasets.registry import discover, extra_scripts_dirs

    with extra_scripts_dirs(scripts_dirs):
        refs = discover()
    for name, ref in refs.items():
        builder = ref.load()
        configs = ",".join(config.name for config in builder.BUILDER_CONFIGS) or "-"
        click.echo(f"{name:<18} {builder.TASK.family:<22} configs: {configs:<32} {builder.CARD.pretty_name}")


@cli.command()
@_dataset_arguments
@output_dir_option("output", type=click.Path(path_type=Path), required=True, help="Folder to write (save_to_disk).")
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it exists.")
@click.option("--strict", is_flag=True, help=STRICT_HELP)
@_reporting_errors
def prepare(name: str, config: str | None, data_dir: Path | None, options: dict[str, Any], output: Path,
            overwrite: bool, strict: bool = False) -> None:
    """Build NAME from its original files into a DatasetDict saved at --output.

    Known flaws of real files are read past, one warning each with its file and line (stored
    with the build for `validate` and the card); --strict refuses them.

    \b
    Example, your own CSV with a carved validation split:
      hubkit datasets prepare csv --data-dir reviews.csv --text-column text --label-column label \\
          --validation-fraction 0.1 --output-dir reviews-prepared
    """
    import datasets

    from hubkit.datasets.prepare import save

    datasets.disable_progress_bars()
    prepared = _prepare(name, config, data_dir, options, strict=strict)
    save(prepared, output, overwrite=overwrite)
    for anomaly in prepared.anomalies:
        click.echo(f"warning: {anomaly}", err=True)
    _print_sizes(prepared)
    click.echo(f"saved to {output}")


@cli.command()
@_dataset_arguments
@click.option("--strict", is_flag=True,
              help="Count the source files' known flaws (listed as warnings otherwise) as errors.")
@_reporting_errors
def validate(name: str, config: str | None, data_dir: Path | None, options: dict[str, Any],
             strict: bool = False) -> None:
    """Check NAME: non-empty splits, labels, texts, leakage, IOB2, SQuAD answers. Errors exit 1.

    Known flaws of the source files (a minority tag-scheme start, a duplicated id, ...) are listed
    as warnings with file:line; with --strict each is an error.

    \b
    Example:
      hubkit datasets validate conll2003 --data-dir conll2003
    """
    from hubkit.datasets.validate import validate as run_checks

    report = run_checks(_prepare(name, config, data_dir, options), strict=strict)
    _print_sizes(report)
    _print_report(report, strict=strict)
    if not report.ok:
        raise click.ClickException(f"{name}: {len(report.errors)} validation error(s)")
    click.echo(f"{name}: valid ({len(report.warnings) + len(report.anomalies)} warning(s))")


@cli.command()
@_dataset_arguments
@click.option("--output", required=True,
              help="File to write; an existing folder (or a path ending in /) gets FOLDER/README.md, the name "
                   "the Hub reads a card from.")
@click.option("--overwrite", is_flag=True, help="Replace the card file if it exists.")
@_reporting_errors
def card(name: str, config: str | None, data_dir: Path | None, options: dict[str, Any], output: str,
         overwrite: bool) -> None:
    """Write the dataset card (Hub YAML metadata and prose) for NAME to --output.

    \b
    Example:
      hubkit datasets card sst2 --data-dir SST-2 --output sst2-card/
    """
    from hubkit.datasets.card import render_card
    from hubkit.datasets.card_check import check_card
    from hubkit.datasets.errors import DatasetError
    from hubkit.datasets.validate import validate as run_checks

    target = _card_path(output, overwrite)
    prepared = _prepare(name, config, data_dir, options)
    text = render_card(prepared, run_checks(prepared))
    problems = check_card(text)
    if problems:
        raise DatasetError(f"{name}: the generated card is invalid: " + "; ".join(problems))
    _write_atomically(target, text)
    click.echo(f"wrote {target}")


def _card_path(output: str, overwrite: bool) -> Path:
    """Where ``--output`` puts the card, checked before any work so a mistake costs nothing.

    A folder means ``FOLDER/README.md``: a dataset repo's card is its README.md, and a user pointing
    at a repo checkout expects the card to land there, as ``hf upload`` and ``push_to_hub`` place it.
    An existing file is replaced only with ``--overwrite``.
    """
    from hubkit.datasets.errors import OutputExistsError

    path = Path(output)
    if path.is_dir() or output.endswith(("/", os.sep)):
        path = path / "README.md"
    if path.is_dir():
        raise OutputExistsError(f"{path} is a folder; give a file path for the card")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} already exists; pass --overwrite to replace it")
    return path


def _write_atomically(path: Path, text: str) -> None:
    """Write beside ``path`` and rename, removing the temporary file on any failure: never half a card."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


@cli.command()
@_dataset_arguments
@click.option("--repo", "repo_id", required=True,
              help="Dataset repo to publish to, as NAMESPACE/NAME; a bare NAME means the token's user.")
@click.option("--private", is_flag=True, help="Create the repo private.")
@click.option("--revision", default=None, help="Branch to commit to (created if missing); default main.")
@click.option("--benchmark", is_flag=True,
              help="Also write eval.yaml (one task per config, evaluation split and metric): the hub then keeps "
                   "a leaderboard of the models evaluated on the repo.")
@click.option("--no-progress", is_flag=True, help="No progress bars (the default when stdout is not a terminal).")
@click.option("--prepared", "prepared_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Push the folder `datasets prepare --output-dir` wrote, as built, instead of building NAME "
                   "again (no --data-dir or --config then).")
@_reporting_errors
def push(name: str, config: str | None, data_dir: Path | None, options: dict[str, Any], repo_id: str,
         private: bool, revision: str | None, benchmark: bool, no_progress: bool = False,
         prepared_dir: Path | None = None) -> None:
    """Publish NAME to the hub as Parquet plus its card, in one commit.

    The card's train-eval-index says the task and which column plays which role, so
    `hubkit train NAMESPACE/NAME` trains from the repo with no further flags.

    \b
    hubkit datasets push sst2 --data-dir SST-2 --repo alice/sst2
    hubkit datasets push sst2 --prepared sst2-prepared --repo alice/sst2
    """
    from hubkit.hub_client import HubConnectionError, connect

    try:
        connection = connect()  # before datasets/huggingface_hub are imported: they read the endpoint once
    except HubConnectionError as error:
        raise click.ClickException(str(error)) from None
    import datasets
    from huggingface_hub.errors import HfHubHTTPError

    from hubkit.datasets.push import push as publish
    from hubkit.datasets.validate import validate as run_checks
    from hubkit.repo_ids import full_repo_id
    from hubkit.safe_push import PushError

    datasets.disable_progress_bars()
    from hubkit.cli._console import quiet_libraries, show_progress

    if not show_progress(no_progress):
        quiet_libraries()  # the upload's bars (huggingface_hub) too
    api = connection.api()
    given, repo_id = repo_id, full_repo_id(repo_id, api)
    if repo_id != given:  # say which namespace a bare name went to
        click.echo(f"using repo {repo_id} (the token's user)")
    if prepared_dir is not None:
        if data_dir is not None or config is not None:
            raise click.UsageError("--prepared pushes the dataset as it was built: drop --data-dir and --config")
        from hubkit.datasets.prepare import load_prepared

        prepared = load_prepared(prepared_dir, name)
    else:
        prepared = _prepare(name, config, data_dir, options)
    report = run_checks(prepared)
    _print_report(report)
    try:
        result = publish(prepared, report, api, repo_id, private=private, revision=revision,
                         benchmark=benchmark)
    except (HfHubHTTPError, PushError) as error:
        raise click.ClickException(f"pushing to {connection.endpoint} failed: {error}".splitlines()[0]) from None
    if result.changed:
        click.echo(f"pushed {len(result.files)} files to {result.repo_id}@{result.revision} in commit {result.commit}")
    else:
        click.echo(f"nothing changed; {result.repo_id} is already at {result.commit}")
    click.echo(result.repo_url)


@cli.command()
@click.argument("name")
@click.option("--scripts-dir", type=click.Path(path_type=Path), default=None,
              help="Where to write the builder (default: ./dataset_scripts, which every command searches; "
                   "for another folder, give the same --scripts-dir to prepare, validate, card, push, train "
                   "and eval, or add it to HUBKIT_DATASET_SCRIPTS).")
@click.option("--tests-dir", type=click.Path(path_type=Path), default=Path("tests"), show_default=True,
              help="Where to write the builder's test.")
@_reporting_errors
def new(name: str, scripts_dir: Path | None, tests_dir: Path) -> None:
    """Scaffold a builder for NAME and its test, ready to adapt.

    \b
    Builders are found in hubkit's built-in folder, ./dataset_scripts, every folder listed in
    HUBKIT_DATASET_SCRIPTS (separated like PATH; they add to the built-in builders) and a
    command's --scripts-dir. Example:
      hubkit datasets new movie_votes && hubkit datasets prepare movie_votes --data-dir raw/ --output-dir out/
    """
    from hubkit.datasets.registry import local_scripts_dir
    from hubkit.datasets.scaffold import scaffold

    for path in scaffold(name, scripts_dir or local_scripts_dir(), tests_dir):
        click.echo(f"created {path}")
