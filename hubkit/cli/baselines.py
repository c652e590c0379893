"""``hubkit baselines``: the default recipe on several datasets and seeds, compared with published scores."""

from __future__ import annotations

from pathlib import Path

import click

from hubkit.cli._output_option import output_dir_option


def parse_data_dirs(values: tuple[str, ...]) -> dict[str, str]:
    """``NAME=PATH`` pairs; one line naming the malformed value."""
    found: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise click.BadParameter(f"expected NAME=PATH, got {value!r}", param_hint="--data-dir")
        if name.strip() in found:
            raise click.BadParameter(f"{name.strip()} is given twice", param_hint="--data-dir")
        found[name.strip()] = path.strip()
    return found


@click.command()
@click.argument("datasets", nargs=-1, required=True)
@output_dir_option("output", type=click.Path(file_okay=False, path_type=Path), required=True,
                   help="Folder for baselines.json, baselines.md and one folder per dataset (its seeds' runs).")
@click.option("--data-dir", "data_dirs", multiple=True, metavar="NAME=PATH",
              help="Folder with a dataset's original files (repeat per dataset).")
@click.option("--seeds", default="1,2,3", show_default=True, help="Seeds to train each dataset with.")
@click.option("--push-to", metavar="NAMESPACE",
              help="Push each dataset as a benchmark, its best seed as NAMESPACE/{model}-{dataset}, and a "
                   "leaderboard Space.")
@click.option("--max-train-samples", type=click.IntRange(min=1),
              help="Train on only the first N examples (smoke runs only: the scores then mean nothing).")
@click.option("--max-eval-samples", type=click.IntRange(min=1),
              help="Score only the first N examples of each split (smoke runs only).")
@click.option("--model", help="Base model for every dataset instead of its recipe's (e.g. a tiny one for smoke runs).")
@click.option("--recipe-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="YAML/JSON recipe values every listed dataset's recipe takes (a recorded recipe search: "
                   "the values go into baselines.json and each row's recipe).")
@click.option("--resume", is_flag=True, help="Continue a killed sweep: finished seeds are skipped, an interrupted "
                                             "one continues from its last checkpoint.")
@click.option("--bootstrap-resamples", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--units-only", is_flag=True, hidden=True,
              help="Train the units and stop (the per-GPU child processes of a sweep).")
def cli(datasets, output, data_dirs, seeds, push_to, max_train_samples, max_eval_samples, model, recipe_file,
        resume, bootstrap_resamples, units_only) -> None:
    """Train the default recipe on each DATASET with every seed; write OUT/baselines.json and baselines.md.

    Each row: the score as mean ± std over seeds with the best seed's 95% bootstrap interval, the
    published reference and the gap to it in points, wall time and hardware. A dataset that cannot
    run (unknown, no labelled split to score) is named in one line and the others still run; the
    exit status is then 1. Kill it at any point and rerun with --resume.

    \b
    hubkit baselines sst2 mrpc --data-dir sst2=glue/SST-2 --data-dir mrpc=glue/MRPC --output-dir bl
    hubkit baselines squad wikitext2 --data-dir squad=squad-v1.1 --data-dir wikitext2=wikitext-2 \\
        --output-dir bl --seeds 1,2,3 --push-to alice
    hubkit baselines sst2 --data-dir sst2=glue/SST-2 --output-dir bl --resume
    hubkit baselines mrpc --data-dir mrpc=glue/MRPC --output-dir search/lr3e-5 --recipe-file lr3e-5.yaml
    """
    from hubkit.cli._console import quiet_libraries
    from hubkit.cli._errors import user_errors
    from hubkit.cli.train import parse_seeds

    seed_list = parse_seeds(None, seeds)
    dirs = parse_data_dirs(data_dirs)
    with user_errors():
        from hubkit.baselines.sweep import SweepRequest, run_sweep
        from hubkit.recipes import recipe_file_values

        if push_to:
            push_to = _namespace(push_to)
        quiet_libraries()
        request = SweepRequest(datasets=tuple(datasets), output=output, data_dirs=dirs, seeds=seed_list,
                               push_to=push_to, max_train_samples=max_train_samples,
                               max_eval_samples=max_eval_samples, resume=resume, model=model,
                               n_resamples=bootstrap_resamples, units_only=units_only,
                               recipe_overrides=recipe_file_values(recipe_file) if recipe_file else {},
                               recipe_file=recipe_file)
        outcome = _interruptible(lambda: run_sweep(request, say=_say))
    if not units_only:
        for row in outcome.doc["rows"]:
            score = ("diverged" if row["status"] == "diverged"
                     else f"{row['mean']:.4f} ± {row['std']:.4f}")
            click.echo(f"{row['dataset']} {row['split']} {row['metric']}: {score}")
        click.echo(f"wrote {output / 'baselines.json'} and {output / 'baselines.md'}")
    if outcome.problems:
        click.get_current_context().exit(1)


def _interruptible(sweep):
    """Ctrl-C ends the sweep with the command that resumes it, and status 130 (as ``hubkit train`` does)."""
    import shlex
    import sys

    from hubkit.train.errors import TrainingInterrupted

    try:
        return sweep()
    except (TrainingInterrupted, KeyboardInterrupt):
        args = sys.argv[sys.argv.index("baselines") + 1:] if "baselines" in sys.argv else sys.argv[1:]
        resume = shlex.join(["hubkit", "baselines", *args, *([] if "--resume" in args else ["--resume"])])
        click.echo(f"interrupted; finished seeds are kept, resume with: {resume}", err=True)
        click.get_current_context().exit(130)


def _say(line: str) -> None:
    """Progress on stdout; a dataset skipped or failed on stderr (each is one line naming it)."""
    problem = line.startswith(("skipped: ", "failed: "))
    click.echo(line, err=problem)


def _namespace(value: str) -> str:
    """``--push-to`` names a namespace (a user or an org): one path part."""
    value = value.strip()
    if not value or "/" in value:
        raise click.BadParameter(f"give a namespace (a user or an organization), not {value!r}", param_hint="--push-to")
    return value
