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
@click.option("--split", default=None, help="The split of a `hubkit train` result to compare (default: validation). "
              "An evaluation result holds one split; if given, this must name it.")
@click.option("--train-seed", type=int, default=None,
              help="With a multi-seed `hubkit train` result: compare this seed's model (default: the best seed, "
                   "the one at the folder's top level).")
@click.option("--json", "as_json", is_flag=True, help="Print the full comparison as JSON.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON here.")
def cli(results_a, results_b, bootstrap_resamples, seed, split, train_seed, as_json, output) -> None:
    """Is RESULTS_A better than RESULTS_B? Differences A - B with 95% CIs and p-values.

    Each side is the results.json of `hubkit eval` or of `hubkit train` (its per-example
    predictions on validation, or on --split). Examples are paired by content, so the two
    need not list them in the same order.

    \b
    hubkit compare eval-a/results.json eval-b/results.json
    hubkit compare runs/sst2-minilm/results.json eval-b/results.json --split validation
    """
    with user_errors():
        from hubkit.evaluation.compare import compare, summary_lines

        result = compare(results_a, results_b, n_resamples=bootstrap_resamples, seed=seed, split=split,
                         train_seed=train_seed)
        text = json.dumps(result, indent=2)
        if output is not None:
            output.write_text(text + "\n")
        click.echo(text if as_json else "\n".join(summary_lines(result)))
