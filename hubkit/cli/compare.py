"""``hubkit compare``: paired bootstrap (and McNemar) of two evaluation results on their shared examples."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hubkit.cli._errors import user_errors


@click.command()
@click.argument("results_a", type=click.Path(path_type=Path))
@click.argument("results_b", type=click.Path(path_type=Path))
@click.option("--bootstrap-resamples", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the full comparison as JSON.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON here.")
def cli(results_a, results_b, bootstrap_resamples, seed, as_json, output) -> None:
    """Is RESULTS_A better than RESULTS_B? Differences A - B with 95% CIs and p-values.

    \b
    hubkit compare eval-a/results.json eval-b/results.json
    """
    with user_errors():
        from hubkit.evaluation.compare import compare, summary_lines

        result = compare(results_a, results_b, n_resamples=bootstrap_resamples, seed=seed)
        text = json.dumps(result, indent=2)
        if output is not None:
            output.write_text(text + "\n")
        click.echo(text if as_json else "\n".join(summary_lines(result)))
