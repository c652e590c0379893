"""``hubkit transfer-curve``: pre-trained against random initialisation, as a learning curve."""

from __future__ import annotations

from pathlib import Path

import click

from hubkit.cli._output_option import output_dir_option
from hubkit.cli._dataset_options import dataset_revision_option, task_and_options, task_options

from hubkit.transfer_curve.curve import DEFAULT_MIN_STEPS

DEFAULT_SIZES = "32,128,512,2048"


def parse_sizes(text: str) -> tuple[int, ...]:
    """``32,128,512`` -> (32, 128, 512); a usage error for anything but distinct positive integers."""
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {text!r}", param_hint="--sizes") from None
    if not sizes or min(sizes) < 1 or len(set(sizes)) != len(sizes):
        raise click.BadParameter(f"give distinct positive integers, e.g. {DEFAULT_SIZES}", param_hint="--sizes")
    return sizes


@click.command()
@click.argument("dataset")
@click.option("--config", help="Builder config, where the dataset has several.")
@click.option("--data-dir", help="Folder with the dataset's original files.")
@dataset_revision_option
@task_options
@click.option("--model", help="Pre-trained model: hub id or local folder (default: the dataset's recipe).")
@click.option("--sizes", default=DEFAULT_SIZES, show_default=True,
              help="Training-subset sizes (stratified by label, nested per seed).")
@click.option("--seeds", "n_seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Runs per size and variant (seeds 0..N-1); the band is ± one std over them.")
@output_dir_option("output_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for curve.csv/json/png and card_sections/ (may be a `hubkit train` output folder).")
@click.option("--pretrain-corpus", type=click.Path(exists=True, path_type=Path),
              help="Also fine-tune the model after masked-LM training on this text file or folder of .txt files.")
@click.option("--pretrain-epochs", type=click.FloatRange(min=0, min_open=True),
              help="Epochs of masked-LM training on the corpus (default: hubkit pretrain's).")
@click.option("--min-steps", type=click.IntRange(min=0), default=DEFAULT_MIN_STEPS, show_default=True,
              help="Floor on optimizer steps per run: smaller subsets are cycled through more often per epoch.")
@click.option("--epochs", type=click.FloatRange(min=0, min_open=True), help="Training epochs (overrides the recipe).")
@click.option("--batch-size", type=click.IntRange(min=1))
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True))
@click.option("--max-length", type=click.IntRange(min=8))
@click.option("--no-progress", is_flag=True, help="No progress bars.")
def cli(dataset, config, data_dir, dataset_revision, task_flags, model, sizes, n_seeds, output_dir, pretrain_corpus, pretrain_epochs, min_steps,
        epochs, batch_size, learning_rate, max_length, no_progress) -> None:
    """Learning curves of DATASET: the pre-trained model against random initialisation.

    For each size, fine-tunes (a) the pre-trained model and (b) the same architecture with fresh
    weights, same tokenizer and recipe, on a stratified seeded subset of the training split; with
    --pretrain-corpus also (c) the model after domain-adaptive masked-LM training. Each run is scored
    on the full validation split. Writes OUT/curve.csv (one row per run), OUT/curve.json,
    OUT/curve.png and OUT/card_sections/transfer_curve.md, which `hubkit card model OUT` includes.

    \b
    Example:
      hubkit transfer-curve sst2 --data-dir SST-2 --sizes 32,128,512 --seeds 3 --output-dir curve
    """
    from hubkit.cli._errors import user_errors
    from hubkit.recipes import recipe_for
    from hubkit.transfer_curve.curve import CurveRequest, transfer_curve

    size_list = parse_sizes(sizes)
    overrides = {"model": model, "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
                 "max_length": max_length}
    with user_errors():
        task, options = task_and_options(dataset, task_flags)
        if options:
            raise click.UsageError("--text-column and --label-column apply to dataset repos (with --task) here")
        recipe = recipe_for(dataset, None, overrides)
        request = CurveRequest(dataset=dataset, config=config, data_dir=data_dir, output_dir=output_dir,
                               recipe=recipe, sizes=size_list, n_seeds=n_seeds, pretrain_corpus=pretrain_corpus,
                               pretrain_epochs=pretrain_epochs, min_steps=min_steps, progress=not no_progress,
                               on_run=_echo_run, dataset_revision=dataset_revision, task=task)
        record = transfer_curve(request)
    _print_summary(record, output_dir)


def _echo_run(run: dict) -> None:
    scores = ", ".join(f"{k} {v:.4f}" for k, v in run["metrics"].items() if k in ("accuracy", "f1", "f1_macro"))
    click.echo(f"{run['variant']:>15} n={run['train_examples']:<6} seed {run['seed']}: {scores} "
               f"({run['train_runtime_s']:.0f} s)")


def _print_summary(record: dict, output_dir: Path) -> None:
    metric = record["metric"]
    for name, points in record["curve"].items():
        cells = "  ".join(f"{p['train_examples']}: {p['mean']:.3f}±{p['std']:.3f}" for p in points)
        click.echo(f"{name} {metric}: {cells}")
    verdict = "better" if record["comparison"]["pretrained_better_at_every_size"] else "NOT better"
    click.echo(f"pre-trained is {verdict} than random initialisation at every size")
    click.echo(f"wrote {output_dir}/curve.csv, curve.json, curve.png and card_sections/transfer_curve.md")
    if (output_dir / "results.json").is_file():
        click.echo(f"run `hubkit card model {output_dir}` to put the curve in the model card")
