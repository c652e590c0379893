"""``hubkit metrics``: list the offline metrics, compute them with confidence intervals, publish them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

_USER_ERRORS = (ValueError, TypeError, LookupError, ImportError, OSError)


def _one_line(error: Exception) -> str:
    return "; ".join(line.strip() for line in str(error).splitlines() if line.strip()) or type(error).__name__


def read_values(path: Path) -> list[Any]:
    """A list of predictions or references from ``.json`` (a list), ``.jsonl``, or text (one per line).

    In text files each non-blank line is parsed as JSON when it can be (``1`` -> 1, ``["B-PER"]``
    -> a list), and kept as a string otherwise.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        values = json.loads(text)
        if not isinstance(values, list):
            raise ValueError(f"{path} must hold a JSON list, found {type(values).__name__}")
        return values
    values = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            values.append(json.loads(line))
        except json.JSONDecodeError:
            if path.suffix == ".jsonl":
                raise ValueError(f"{path}:{number} is not valid JSON") from None
            values.append(line)
    return values


def _parse_options(options: tuple[str, ...]) -> dict[str, Any]:
    parsed = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {option!r}", param_hint="--option")
        try:
            parsed[key] = json.loads(value)
        except json.JSONDecodeError:
            parsed[key] = value
    return parsed


def _json_safe(value: Any) -> Any:
    """NaN (an undefined score, e.g. in a degenerate resample) becomes null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


@click.group()
def cli() -> None:
    """Offline metrics (evaluate modules): list, compute with bootstrap intervals, publish as Spaces."""


@cli.command("list")
def list_command() -> None:
    """List the metrics hubkit can load without the network, and where each comes from.

    \b
    Example:
      hubkit metrics list
    """
    from hubkit.metrics import available

    try:
        found = available()
    except _USER_ERRORS as error:
        raise click.ClickException(_one_line(error)) from None
    width = max((len(name) for name in found), default=0)
    for name, source in found.items():
        click.echo(f"{name:<{width}}  {source}")


@cli.command()
@click.argument("name")
@click.option("--predictions", "predictions_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="Predictions: .json list, .jsonl, or text with one per line.")
@click.option("--references", "references_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="References, same formats (not needed by perplexity).")
@click.option("--ci", is_flag=True, help="Add bootstrap confidence intervals.")
@click.option("--n-resamples", default=1000, show_default=True, type=click.IntRange(min=1))
@click.option("--method", type=click.Choice(["percentile", "bca"]), default="percentile", show_default=True)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--confidence-level", default=0.95, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True))
@click.option("-o", "--option", "options", multiple=True, metavar="KEY=VALUE",
              help="A metric option, e.g. -o average=macro; VALUE is read as JSON when it parses.")
def compute(name: str, predictions_path: Path, references_path: Path | None, ci: bool, n_resamples: int,
            method: str, seed: int, confidence_level: float, options: tuple[str, ...]) -> None:
    """Compute metric NAME (a name from `hubkit metrics list`, or a path) and print JSON.

    \b
    Example:
      hubkit metrics compute f1 --predictions preds.txt --references refs.txt -o average=macro --ci
    """
    from hubkit.metrics import compute as compute_metric

    config = _parse_options(options)
    try:
        predictions = read_values(predictions_path)
        references = read_values(references_path) if references_path else None
        result = compute_metric(name, predictions, references, ci=ci, n_resamples=n_resamples, method=method,
                                seed=seed, confidence_level=confidence_level, **config)
    except _USER_ERRORS as error:
        raise click.ClickException(_one_line(error)) from None
    click.echo(json.dumps(_json_safe(result), indent=2, ensure_ascii=False))


@cli.command()
@click.argument("name")
@click.option("--repo", "repo_id", required=True, metavar="NS/NAME",
              help="The Space to create or update; NAME must be a Python identifier. A bare NAME means the "
                   "token's user.")
@click.option("--private", is_flag=True, help="Create the Space as private.")
def push(name: str, repo_id: str, private: bool) -> None:
    """Publish metric NAME as a Space loadable with evaluate.load("NS/NAME").

    \b
    Example:
      hubkit metrics push seqeval --repo alice/seqeval
    """
    from hubkit.hub_client import HubConnectionError, connect

    try:
        connection = connect()  # sets HF_ENDPOINT before huggingface_hub / evaluate are imported
        from hubkit.metrics import load
        from hubkit.metrics.space import push_metric

        from hubkit.repo_ids import full_repo_id

        load(name)  # refuse to publish a module that does not even import
        api = connection.api()
        given, repo_id = repo_id, full_repo_id(repo_id, api)  # a RepoIdError is a ValueError: one line below
        if repo_id != given:  # say which namespace a bare name went to
            click.echo(f"using repo {repo_id} (the token's user)")
        url = push_metric(name, repo_id, api, private=private)
    except (HubConnectionError, *_USER_ERRORS) as error:
        raise click.ClickException(_one_line(error)) from None
    except Exception as error:  # HTTP errors from the hub: one line, not a traceback
        if type(error).__module__.startswith(("huggingface_hub", "requests", "httpx")):
            raise click.ClickException(_one_line(error)) from None
        raise
    click.echo(f"Pushed {name} to {url}")
    click.echo(f'Load it with: evaluate.load("{repo_id}")')
