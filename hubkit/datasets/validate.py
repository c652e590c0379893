"""Checks that a prepared dataset is fit to publish.

Errors make the data wrong to train or evaluate on (an empty split, a label outside its
``ClassLabel``, an empty text, a broken IOB2 sequence, a SQuAD answer that is not where it says);
warnings are facts a user should know but may accept (texts shared between train and evaluation
splits, i.e. leakage; unlabelled rows). The report also carries the label distribution, and the
known flaws the builder read past in the source files (:mod:`hubkit.datasets.anomalies`): warnings,
or errors for ``--strict``, each naming its file and line.
"""

from __future__ import annotations

import dataclasses
import datasets
import pyarrow as pa
import pyarrow.compute as pc

from hubkit.datasets import iob
from hubkit.datasets.anomalies import Anomaly
from hubkit.datasets.prepare import Prepared
from hubkit.datasets.spec import TaskSpec

UNLABELLED = -1
EVALUATION_SPLITS = ("validation", "test")


@dataclasses.dataclass
class Report:
    errors: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    split_sizes: dict[str, int] = dataclasses.field(default_factory=dict)
    # split -> label name -> count (tags for token classification); unlabelled rows count as "(none)".
    label_distribution: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    # evaluation split -> rows whose text also appears in train
    leakage: dict[str, int] = dataclasses.field(default_factory=dict)
    # Known flaws of the source files, read past while building; kept apart from ``warnings`` because
    # a real corpus can have thousands, which the card summarises instead of listing.
    anomalies: list[Anomaly] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(prepared: Prepared, strict: bool = False) -> Report:
    """Check ``prepared``; with ``strict`` each known flaw of its source files is an error too."""
    report = Report(split_sizes=prepared.split_sizes, anomalies=list(prepared.anomalies))
    if strict:
        report.errors += [f"{anomaly} (refused because of --strict)" for anomaly in prepared.anomalies]
    task = prepared.task
    for split, dataset in prepared.dataset.items():
        if len(dataset) == 0:
            report.errors.append(f"split '{split}' is empty")
            continue
        _check_class_labels(split, dataset, report)
        _check_texts(split, dataset, task.text_columns(), task.family, report)
        if task.family == "token-classification":
            _check_tags(split, dataset, task.columns["tokens"], task.columns["tags"], report)
        if task.family == "question-answering":
            _check_answers(split, dataset, task.columns["context"], task.columns["answers"], report)
    label_column = task.columns.get("label") or task.columns.get("tags")
    if label_column:
        report.label_distribution = {split: _distribution(dataset, label_column)
                                     for split, dataset in prepared.dataset.items()}
    _check_leakage(prepared.dataset, _duplicate_key_columns(task), report)
    return report


def _class_label_columns(features: datasets.Features) -> dict[str, datasets.ClassLabel]:
    found = {}
    for name, feature in features.items():
        inner = feature.feature if isinstance(feature, datasets.List) else feature
        if isinstance(inner, datasets.ClassLabel):
            found[name] = inner
    return found


def _flat(dataset: datasets.Dataset, column: str) -> pa.Array:
    values = dataset.data.column(column).combine_chunks()
    return pc.list_flatten(values) if pa.types.is_list(values.type) else values


def _check_class_labels(split: str, dataset: datasets.Dataset, report: Report) -> None:
    for column, feature in _class_label_columns(dataset.features).items():
        values = _flat(dataset, column)
        if _no_classes(split, column, feature, values, report):
            continue
        outside = pc.or_(pc.less(values, UNLABELLED), pc.greater_equal(values, feature.num_classes))
        bad = pc.sum(outside).as_py() or 0
        if bad:
            example = values.filter(outside)[0].as_py()
            report.errors.append(f"split '{split}', column '{column}': {bad} labels outside the ClassLabel's "
                                 f"0..{feature.num_classes - 1} (e.g. {example})")
        unlabelled = pc.sum(pc.equal(values, UNLABELLED)).as_py() or 0
        if unlabelled and unlabelled != len(values):
            report.warnings.append(f"split '{split}', column '{column}': {unlabelled} of {len(values)} rows "
                                   "are unlabelled (-1)")


def _no_classes(split: str, column: str, feature: datasets.ClassLabel, values: pa.Array, report: Report) -> bool:
    """Record an error when nothing can be learnt from the column: a ClassLabel without names, or a
    train split whose every label is -1. Both are what a misspelt label column builds, so they must
    not pass as "valid". (An evaluation split with no labels is normal: GLUE's test splits.)"""
    if feature.num_classes == 0:
        report.errors.append(f"split '{split}', column '{column}': the ClassLabel has no class names "
                             "(is the label column right?)")
        return True
    if split == "train" and len(values) and (pc.sum(pc.equal(values, UNLABELLED)).as_py() or 0) == len(values):
        report.errors.append(f"split '{split}', column '{column}': every label is -1 (unlabelled); "
                             "is the label column right?")
        return True
    return False


def _check_texts(split: str, dataset: datasets.Dataset, columns: list[str], family: str, report: Report) -> None:
    for column in columns:
        blank = pc.equal(pc.utf8_trim_whitespace(dataset.data.column(column)), "")
        count = pc.sum(blank).as_py() or 0
        if not count:
            continue
        row = pc.index(blank.combine_chunks(), True).as_py()
        message = f"split '{split}', column '{column}': {count} empty texts (first at row {row})"
        if family == "language-modeling":
            report.warnings.append(message + "; kept as paragraph breaks")
        else:
            report.errors.append(message)


def _check_tags(split: str, dataset: datasets.Dataset, tokens_column: str, tags_column: str,
                report: Report) -> None:
    names = dataset.features[tags_column].feature.names
    mismatched, broken, empty, first = 0, 0, 0, None
    for row, (tokens, tags) in enumerate(zip(dataset[tokens_column], dataset[tags_column])):
        if not tokens or any(not token.strip() for token in tokens):
            empty += 1
        if len(tokens) != len(tags):
            mismatched += 1
        positions = iob.iob2_errors([names[tag] if 0 <= tag < len(names) else "?" for tag in tags])
        if positions:
            broken += 1
            first = first or (row, positions[0])
    if empty:
        report.errors.append(f"split '{split}': {empty} sentences with no tokens or an empty token")
    if mismatched:
        report.errors.append(f"split '{split}': {mismatched} sentences with a different number of tokens and tags")
    if broken:
        report.errors.append(f"split '{split}', column '{tags_column}': {broken} sentences are not well-formed "
                             f"IOB2 (first: row {first[0]}, token {first[1]})")


def _check_answers(split: str, dataset: datasets.Dataset, context_column: str, answers_column: str,
                   report: Report) -> None:
    wrong, first = 0, None
    for row, (context, answers) in enumerate(zip(dataset[context_column], dataset[answers_column])):
        for text, start in zip(answers["text"], answers["answer_start"]):
            if context[start:start + len(text)] != text:
                wrong += 1
                first = first or (row, text, start)
    if wrong:
        report.errors.append(f"split '{split}': {wrong} answers are not found in their context at answer_start "
                             f"(first: row {first[0]}, {first[1]!r} at {first[2]})")


def _distribution(dataset: datasets.Dataset, column: str) -> dict[str, int]:
    feature = dataset.features[column]
    names = (feature.feature if isinstance(feature, datasets.List) else feature).names
    counts = pc.value_counts(_flat(dataset, column)).to_pylist()
    distribution = {}
    for item in sorted(counts, key=lambda item: item["values"]):
        value = item["values"]
        distribution[names[value] if 0 <= value < len(names) else "(none)"] = item["counts"]
    return distribution


def _duplicate_key_columns(task: TaskSpec) -> list[str]:
    """The columns whose joint value identifies an example's input, for the leakage check."""
    if task.family == "token-classification":
        return [task.columns["tokens"]]
    if task.family == "language-modeling":
        return []  # lines of running text repeat by nature (headings, blank lines)
    return task.text_columns()


def _check_leakage(dataset: datasets.DatasetDict, columns: list[str], report: Report) -> None:
    if not columns or "train" not in dataset:
        return
    train_keys = set(_keys(dataset["train"], columns))
    for split in EVALUATION_SPLITS:
        if split not in dataset:
            continue
        leaked = sum(1 for key in _keys(dataset[split], columns) if key in train_keys)
        report.leakage[split] = leaked
        if leaked:
            report.warnings.append(f"leakage: {leaked} of {len(dataset[split])} '{split}' rows have an exact "
                                   f"duplicate text in 'train'")


def _keys(dataset: datasets.Dataset, columns: list[str]) -> list[tuple]:
    values = [dataset[column] for column in columns]
    return [tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in zip(*values)]
