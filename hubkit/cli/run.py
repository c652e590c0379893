"""``hubkit run``: the whole transfer-learning cycle for one dataset, ending on the hub.

prepare -> validate -> push the dataset (Parquet + card) -> fine-tune the baseline -> push the
model with its card -> evaluate the pushed model by its repo id (with provenance) and add the
result to its card. Every step is a library call that the other commands use too; a failing
step stops the run before anything later is pushed.
"""

from __future__ import annotations

import re
from pathlib import Path

import click


def _step(number: int, total: int, text: str) -> None:
    click.secho(f"[{number}/{total}] {text}", fg="cyan", err=True)


@click.command()
@click.argument("dataset")
@click.option("--config", help="Builder config.")
@click.option("--data-dir", help="Folder with the dataset's original files.")
@click.option("--model", help="Base model (default: the dataset's recipe).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where training and evaluation write (default: runs/DATASET).")
@click.option("--namespace", help="Hub namespace to push to (default: the token's user).")
@click.option("--max-train-samples", type=click.IntRange(min=1))
@click.option("--max-eval-samples", type=click.IntRange(min=1))
@click.option("--epochs", type=float)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--private", is_flag=True, help="Create private repos (required for research-only data like CoNLL-2003).")
@click.option("--no-progress", is_flag=True)
def cli(dataset, config, data_dir, model, output_dir, namespace, max_train_samples, max_eval_samples, epochs, seed,
        private, no_progress) -> None:
    """Prepare, validate, train, evaluate, card and push DATASET's baseline; prints the URLs."""
    from hubkit.cli._errors import user_errors
    from hubkit.hub_client import connect

    output_dir = output_dir or Path("runs") / (dataset + (f"-{config}" if config else ""))
    total = 6
    with user_errors():
        connection = connect()
        api = connection.api()
        namespace = namespace or api.whoami()["name"]

        _step(1, total, f"prepare {dataset} from {data_dir or 'its canonical download'}")
        from hubkit.datasets.prepare import prepare
        from hubkit.datasets.validate import validate

        prepared = prepare(dataset, config, data_dir)
        click.echo(", ".join(f"{split}: {size}" for split, size in prepared.split_sizes.items()), err=True)

        _step(2, total, "validate")
        report = validate(prepared)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if not report.ok:
            raise click.ClickException(f"{dataset} failed validation: {report.errors[0]}")

        _step(3, total, "push the dataset")
        from hubkit.datasets.push import push as push_dataset

        dataset_repo = f"{namespace}/{_repo_name(prepared.name, prepared.config_name, config)}"
        push_dataset(prepared, report, api, dataset_repo, private=private or prepared.card.private_only)

        _step(4, total, "fine-tune the baseline")
        from hubkit.train.fine_tune import TrainRequest, fine_tune
        from hubkit.recipes import recipe_for

        recipe = recipe_for(dataset, overrides={"model": model, "epochs": epochs})
        results = fine_tune(TrainRequest(dataset=dataset, config=config, data_dir=data_dir, output_dir=output_dir,
                                         recipe=recipe, seeds=(seed,), max_train_samples=max_train_samples,
                                         max_eval_samples=max_eval_samples, progress=not no_progress))
        primary = results["task"]["primary_metric"]
        for split, scores in results["aggregate"].items():
            if primary in scores:
                click.echo(f"{split} {primary}: {scores[primary]['mean']:.4f}", err=True)

        _step(5, total, "push the model with its card")
        from hubkit.train.publish import push_output

        model_repo = f"{namespace}/{_repo_name(recipe.model.split('/')[-1], prepared.name, config)}"
        push_output(output_dir, model_repo, private=private or prepared.card.private_only)

        _step(6, total, "evaluate the pushed model and add the result to its card")
        from hubkit.evaluation.push import push_evaluation
        from hubkit.evaluation.runner import EvalRequest, evaluate

        split = "test" if "test" in results["aggregate"] else "validation"
        eval_dir = output_dir / f"eval-{split}"
        evaluate(EvalRequest(model=model_repo, dataset=dataset, config=config, split=split, data_dir=data_dir,
                             output_dir=eval_dir, seed=seed, max_samples=max_eval_samples, overwrite=True))
        push_evaluation(eval_dir, api)

    endpoint = connection.endpoint
    click.echo(f"dataset: {endpoint}/datasets/{dataset_repo}")
    click.echo(f"model:   {endpoint}/{model_repo}")
    click.echo(f"results: {endpoint}/{model_repo}/resolve/main/results.json")


def _repo_name(*parts: str | None) -> str:
    name = "-".join(dict.fromkeys(p for p in parts if p))
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:96]
