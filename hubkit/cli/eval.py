"""``hubkit eval``: reproducible evaluation of a model on a dataset split, and ``--verify`` of a result."""

from __future__ import annotations

from pathlib import Path

import click

from hubkit.cli._output_option import output_dir_option
from hubkit.cli._dataset_options import task_options, task_and_options
from hubkit.cli._errors import user_errors


@click.command()
@click.argument("model", required=False)
@click.argument("dataset", required=False)
@click.option("--config", help="Dataset config (builder config, or the hub dataset's config).")
@click.option("--split", help="Split to score (default: validation, else test).")
@click.option("--data-dir", help="Folder with the dataset's original files (hubkit builders).")
@click.option("--revision", help="Model revision (branch, tag or sha); recorded as the commit sha.")
@click.option("--dataset-revision", help="Revision of a hub dataset repo; recorded as the commit sha.")
@task_options
@output_dir_option("output", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: results.json, predictions.parquet, README.md, plots/.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--max-length", type=click.IntRange(min=8), help="Truncation length (default: the model's recipe).")
@click.option("--block-size", type=click.IntRange(min=8),
              help="Language models: tokens per scored block (default: the model's recipe). Two LM results "
                   "are comparable only with the same block size and tokenizer.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of inference and of the bootstrap.")
@click.option("--bootstrap-resamples", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--max-samples", type=click.IntRange(min=1), help="Score only the first N examples.")
@click.option("--dtype", type=click.Choice(["float32", "bfloat16", "float16"]), default="float32", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.option("--push", is_flag=True, help="Add the result to the model's card on the hub (a PR if not yours).")
@click.option("--verify", "verify_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Re-run the evaluation recorded in this results.json and compare metric by metric.")
@click.option("--tolerance", type=float, default=None,
              help="With --verify: largest absolute difference accepted per metric (default 1e-9).")
@click.option("--no-progress", is_flag=True, help="No progress bars (the default when stdout is not a terminal).")
def cli(model, dataset, config, split, data_dir, revision, dataset_revision, task_flags, output, batch_size, max_length,
        block_size, seed, bootstrap_resamples, max_samples, dtype, overwrite, push, verify_path, tolerance,
        no_progress) -> None:
    """Score MODEL (hub id or local folder) on DATASET (hubkit builder or hub dataset repo).

    \b
    hubkit eval alice/sst2-minilm sst2 --data-dir SST-2 --output-dir eval-sst2
    hubkit eval --verify eval-sst2/results.json
    """
    from hubkit.cli._console import quiet_libraries, show_progress

    with user_errors():
        if not show_progress(no_progress):
            quiet_libraries()
        if verify_path is not None:
            if model or dataset or push or output:
                raise click.UsageError("--verify takes only a results file (and --tolerance, --data-dir)")
            _verify(verify_path, tolerance, data_dir)
            return
        if not model or not dataset:
            raise click.UsageError("give MODEL and DATASET (or --verify RESULTS.json)")
        if output is None:
            raise click.UsageError("--output-dir is required")
        if tolerance is not None:
            raise click.UsageError("--tolerance only applies with --verify")
        from hubkit.evaluation.runner import EvalRequest, evaluate

        task, options = task_and_options(dataset, task_flags)
        if options:
            raise click.UsageError("--text-column and --label-column apply to dataset repos (with --task) here")
        results = evaluate(EvalRequest(model=model, dataset=dataset, output_dir=output, config=config, split=split,
                                       data_dir=data_dir, revision=revision, dataset_revision=dataset_revision,
                                       batch_size=batch_size, max_length=max_length, block_size=block_size,
                                       seed=seed, n_resamples=bootstrap_resamples, max_samples=max_samples, dtype=dtype,
                                       overwrite=overwrite, task=task.family if task else None,
                                       columns=dict(task.columns) if task else None))
        for name, value in results["metrics"].items():
            ci = results["confidence_intervals"].get(name)
            click.echo(f"{name}: {value:.4f}" + (f"  95% CI [{ci[0]:.4f}, {ci[1]:.4f}]" if ci else ""))
        click.echo(f"wrote {output / 'results.json'}")
        if push:
            from hubkit.evaluation.push import push_evaluation
            from hubkit.hub_client import connect

            click.echo(push_evaluation(output, connect().api()))


def _verify(path: Path, tolerance: float | None, data_dir: str | None) -> None:
    from hubkit.evaluation.verify import DEFAULT_TOLERANCE, verify

    report = verify(path, DEFAULT_TOLERANCE if tolerance is None else tolerance, data_dir)
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise click.ClickException(f"{path} does not reproduce (tolerance {report.tolerance:g})")
    click.echo(f"{path} reproduces (tolerance {report.tolerance:g})")
