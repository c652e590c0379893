"""``hubkit predict``: try a trained classifier on texts (or text pairs), a file, or a dataset split."""

from __future__ import annotations

from pathlib import Path

import click

from hubkit.cli._errors import user_errors


@click.command()
@click.argument("model")
@click.option("--revision", help="Model revision on the hub (branch, tag or sha).")
@click.option("--text", "texts", multiple=True, help="A text to classify (repeatable).")
@click.option("--text-pair", "text_pairs", multiple=True,
              help="With a sentence-pair model: the second text of each --text, in the same order.")
@click.option("--file", "file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="One text per line, or a .tsv/.csv/.jsonl file read by --text-column.")
@click.option("--dataset", help="A hubkit builder or dataset repo NS/NAME whose --split to classify.")
@click.option("--split", help="With --dataset: the split (e.g. validation).")
@click.option("--config", help="With --dataset: the builder or repo config.")
@click.option("--data-dir", help="With --dataset: the builder's original files.")
@click.option("--text-column", help="Column holding the text (default: text or sentence, or the dataset's text).")
@click.option("--pair-column", help="Column holding each text's pair, for a sentence-pair model "
              "(default with --dataset: the dataset's text_pair column).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write OUT/predictions.jsonl instead of printing.")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT/predictions.jsonl.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--max-length", type=click.IntRange(min=8), default=512, show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bars (the default when stdout is not a terminal).")
def cli(model, revision, texts, text_pairs, file, dataset, split, config, data_dir, text_column, pair_column,
        output_dir, overwrite, batch_size, max_length, no_progress) -> None:
    """Print MODEL's label and score for each text (MODEL: a local folder or a hub repo id).

    \b
    hubkit predict runs/sst2 --text "a wonderful film" --text "a dull mess"
    hubkit predict alice/sst2-minilm --file reviews.tsv --text-column review --output-dir preds
    hubkit predict runs/sst2 --dataset sst2 --data-dir SST-2 --split validation
    hubkit predict runs/mrpc --text "He left." --text-pair "He went away."
    """
    from hubkit.cli._console import quiet_libraries, show_progress

    with user_errors():
        inputs, pairs = _texts(texts, text_pairs, file, dataset, split, config, data_dir, text_column, pair_column)
        if not show_progress(no_progress):
            quiet_libraries()
        from hubkit.train.predict import predict, write_predictions

        predictions = predict(model, inputs, pairs=pairs, revision=revision, batch_size=batch_size,
                              max_length=max_length)
        if output_dir is not None:
            path = write_predictions(predictions, output_dir, overwrite=overwrite)
            click.echo(f"wrote {len(predictions)} predictions to {path}")
            return
        for prediction in predictions:
            pair = "" if prediction.text_pair is None else f"\t{prediction.text_pair}"
            click.echo(f"{prediction.label}\t{prediction.score:.4f}\t{prediction.text}{pair}")


def _texts(texts, text_pairs, file, dataset, split, config, data_dir, text_column,
           pair_column) -> tuple[list[str], list[str] | None]:
    """The texts to classify and their pairs (None: single texts), from exactly one of --text, --file and --dataset."""
    given = [name for name, value in (("--text", texts), ("--file", file), ("--dataset", dataset)) if value]
    if len(given) != 1:
        raise click.UsageError("give texts with one of --text, --file or --dataset")
    if dataset is None and (split or config or data_dir):
        raise click.UsageError("--split, --config and --data-dir apply to --dataset")
    if text_pairs and not texts:
        raise click.UsageError("--text-pair goes with --text; use --pair-column with --file or --dataset")
    if texts:
        if text_column or pair_column:
            raise click.UsageError("--text-column and --pair-column apply to --file and --dataset")
        if text_pairs and len(text_pairs) != len(texts):
            raise click.UsageError(f"{len(texts)} --text but {len(text_pairs)} --text-pair; give one pair per text")
        return list(texts), list(text_pairs) or None
    if file is not None:
        from hubkit.train.predict import read_pair_file, read_text_file

        if pair_column:
            return read_pair_file(file, text_column, pair_column)
        return read_text_file(file, text_column), None
    if not split:
        raise click.UsageError("--dataset needs --split (e.g. --split validation)")
    from hubkit.train.predict import dataset_texts

    return dataset_texts(dataset, split, config, data_dir, text_column=text_column, pair_column=pair_column)
