"""``hubkit train``: fine-tune a baseline on a hubkit builder's data or on a dataset repo ``NS/NAME``."""

from __future__ import annotations

from pathlib import Path

import click

from hubkit.cli._dataset_options import dataset_revision_option, task_and_options, task_options


def parse_seeds(seed: int | None, seeds: str | None) -> tuple[int, ...]:
    if seed is not None and seeds:
        raise click.UsageError("pass --seed or --seeds, not both")
    if seeds:
        try:
            values = tuple(int(s) for s in seeds.split(",") if s.strip())
        except ValueError:
            raise click.BadParameter(f"expected comma-separated integers, got {seeds!r}", param_hint="--seeds") from None
        if not values or len(set(values)) != len(values):
            raise click.BadParameter("give distinct seeds, e.g. 1,2,3", param_hint="--seeds")
        return values
    return (42 if seed is None else seed,)


@click.command()
@click.argument("dataset")
@click.option("--config", help="Builder config (e.g. es or nl for conll2002), or the dataset repo's config.")
@click.option("--data-dir", help="Folder with the dataset's original files.")
@dataset_revision_option
@task_options
@click.option("--model", help="Model id on the hub or a local folder (default: the dataset's recipe).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--seed", type=int, help="Random seed (default 42).")
@click.option("--seeds", help="Train once per seed, e.g. 1,2,3, and report mean ± std.")
@click.option("--max-train-samples", type=click.IntRange(min=1), help="Use only the first N training examples.")
@click.option("--max-eval-samples", type=click.IntRange(min=1), help="Score only the first N examples of each split.")
@click.option("--epochs", type=float, help="Training epochs (overrides the recipe).")
@click.option("--batch-size", type=click.IntRange(min=1))
@click.option("--learning-rate", type=float)
@click.option("--max-length", type=click.IntRange(min=8))
@click.option("--warmup-ratio", type=click.FloatRange(0, 1))
@click.option("--weight-decay", type=click.FloatRange(min=0))
@click.option("--pair-mode", type=click.Choice(["cross-encoder", "bi-encoder"]))
@click.option("--early-stopping-patience", type=click.IntRange(min=0))
@click.option("--recipe-file", type=click.Path(dir_okay=False, exists=True), help="YAML/JSON recipe overrides.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last checkpoint.")
@click.option("--push-to", help="Push model, tokenizer, arguments, results and card to this repo.")
@click.option("--private", is_flag=True, help="Create the pushed repo private.")
@click.option("--bootstrap-resamples", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bars (logs still go to train_log.jsonl).")
def cli(dataset, config, data_dir, dataset_revision, task_flags, model, output_dir, seed, seeds, max_train_samples,
        max_eval_samples, epochs, batch_size, learning_rate, max_length, warmup_ratio, weight_decay, pair_mode,
        early_stopping_patience, recipe_file, resume, push_to, private, bootstrap_resamples, no_progress) -> None:
    """Fine-tune a baseline for DATASET and evaluate it; writes OUT/results.json.

    DATASET is a hubkit builder (its original files under --data-dir) or a dataset repo NS/NAME,
    read at --dataset-revision (default main), whose card says the task (or pass --task and the
    column flags).
    """
    from hubkit.cli._errors import user_errors
    from hubkit.recipes import recipe_for

    seed_list = parse_seeds(seed, seeds)
    overrides = {"model": model, "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
                 "max_length": max_length, "warmup_ratio": warmup_ratio, "weight_decay": weight_decay,
                 "pair_mode": pair_mode, "early_stopping_patience": early_stopping_patience}
    with user_errors():
        task, prepare_options = task_and_options(dataset, task_flags)
        recipe = recipe_for(dataset, recipe_file, overrides)
        results = run_training(dataset, config, data_dir, output_dir, recipe, seed_list, max_train_samples,
                               max_eval_samples, resume, bootstrap_resamples, not no_progress,
                               dataset_revision=dataset_revision, task=task, prepare_options=prepare_options)
        from hubkit.train.fine_tune import is_main_process

        if not is_main_process():
            return
        _print_summary(results)
        from hubkit.train.publish import write_card

        write_card(output_dir)
        if push_to:
            from hubkit.train.publish import push_output

            pushed = push_output(output_dir, push_to, private=private)
            if pushed.changed:
                click.echo(f"pushed to {pushed.repo_url}")
                click.echo(pushed.commit_url)
            else:
                click.echo(f"nothing changed; {push_to} is already at {pushed.commit}")
                click.echo(pushed.repo_url)


def run_training(dataset, config, data_dir, output_dir, recipe, seeds, max_train_samples, max_eval_samples, resume,
                 n_resamples, progress, dataset_revision=None, task=None, prepare_options=None):
    from hubkit.train.fine_tune import TrainRequest, fine_tune

    return fine_tune(TrainRequest(dataset=dataset, config=config, data_dir=data_dir, output_dir=output_dir,
                                  recipe=recipe, seeds=seeds, max_train_samples=max_train_samples,
                                  max_eval_samples=max_eval_samples, resume=resume, n_resamples=n_resamples,
                                  progress=progress, dataset_revision=dataset_revision, task=task,
                                  prepare_options=dict(prepare_options or {})))


def _print_summary(results: dict) -> None:
    primary = results["task"]["primary_metric"]
    for split, scores in results["aggregate"].items():
        value = scores.get(primary)
        if value:
            click.echo(f"{split} {primary}: {value['mean']:.4f} ± {value['std']:.4f} (seeds {results['seeds']})")
