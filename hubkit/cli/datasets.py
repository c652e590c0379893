"""``hubkit datasets``: list, prepare, validate, card, push and scaffold dataset builders.

Each command parses its flags and calls the plain functions in :mod:`hubkit.datasets`; a
:class:`~hubkit.datasets.errors.DatasetError` becomes one line on stderr and exit status 1. Heavy
libraries are imported inside the commands: ``push`` must choose the hub endpoint first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def _reporting_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn hubkit's dataset errors into a one-line message and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from hubkit.datasets.errors import DatasetError

        try:
            return command(*args, **kwargs)
        except DatasetError as error:
            raise click.ClickException(str(error)) from None

    return wrapper


def _dataset_arguments(command: Callable[..., Any]) -> Callable[..., Any]:
    """NAME plus the options that choose which data a builder reads."""
    options = [
        click.argument("name"),
        click.option("--config", "config", default=None, help="Builder config (e.g. es or nl for conll2002)."),
        click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                     help="Folder with the original files, unpacked; without it the builder downloads them."),
        click.option("--text-column", "text_columns", multiple=True,
                     help="csv builder: the text column (give it twice for sentence pairs)."),
        click.option("--label-column", default=None, help="csv builder: the label column."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _prepare(name: str, config: str | None, data_dir: Path | None, text_columns: tuple[str, ...],
             label_column: str | None):
    from hubkit.datasets.prepare import prepare

    options: dict[str, Any] = {}
    if text_columns:
        options["text_columns"] = tuple(text_columns)
    if label_column:
        options["label_column"] = label_column
    return prepare(name, config=config, data_dir=data_dir, options=options)


def _print_sizes(prepared) -> None:
    for split, rows in prepared.split_sizes.items():
        click.echo(f"{split}: {rows:,} rows")


def _print_report(report) -> None:
    for split, counts in report.label_distribution.items():
        shown = ", ".join(f"{label} {count:,}" for label, count in counts.items())
        click.echo(f"labels {split}: {shown}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)


@click.group()
def cli() -> None:
    """Build datasets from their original files, check them, card them and publish them as Parquet."""


@cli.command("list")
@_reporting_errors
def list_command() -> None:
    """List the registered dataset builders, their configs and task families."""
    from hubkit.datasets.registry import discover

    for name, ref in discover().items():
        builder = ref.load()
        configs = ",".join(config.name for config in builder.BUILDER_CONFIGS) or "-"
        click.echo(f"{name:<18} {builder.TASK.family:<22} configs: {configs:<32} {builder.CARD.pretty_name}")


@cli.command()
@_dataset_arguments
@click.option("--output", type=click.Path(path_type=Path), required=True, help="Folder to write (save_to_disk).")
@click.option("--overwrite", is_flag=True, help="Replace the output folder if it exists.")
@_reporting_errors
def prepare(name: str, config: str | None, data_dir: Path | None, text_columns: tuple[str, ...],
            label_column: str | None, output: Path, overwrite: bool) -> None:
    """Build NAME from its original files into a DatasetDict saved at --output."""
    import datasets

    from hubkit.datasets.prepare import save

    datasets.disable_progress_bars()
    prepared = _prepare(name, config, data_dir, text_columns, label_column)
    save(prepared, output, overwrite=overwrite)
    _print_sizes(prepared)
    click.echo(f"saved to {output}")


@cli.command()
@_dataset_arguments
@_reporting_errors
def validate(name: str, config: str | None, data_dir: Path | None, text_columns: tuple[str, ...],
             label_column: str | None) -> None:
    """Check NAME: non-empty splits, labels, texts, leakage, IOB2, SQuAD answers. Errors exit 1."""
    from hubkit.datasets.validate import validate as run_checks

    report = run_checks(_prepare(name, config, data_dir, text_columns, label_column))
    _print_sizes(report)
    _print_report(report)
    if not report.ok:
        raise click.ClickException(f"{name}: {len(report.errors)} validation error(s)")
    click.echo(f"{name}: valid ({len(report.warnings)} warning(s))")


@cli.command()
@_dataset_arguments
@click.option("--output", type=click.Path(path_type=Path), required=True, help="Where to write README.md.")
@_reporting_errors
def card(name: str, config: str | None, data_dir: Path | None, text_columns: tuple[str, ...],
         label_column: str | None, output: Path) -> None:
    """Write the dataset card (Hub YAML metadata and prose) for NAME to --output."""
    from hubkit.datasets.card import render_card
    from hubkit.datasets.card_check import check_card
    from hubkit.datasets.errors import DatasetError
    from hubkit.datasets.validate import validate as run_checks

    prepared = _prepare(name, config, data_dir, text_columns, label_column)
    text = render_card(prepared, run_checks(prepared))
    problems = check_card(text)
    if problems:
        raise DatasetError(f"{name}: the generated card is invalid: " + "; ".join(problems))
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.with_name(f".{output.name}.partial")
    staging.write_text(text, encoding="utf-8")
    staging.replace(output)
    click.echo(f"wrote {output}")


@cli.command()
@_dataset_arguments
@click.option("--repo", "repo_id", required=True, help="Dataset repo to publish to, as NAMESPACE/NAME.")
@click.option("--private", is_flag=True, help="Create the repo private.")
@click.option("--revision", default=None, help="Branch to commit to (created if missing); default main.")
@click.option("--benchmark", is_flag=True,
              help="Also write eval.yaml (one task per config, evaluation split and metric): the hub then keeps "
                   "a leaderboard of the models evaluated on the repo.")
@click.option("--no-progress", is_flag=True, help="No progress bars (the default when stdout is not a terminal).")
@_reporting_errors
def push(name: str, config: str | None, data_dir: Path | None, text_columns: tuple[str, ...],
         label_column: str | None, repo_id: str, private: bool, revision: str | None, benchmark: bool,
         no_progress: bool = False) -> None:
    """Publish NAME to the hub as Parquet plus its card, in one commit.

    The card's train-eval-index says the task and which column plays which role, so
    `hubkit train NAMESPACE/NAME` trains from the repo with no further flags.

    \b
    hubkit datasets push sst2 --data-dir SST-2 --repo alice/sst2
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
    from hubkit.safe_push import PushError

    datasets.disable_progress_bars()
    from hubkit.cli._console import quiet_libraries, show_progress

    if not show_progress(no_progress):
        quiet_libraries()  # the upload's bars (huggingface_hub) too
    prepared = _prepare(name, config, data_dir, text_columns, label_column)
    report = run_checks(prepared)
    _print_report(report)
    try:
        result = publish(prepared, report, connection.api(), repo_id, private=private, revision=revision,
                         benchmark=benchmark)
    except (HfHubHTTPError, PushError) as error:
        raise click.ClickException(f"pushing to {connection.endpoint} failed: {error}".splitlines()[0]) from None
    click.echo(f"pushed {len(result.files)} files to {result.repo_id}@{result.revision} in commit {result.commit}")


@cli.command()
@click.argument("name")
@click.option("--scripts-dir", type=click.Path(path_type=Path), default=None,
              help="Where builders live (default: this repository's dataset_scripts/).")
@click.option("--tests-dir", type=click.Path(path_type=Path), default=Path("tests"), show_default=True,
              help="Where to write the builder's test.")
@_reporting_errors
def new(name: str, scripts_dir: Path | None, tests_dir: Path) -> None:
    """Scaffold a builder for NAME and its test, ready to adapt."""
    from hubkit.datasets.registry import scripts_dir as default_scripts_dir
    from hubkit.datasets.scaffold import scaffold

    for path in scaffold(name, scripts_dir or default_scripts_dir(), tests_dir):
        click.echo(f"created {path}")
