"""``hubkit predict``: a trained text classifier's label and score for texts, a file, or a dataset split.

A sentence-pair model (MRPC, RTE: a cross-encoder) takes each text with its pair, from
``--text-pair``, a file's ``--pair-column``, or the dataset task's ``text_pair`` column.

The first thing a practitioner does with a fine-tuned model is try it on a few sentences, then on
a file. This runs the same deterministic, length-batched inference as evaluation
(:func:`hubkit.train.inference.predict_outputs`), so a text scores the same here as in
``predictions_validation.jsonl``, and keeps the input order.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path
from typing import Any

from hubkit.train.errors import TrainingError

DEFAULT_TEXT_COLUMNS = ("text", "sentence")


@dataclasses.dataclass(frozen=True)
class Prediction:
    """One text's predicted label, its probability, and every label's probability."""

    text: str
    label: str
    score: float
    scores: dict[str, float]
    text_pair: str | None = None

    def as_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        if self.text_pair is None:
            del values["text_pair"]
        return values


def read_text_file(path: Path, text_column: str | None = None) -> list[str]:
    """Texts from ``path``: one per line, or the ``text_column`` of a TSV, CSV or JSONL file.

    A ``.tsv``/``.csv``/``.jsonl`` file without ``text_column`` uses a ``text`` or ``sentence``
    column when it has one, as most sentiment files do.
    """
    table = _table_file(path)
    if table is None:
        if text_column is not None:
            raise TrainingError(f"--text-column applies to .tsv, .csv and .jsonl files, not {path.name}")
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows, names = table
    return _column(rows, names, text_column, path)


def read_pair_file(path: Path, text_column: str | None, pair_column: str) -> tuple[list[str], list[str]]:
    """The texts and their pairs from two columns of a TSV, CSV or JSONL file."""
    table = _table_file(path)
    if table is None:
        raise TrainingError(f"--pair-column applies to .tsv, .csv and .jsonl files, not {path.name}")
    rows, names = table
    if pair_column not in names:
        raise TrainingError(f"{path} has no column {pair_column!r}; pass --pair-column (columns: {', '.join(names)})")
    return _column(rows, names, text_column, path), [str(row[pair_column]) for row in rows]


def _table_file(path: Path) -> tuple[list[dict[str, Any]], list[str]] | None:
    """The rows and column names of a ``.jsonl``, ``.tsv`` or ``.csv`` file; None for plain text."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return rows, list(rows[0]) if rows else []
    if suffix in (".tsv", ".csv"):
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ",")
            rows = list(reader)
            return rows, list(reader.fieldnames or [])
    return None


def _column(rows: list[dict[str, Any]], names: list[str], text_column: str | None, source: object) -> list[str]:
    """The values of the text column, or one line naming the column and the ones that exist."""
    column = text_column or next((n for n in DEFAULT_TEXT_COLUMNS if n in names), None)
    if column is None or column not in names:
        wanted = f"no column {text_column!r}" if text_column else "no text or sentence column"
        raise TrainingError(f"{source} has {wanted}; pass --text-column (columns: {', '.join(names)})")
    return [str(row[column]) for row in rows]


def dataset_texts(name: str, split: str, config: str | None = None, data_dir: str | None = None,
                  revision: str | None = None, text_column: str | None = None,
                  pair_column: str | None = None) -> tuple[list[str], list[str] | None]:
    """The texts of one split of a hubkit builder or a dataset repo, from its task's text column,
    and their pairs (the task's ``text_pair`` column, or ``pair_column``) for sentence-pair tasks."""
    from hubkit.train.data import load_training_data

    loaded = load_training_data(name, config, data_dir, revision)
    if split not in loaded.dataset:
        raise TrainingError(f"dataset {name} has no split {split!r} (splits: {', '.join(loaded.dataset)})")
    rows = loaded.dataset[split]
    column = text_column or loaded.task.columns.get("text")
    texts = _column([{column: t} for t in rows[column]] if column in rows.column_names else [],
                    list(rows.column_names), column, f"dataset {name}")
    pair = pair_column or loaded.task.columns.get("text_pair")
    if pair is None:
        return texts, None
    if pair not in rows.column_names:
        raise TrainingError(f"dataset {name} has no column {pair!r}; pass --pair-column "
                            f"(columns: {', '.join(rows.column_names)})")
    return texts, [str(value) for value in rows[pair]]


def predict(model_id: str, texts: list[str], *, pairs: list[str] | None = None, revision: str | None = None,
            batch_size: int = 32, max_length: int = 512) -> list[Prediction]:
    """Each text's (or text pair's) most probable label under the sequence-classification model ``model_id``."""
    import datasets
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding

    from hubkit.train.inference import predict_outputs
    from hubkit.train.models import resolve_model

    resolved = resolve_model(model_id, revision)
    kwargs = resolved.load_kwargs
    config = AutoConfig.from_pretrained(resolved.load_path, **kwargs)
    architectures = config.architectures or []
    if not any(a.endswith("ForSequenceClassification") for a in architectures):
        raise TrainingError(f"{model_id} is not a text-classification model ({', '.join(architectures) or 'no head'}); "
                            "hubkit predict reads models that hubkit train fine-tuned for text classification")
    tokenizer = AutoTokenizer.from_pretrained(resolved.load_path, **kwargs)
    model = AutoModelForSequenceClassification.from_pretrained(resolved.load_path, **kwargs)
    if pairs is not None and len(pairs) != len(texts):
        raise TrainingError(f"{len(texts)} texts but {len(pairs)} pairs; give one --text-pair per --text")
    encoded = datasets.Dataset.from_dict(dict(tokenizer(texts, pairs, truncation=True, max_length=max_length)))
    outputs = predict_outputs(model, encoded, DataCollatorWithPadding(tokenizer), batch_size)
    names = [config.id2label[i] for i in range(config.num_labels)]
    predictions = []
    for index, (text, output) in enumerate(zip(texts, outputs)):
        probabilities = torch.softmax(torch.from_numpy(output["logits"]), dim=-1).tolist()
        best = max(range(len(names)), key=lambda i: probabilities[i])
        predictions.append(Prediction(text, names[best], probabilities[best], dict(zip(names, probabilities)),
                                      pairs[index] if pairs is not None else None))
    return predictions


def write_predictions(predictions: list[Prediction], output_dir: Path, *, overwrite: bool = False) -> Path:
    """``OUT/predictions.jsonl``, one prediction a line in input order; an existing file needs ``overwrite``."""
    path = output_dir / "predictions.jsonl"
    if path.exists() and not overwrite:
        raise TrainingError(f"{path} already exists; pass --overwrite to replace it")
    output_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".jsonl.partial")
    partial.write_text("".join(json.dumps(p.as_dict(), ensure_ascii=False) + "\n" for p in predictions),
                       encoding="utf-8")
    partial.replace(path)
    return path
