"""``hubkit run``: the whole transfer-learning cycle for one dataset, ending on the hub.

The steps are :func:`hubkit.pipeline.run`; this command turns flags into a request, shows the
progress on stderr and prints the three URLs on stdout.
"""

from __future__ import annotations

from pathlib import Path

import click

from hubkit.cli._dataset_options import dataset_revision_option, task_and_options, task_options


def _step(number: int, total: int, text: str) -> None:
    click.secho(f"[{number}/{total}] {text}", fg="cyan", err=True)


def _note(text: str) -> None:
    click.echo(text, err=True)


@click.command()
@click.argument("dataset")
@click.option("--config", help="Builder config.")
@click.option("--data-dir", help="Folder with the dataset's original files.")
@dataset_revision_option
@task_options
@click.option("--model", help="Base model (default: the dataset's recipe).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where training and evaluation write (default: runs/DATASET).")
@click.option("--namespace", help="Hub namespace to push to (default: the token's user).")
@click.option("--max-train-samples", type=click.IntRange(min=1))
@click.option("--max-eval-samples", type=click.IntRange(min=1))
@click.option("--epochs", type=float, help="Passes over the training data (default: the dataset's recipe).")
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True),
              help="Peak learning rate (default: the dataset's recipe; a small subset needs a higher one).")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--private", is_flag=True, help="Create private repos (required for research-only data like CoNLL-2003).")
@click.option("--no-progress", is_flag=True,
              help="No progress bars, one line per logging interval (the default when stdout is not a terminal).")
def cli(dataset, config, data_dir, dataset_revision, task_flags, model, output_dir, namespace, max_train_samples,
        max_eval_samples, epochs, learning_rate, seed, private, no_progress) -> None:
    """Prepare, validate, train, evaluate, card and push DATASET's baseline; prints the URLs.

    DATASET is a hubkit builder (pushed as NS/NAME-CONFIG, then trained and evaluated from that
    repo at the pushed commit), or a dataset repo NS/NAME already on the hub.

    \b
    Example:
      hubkit run sst2 --data-dir SST-2 --max-train-samples 2000 --epochs 1 --learning-rate 2e-4
    """
    from hubkit.cli._console import quiet_libraries, show_progress
    from hubkit.cli._errors import user_errors
    from hubkit.pipeline import RunRequest, ValidationFailed, run

    progress = show_progress(no_progress)
    if not progress:
        quiet_libraries()
    with user_errors():
        task, options = task_and_options(dataset, task_flags)
        if options:
            raise click.UsageError("--text-column and --label-column apply to dataset repos (with --task) here")
        if dataset_revision and "/" not in dataset:
            raise click.UsageError("--dataset-revision applies to a dataset repo NS/NAME; a builder is pushed anew")
        request = RunRequest(dataset=dataset, config=config, data_dir=data_dir, model=model, output_dir=output_dir,
                             namespace=namespace, max_train_samples=max_train_samples,
                             max_eval_samples=max_eval_samples, epochs=epochs, learning_rate=learning_rate,
                             dataset_revision=dataset_revision,
                             task=task, seed=seed, private=private, progress=progress)
        try:
            result = run(request, on_step=_step, on_note=_note)
        except ValidationFailed as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"dataset: {result.dataset_url}")
    click.echo(f"model:   {result.model_url}")
    click.echo(f"results: {result.results_url}")
