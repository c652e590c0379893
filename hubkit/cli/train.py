"""``hubkit train``: fine-tune a baseline on a hubkit builder's data or on a dataset repo ``NS/NAME``."""

from __future__ import annotations

import shlex
import sys
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
@click.option("--doc-stride", type=click.IntRange(min=1), help="Question answering: overlap of context windows.")
@click.option("--max-answer-length", type=click.IntRange(min=1), help="Question answering: longest answer, in tokens.")
@click.option("--n-best", type=click.IntRange(min=1), help="Question answering: start/end candidates per window.")
@click.option("--block-size", type=click.IntRange(min=8), help="Language modelling: tokens per training block.")
@click.option("--mlm-probability", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Masked language modelling: share of tokens masked.")
@click.option("--recipe-file", type=click.Path(dir_okay=False, exists=True), help="YAML/JSON recipe overrides.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last checkpoint.")
@click.option("--overwrite", is_flag=True, help="Replace an earlier run in --output-dir (checkpoints, log, results).")
@click.option("--dry-run", is_flag=True, help="Print the effective recipe and where each value came from; train nothing.")
@click.option("--bf16", "precision", flag_value="bf16", help="Train in bfloat16 mixed precision.")
@click.option("--fp16", "precision", flag_value="fp16", help="Train in float16 mixed precision (CUDA only).")
@click.option("--gradient-accumulation-steps", type=click.IntRange(min=1), default=1, show_default=True,
              help="Sum gradients over N batches per optimizer step (effective batch = N x --batch-size).")
@click.option("--eval-steps", type=click.IntRange(min=1), help="Evaluate every N steps (default: every epoch).")
@click.option("--save-steps", type=click.IntRange(min=1), help="Save a checkpoint every N steps (default: every epoch).")
@click.option("--checkpoint-minutes", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True,
              help="Also save a checkpoint when this many minutes passed since the last one.")
@click.option("--report-to", type=click.Choice(["none", "tensorboard", "trackio"]), default="none", show_default=True,
              help="Send the Trainer's logs to this tracker too (its package must be installed).")
@click.option("--push-to", help="Push model, tokenizer, arguments, results and card to this repo "
              "(NAMESPACE/NAME; a bare NAME means the token's user).")
@click.option("--private", is_flag=True, help="Create the pushed repo private.")
@click.option("--bootstrap-resamples", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--no-progress", is_flag=True,
              help="No progress bars, one line per logging interval (the default when stdout is not a terminal).")
def cli(dataset, config, data_dir, dataset_revision, task_flags, model, output_dir, seed, seeds, max_train_samples,
        max_eval_samples, epochs, batch_size, learning_rate, max_length, warmup_ratio, weight_decay, pair_mode,
        early_stopping_patience, doc_stride, max_answer_length, n_best, block_size, mlm_probability, recipe_file,
        resume, overwrite, dry_run, precision, gradient_accumulation_steps, eval_steps, save_steps, checkpoint_minutes,
        report_to, push_to, private, bootstrap_resamples, no_progress) -> None:
    """Fine-tune a baseline for DATASET and evaluate it; writes OUT/results.json.

    DATASET is a hubkit builder (its original files under --data-dir) or a dataset repo NS/NAME,
    read at --dataset-revision (default main), whose card says the task (or pass --task and the
    column flags). Ctrl-C stops with the command that resumes from the last checkpoint.

    \b
    hubkit train sst2 --data-dir SST-2 --output-dir runs/sst2
    hubkit train sst2 --data-dir SST-2 --output-dir runs/sst2 --dry-run
    hubkit train alice/reviews --output-dir runs/reviews --epochs 1 --save-steps 200
    """
    from hubkit.cli._console import quiet_libraries, show_progress
    from hubkit.cli._errors import user_errors
    from hubkit.recipes import recipe_for

    seed_list = parse_seeds(seed, seeds)
    overrides = {"model": model, "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
                 "max_length": max_length, "warmup_ratio": warmup_ratio, "weight_decay": weight_decay,
                 "pair_mode": pair_mode, "early_stopping_patience": early_stopping_patience,
                 "doc_stride": doc_stride, "max_answer_length": max_answer_length, "n_best": n_best,
                 "block_size": block_size, "mlm_probability": mlm_probability}
    with user_errors():
        from hubkit.train.runner import TrainerOptions

        options = TrainerOptions(precision=precision, gradient_accumulation_steps=gradient_accumulation_steps,
                                 eval_steps=eval_steps, save_steps=save_steps, report_to=report_to,
                                 checkpoint_minutes=checkpoint_minutes)
        task, prepare_options = task_and_options(dataset, task_flags)
        recipe = recipe_for(dataset, recipe_file, overrides)
        if dry_run:
            _print_dry_run(dataset, recipe_file, overrides, recipe, options, seed_list, output_dir)
            return
        if push_to:  # before training: a name that cannot be completed should not cost a run
            push_to = _full_push_target(push_to)
        progress = show_progress(no_progress)
        if not progress:
            quiet_libraries()
        results = _interruptible(lambda: run_training(
            dataset, config, data_dir, output_dir, recipe, seed_list, max_train_samples, max_eval_samples, resume,
            bootstrap_resamples, progress, dataset_revision=dataset_revision, task=task,
            prepare_options=prepare_options, overwrite=overwrite, options=options))
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


def _full_push_target(push_to: str) -> str:
    """``NAME`` means the token user's ``NAME``, as on the Hub; says which id that became."""
    from hubkit.hub_client import connect
    from hubkit.repo_ids import full_repo_id

    full = full_repo_id(push_to, connect().api())
    if full != push_to:
        click.echo(f"using repo {full} (the token's user)")
    return full


def run_training(dataset, config, data_dir, output_dir, recipe, seeds, max_train_samples, max_eval_samples, resume,
                 n_resamples, progress, dataset_revision=None, task=None, prepare_options=None, overwrite=False,
                 options=None):
    from hubkit.train.fine_tune import TrainRequest, fine_tune

    return fine_tune(TrainRequest(dataset=dataset, config=config, data_dir=data_dir, output_dir=output_dir,
                                  recipe=recipe, seeds=seeds, max_train_samples=max_train_samples,
                                  max_eval_samples=max_eval_samples, resume=resume, n_resamples=n_resamples,
                                  progress=progress, dataset_revision=dataset_revision, task=task,
                                  prepare_options=dict(prepare_options or {}), overwrite=overwrite,
                                  options=options))


def resume_command(argv: list[str]) -> str:
    """The command line that continues this run: the same arguments, ``--resume`` added, ``--overwrite``
    (which would delete the checkpoints) dropped."""
    args = [a for a in argv if a != "--overwrite"]
    if "--resume" not in args:
        args.append("--resume")
    return shlex.join(["hubkit", "train", *args])


def _interruptible(train):
    """Run ``train``; Ctrl-C ends the command with one line saying how to resume, and status 130.

    Without this click prints only "Aborted!" and exits 1, and the user has to guess that
    ``--resume`` exists and whether any checkpoint was written.
    """
    from hubkit.train.errors import TrainingInterrupted

    args = sys.argv[sys.argv.index("train") + 1:] if "train" in sys.argv else sys.argv[1:]
    try:
        return train()
    except TrainingInterrupted as stop:
        if stop.checkpoint_step is None:
            message = f"interrupted at step {stop.step}, before the first checkpoint; rerun with --overwrite to start over"
        else:
            message = (f"interrupted at step {stop.step} (last checkpoint: step {stop.checkpoint_step}); "
                       f"resume with: {resume_command(args)}")
    except KeyboardInterrupt:
        message = "interrupted before training started; nothing to resume"
    click.echo(message, err=True)
    click.get_current_context().exit(130)


def _print_dry_run(dataset, recipe_file, overrides, recipe, options, seeds, output_dir) -> None:
    """The recipe and trainer settings a run would use, each with where it came from; trains nothing."""
    from hubkit.recipes import recipe_sources
    from hubkit.train.runner import DEFAULT_CHECKPOINT_MINUTES, TrainerOptions, check_report_to, resolve_precision

    bf16, fp16 = resolve_precision(options.precision)
    check_report_to(options.report_to)
    sources = recipe_sources(dataset, recipe_file, overrides)
    rows = [(name, value, sources[name]) for name, value in recipe.as_dict().items()]
    defaults = TrainerOptions()
    rows.append(("precision", "bfloat16" if bf16 else "float16" if fp16 else "float32",
                 "--" + options.precision if options.precision else "this device"))
    for name, value in options.as_dict().items():
        if name != "precision":
            rows.append((name, value, "default" if value == getattr(defaults, name) else "--" + name.replace("_", "-")))
    rows.append(("seeds", ",".join(map(str, seeds)), "default" if seeds == (42,) else "--seed/--seeds"))
    click.echo(f"hubkit train {dataset} --dry-run: would write {output_dir}; nothing trained")
    width, value_width = max(len(row[0]) for row in rows), max(len(str(row[1])) for row in rows)
    for name, value, source in rows:
        click.echo(f"  {name:<{width}}  {value!s:<{value_width}}  {source}")
    if options.checkpoint_minutes == DEFAULT_CHECKPOINT_MINUTES and options.save_steps is None:
        click.echo(f"  checkpoints: every epoch and every {DEFAULT_CHECKPOINT_MINUTES:g} minutes")


def _print_summary(results: dict) -> None:
    primary = results["task"]["primary_metric"]
    for split, scores in results["aggregate"].items():
        value = scores.get(primary)
        if value:
            click.echo(f"{split} {primary}: {value['mean']:.4f} ± {value['std']:.4f} (seeds {results['seeds']})")
