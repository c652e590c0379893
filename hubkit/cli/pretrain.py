"""``hubkit pretrain``: masked or causal language modelling on a raw-text corpus."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("corpus")
@click.option("--text-column", metavar="NAME",
              help="The column of a dataset repo, or field of .jsonl lines, holding the text [default: text].")
@click.option("--dataset-revision", metavar="REV", help="Branch, tag or commit of the corpus repo (pinned to its sha).")
@click.option("--dataset-config", metavar="NAME", help="Config of the corpus repo [default: its default].")
@click.option("--dataset-split", metavar="NAME", help="Split of the corpus repo to train on [default: train].")
@click.option("--streaming", is_flag=True,
              help="Read the corpus as a stream, as it is needed (a repo is not downloaded first); needs --max-steps.")
@click.option("--validation-split", metavar="NAME",
              help="Split of the corpus repo to validate on [default: validation when it has one, "
                   "else its held-out end].")
@click.option("--objective", type=click.Choice(["mlm", "clm"]), required=True,
              help="mlm: masked LM (BERT); clm: causal LM (GPT-2).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="New or empty folder for the model, tokenizer and results.json.")
@click.option("--from", "from_model", metavar="ID",
              help="Continue pre-training this checkpoint (hub id or folder); default for mlm: all-MiniLM-L6-v2.")
@click.option("--size", type=click.Choice(["tiny", "small"]), help="Start from scratch: BERT (mlm) or GPT-2 (clm).")
@click.option("--tokenizer", metavar="ID", help="Use this tokenizer (hub id or folder) instead of training one.")
@click.option("--train-tokenizer", is_flag=True,
              help="Train WordPiece (mlm) or byte-level BPE (clm) on the corpus (default with --size).")
@click.option("--vocab-size", type=click.IntRange(min=1), help="Vocabulary of the trained tokenizer (default 8000).")
@click.option("--epochs", type=click.FloatRange(min=0, min_open=True), help="Default 1 (--from) or 3 (--size).")
@click.option("--block-size", type=click.IntRange(min=8), default=128, show_default=True, help="Tokens per block.")
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True)
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True),
              help="Default 5e-5 (--from) or 5e-4 (--size).")
@click.option("--warmup-ratio", type=click.FloatRange(0, 1, max_open=True), default=0.06, show_default=True)
@click.option("--weight-decay", type=click.FloatRange(min=0), default=0.01, show_default=True)
@click.option("--mlm-probability", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.15,
              show_default=True, help="Share of tokens masked (mlm).")
@click.option("--max-train-samples", type=click.IntRange(min=1), help="Use only the first N training documents.")
@click.option("--validation-fraction", type=click.FloatRange(0, 0.5, min_open=True), default=0.05, show_default=True,
              help="Held-out end of the corpus for validation perplexity (by characters; by rows for a repo "
                   "without a validation split).")
@click.option("--max-steps", type=click.IntRange(min=1),
              help="Train for N optimizer steps instead of epochs (a corpus read once; required with --streaming).")
@click.option("--save-steps", type=click.IntRange(min=1), help="Checkpoint (and evaluate) every N steps.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last checkpoint, mid-stream.")
@click.option("--tokenizer-sample-docs", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Train the tokenizer on at most the first N training documents.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--bootstrap-resamples", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bars (logs still go to train_log.jsonl).")
def cli(corpus, text_column, dataset_revision, dataset_config, dataset_split, streaming, validation_split, objective,
        output_dir, from_model, size, tokenizer, train_tokenizer, vocab_size, epochs, block_size,
        batch_size, learning_rate, warmup_ratio, weight_decay, mlm_probability, max_train_samples,
        validation_fraction, max_steps, save_steps, resume, tokenizer_sample_docs, seed, bootstrap_resamples,
        no_progress) -> None:
    """Pre-train a language model on CORPUS: a text file, a folder of .txt, .txt.gz and .jsonl files,
    or a dataset repo NS/NAME on the hub.

    Continue a checkpoint (--from) or start from scratch (--size) with a tokenizer trained on the
    corpus. Reports validation perplexity before and after; OUT can then be fine-tuned with
    `hubkit train DATASET --model OUT`.

    \b
    Examples:
      hubkit pretrain reviews.txt --objective mlm --from sentence-transformers/all-MiniLM-L6-v2 --output-dir mlm
      hubkit pretrain input.txt --objective clm --size tiny --train-tokenizer --output-dir gpt
      hubkit pretrain acme/web-text --text-column text --streaming --objective clm --size tiny --output-dir gpt
      torchrun --nproc_per_node 2 -m hubkit.cli pretrain big.txt --objective clm --size small --max-steps 10000 \\
        --save-steps 500 --output-dir gpt
    """
    from hubkit.cli._console import quiet_libraries, show_progress
    from hubkit.train.errors import TrainingInterrupted
    from hubkit.train.pretrain import PretrainRequest, is_main_process, pretrain

    if not show_progress(no_progress):
        quiet_libraries()

    request = PretrainRequest(
        corpus=corpus, output_dir=output_dir, objective=objective, from_model=from_model, size=size,
        tokenizer=tokenizer, train_tokenizer=train_tokenizer, vocab_size=vocab_size, epochs=epochs,
        block_size=block_size, batch_size=batch_size, learning_rate=learning_rate, warmup_ratio=warmup_ratio,
        weight_decay=weight_decay, mlm_probability=mlm_probability, max_train_samples=max_train_samples,
        validation_fraction=validation_fraction, seed=seed, n_resamples=bootstrap_resamples, progress=not no_progress,
        text_column=text_column, dataset_revision=dataset_revision, dataset_config=dataset_config,
        dataset_split=dataset_split, streaming=streaming, validation_split=validation_split, max_steps=max_steps,
        save_steps=save_steps, resume=resume, tokenizer_sample_docs=tokenizer_sample_docs)
    try:
        results = pretrain(request)
    except TrainingInterrupted as stop:
        message = (f"interrupted at step {stop.step}, before the first checkpoint; nothing to resume"
                   if stop.checkpoint_step is None else
                   f"interrupted at step {stop.step} (last checkpoint: step {stop.checkpoint_step}); "
                   "rerun the same command with --resume to continue")
        click.echo(message, err=True)
        click.get_current_context().exit(130)
    except _expected_errors() as exc:
        message = str(exc).strip()
        raise click.ClickException(message.splitlines()[0] if message else type(exc).__name__) from None
    if not is_main_process():
        return
    validation = results["per_seed"][0]["metrics"]["validation"]
    interval = validation.get("confidence_intervals", {}).get("perplexity")
    shown = f" (95% CI {interval[0]:.2f}-{interval[1]:.2f})" if interval else ""
    click.echo(results["corpus"]["description"])
    click.echo(f"validation perplexity: {validation['perplexity']:.2f}{shown}, "
               f"at init {validation['perplexity_at_init']:.2f}")
    click.echo(f"model and tokenizer saved to {output_dir}")


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Failures a person can act on (printed as one line); anything else is a bug and keeps its traceback."""
    from huggingface_hub.errors import HfHubHTTPError

    from hubkit.hub_client import HubConnectionError
    from hubkit.train.errors import TrainingError

    return TrainingError, HubConnectionError, HfHubHTTPError, ValueError, LookupError, OSError
