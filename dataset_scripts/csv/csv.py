"""A contributor's own CSV, TSV or JSON Lines files, for data that has no builder yet.

Layout: under ``--data-dir``, ``train.<ext>`` and optionally ``validation.<ext>`` (or ``dev``/``valid``)
and ``test.<ext>``, where ``<ext>`` is ``csv``, ``tsv`` or ``jsonl``; or ``--data-dir`` names one such
file, which is the train split. ``--validation-fraction F`` carves a validation split out of train
(a seeded shuffle, so the same file always gives the same split) when there is no validation file.
``--text-column`` names one text column (or two, for sentence pairs); ``--label-column`` names the
label, which the train file must have: a typo there would otherwise build a dataset with no classes.
Class names are the distinct label values, sorted (numerically when all are integers). An evaluation
split without the label column, or a row with an empty label, is unlabelled (label -1).
``--license``, ``--pretty-name`` and ``--homepage`` are the card's facts, which only the user knows.
A line of spaces or tabs between rows and a byte-order mark inside a file are read past and recorded
as known flaws (:mod:`hubkit.datasets.anomalies`).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets

from hubkit.datasets.anomalies import AnomalyLog
from hubkit.datasets.builder import HubkitBuilder
from hubkit.datasets.errors import DatasetError, SourceFileError
from hubkit.datasets.sources import iter_lines, read_text
from hubkit.datasets.spec import CardInfo, TaskSpec

SPLIT_NAMES = {datasets.Split.TRAIN: ("train",), datasets.Split.VALIDATION: ("validation", "dev", "valid"),
               datasets.Split.TEST: ("test",)}
EXTENSIONS = ("csv", "tsv", "jsonl")


@dataclasses.dataclass
class CsvConfig(datasets.BuilderConfig):
    """Which columns hold the text(s) and the label, how to carve a validation split, and card facts."""

    text_columns: tuple[str, ...] = ("text",)
    label_column: str = "label"
    validation_fraction: float | None = None
    split_seed: int = 42
    license: str = "unknown"
    pretty_name: str = ""
    homepage: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.text_columns, str):
            self.text_columns = (self.text_columns,)
        self.text_columns = tuple(self.text_columns)
        if not 1 <= len(self.text_columns) <= 2:
            raise ValueError(f"give one or two text columns, not {len(self.text_columns)}")
        if self.validation_fraction is not None and not 0 < self.validation_fraction < 1:
            raise ValueError(f"--validation-fraction must be between 0 and 1 (exclusive), not "
                             f"{self.validation_fraction}")


class Csv(HubkitBuilder):
    VERSION = datasets.Version("1.0.0")
    BUILDER_CONFIG_CLASS = CsvConfig
    LAYOUT = "train.csv|tsv|jsonl, optional validation.* (or dev.*) and test.*"
    TASK = TaskSpec("text-classification", {"text": "text", "label": "label"})
    CARD = CardInfo(
        pretty_name="Text classification data", description="A contributor's text classification data.",
        homepage="", citation="", license="unknown", language=(), task_categories=("text-classification",))

    def card_info(self) -> CardInfo:
        """The user's --pretty-name, --license and --homepage; else the data folder's (or file's) name."""
        name = self.data_dir.resolve().stem if self.data_dir else "data"
        return dataclasses.replace(self.CARD, pretty_name=self.config.pretty_name or name,
                                   license=self.config.license, homepage=self.config.homepage)

    def task_spec(self) -> TaskSpec:
        roles = dict(zip(("text", "text_pair"), self.config.text_columns))
        return TaskSpec("text-classification", {**roles, "label": self.config.label_column})

    def _info(self) -> datasets.DatasetInfo:
        names = self._label_names() if self.data_dir else []
        columns = {column: datasets.Value("string") for column in self.config.text_columns}
        return datasets.DatasetInfo(
            description=self.CARD.description,
            features=datasets.Features({**columns, self.config.label_column: datasets.ClassLabel(names=names)}))

    def _files(self) -> dict[str, Path]:
        """The source file of each split: one given file is train, else the folder's split files."""
        if self.data_dir is None:
            raise DatasetError("csv: pass --data-dir with your train.csv/tsv/jsonl, or one such file "
                               "(there is nothing to download)")
        if self.data_dir.is_file():
            if self.data_dir.suffix.lstrip(".") not in EXTENSIONS:
                raise SourceFileError(self.data_dir, "expected a .csv, .tsv or .jsonl file")
            return {"train": self.data_dir}
        found = {}
        for split, stems in SPLIT_NAMES.items():
            for stem in stems:
                matches = [self.data_dir / f"{stem}.{ext}" for ext in EXTENSIONS
                           if (self.data_dir / f"{stem}.{ext}").is_file()]
                if matches:
                    found[str(split)] = matches[0]
                    break
        if "train" not in found:
            raise SourceFileError(self.data_dir / "train.csv", f"missing file; expected {self.LAYOUT}")
        return found

    def _checked_files(self) -> dict[str, Path]:
        """The split files, after checking that the named columns exist, so that a typo in a column
        name is one line naming the column and the file instead of a dataset with no classes."""
        files = self._files()
        for split, path in files.items():
            columns = _columns(path)
            wanted = [*self.config.text_columns, *([self.config.label_column] if split == "train" else [])]
            missing = [column for column in wanted if column not in columns]
            if missing:
                role = "label" if missing[0] == self.config.label_column else "text"
                raise SourceFileError(path, f"no {role} column '{missing[0]}'; the columns are "
                                            f"{', '.join(columns) or 'none'}")
        if self.config.validation_fraction is not None and "validation" in files:
            raise DatasetError(f"csv: {files['validation']} is already a validation split; drop "
                               "--validation-fraction or that file")
        return files

    def _label_names(self) -> list[str]:
        values = {row[self.config.label_column] for path in self._checked_files().values()
                  for _, row in _rows(path) if row.get(self.config.label_column) not in (None, "")}
        if all(value.lstrip("-").isdigit() for value in values):
            return sorted(values, key=int)
        return sorted(values)

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        files = self._checked_files()
        generators = [datasets.SplitGenerator(split, gen_kwargs={"path": path, "part": None})
                      for split, path in files.items()]
        if self.config.validation_fraction is not None:
            generators[0] = datasets.SplitGenerator("train", gen_kwargs={"path": files["train"], "part": "train"})
            generators.insert(1, datasets.SplitGenerator(
                "validation", gen_kwargs={"path": files["train"], "part": "validation"}))
        return generators

    def _held_out_lines(self, path: Path) -> set[int]:
        """The train file's lines that go to the carved validation split: a seeded sample, at least one
        row and never all of them, so the same file and seed always give the same split."""
        lines = [line for line, _ in _rows(path)]
        if len(lines) < 2:
            raise SourceFileError(path, f"--validation-fraction needs at least 2 rows, found {len(lines)}")
        count = min(max(1, round(len(lines) * self.config.validation_fraction)), len(lines) - 1)
        return set(random.Random(self.config.split_seed).sample(lines, count))

    def _generate_examples(self, path: Path, part: str | None = None) -> Iterator[tuple[str, dict]]:
        label_ids = {name: i for i, name in enumerate(self.info.features[self.config.label_column].names)}
        label_column = self.config.label_column
        held_out = self._held_out_lines(path) if part else set()
        for line, row in _rows(path, self.anomaly_log):
            if part is not None and (line in held_out) != (part == "validation"):
                continue
            example = {}
            for column in self.config.text_columns:
                value = row.get(column)
                if value is None:
                    raise SourceFileError(path, "missing text column", line=line, field=column)
                if not value.strip():
                    raise SourceFileError(path, "empty text", line=line, field=column)
                example[column] = value
            label = row.get(label_column)
            example[label_column] = -1 if label in (None, "") else label_ids[label]
            yield f"{path.name}:{line}", example


def _columns(path: Path) -> list[str]:
    """The header of a CSV/TSV file, or every key of a JSON Lines file's records, in order."""
    if path.suffix != ".jsonl":
        text, _ = read_text(path, encodings=("utf-8",))
        dialect = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if path.suffix == ".tsv" else {}
        return next(csv.reader(text.splitlines(keepends=True), **dialect), [])
    return list(dict.fromkeys(key for _, row in _json_lines(path) for key in row))


def _rows(path: Path, anomalies: AnomalyLog | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, row)`` pairs, every value as text, whatever the file format. Lines of spaces or tabs
    are read past (recorded in ``anomalies`` when given: the pass that builds the rows gives it)."""
    if path.suffix == ".jsonl":
        yield from _json_lines(path, anomalies)
        return
    text, _ = read_text(path, encodings=("utf-8",), anomalies=anomalies)
    dialect = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if path.suffix == ".tsv" else {}
    reader = csv.reader(text.splitlines(keepends=True), **dialect)
    header = next(reader, None)
    if not header:
        raise SourceFileError(path, "empty file, expected a header line", line=1)
    for fields in reader:
        if not fields:
            continue
        if len(fields) == 1 and not fields[0].strip(" \t"):  # a line of spaces or tabs
            if anomalies is not None:
                anomalies.add(path, reader.line_num, "whitespace-line", "blank line made of spaces or tabs")
            continue
        if len(fields) != len(header):
            raise SourceFileError(path, f"expected {len(header)} fields like the header, found {len(fields)}",
                                  line=reader.line_num)
        yield reader.line_num, dict(zip(header, fields))


def _json_lines(path: Path, anomalies: AnomalyLog | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    for line, text in iter_lines(path, encodings=("utf-8",), anomalies=anomalies):
        if not text.strip():
            if text and anomalies is not None:
                anomalies.add(path, line, "whitespace-line", "blank line made of spaces or tabs")
            continue
        try:
            record: Any = json.loads(text)
        except json.JSONDecodeError as error:
            raise SourceFileError(path, f"invalid JSON: {error.msg}", line=line) from None
        if not isinstance(record, dict):
            raise SourceFileError(path, "expected a JSON object", line=line)
        yield line, {key: value if isinstance(value, str) or value is None else str(value)
                     for key, value in record.items()}
