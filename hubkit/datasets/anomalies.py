"""Known flaws of real distribution files: recorded and loaded past, or refused with ``--strict``.

Official corpora ship with mistakes nobody may edit away (an ``I-LOC`` opening an entity in an IOB2
file, a ``-DOCSTART-`` inside a sentence, a byte-order mark in the middle of a concatenated file, a
line of spaces where a blank line belongs, one id used twice). Hugging Face's own loaders and
seqeval read such files, so hubkit does too; what it adds is that nothing is silent. Each flaw a
builder reads past becomes one :class:`Anomaly` in the builder's :class:`AnomalyLog`; ``prepare``
stores the list with the build record, and ``hubkit datasets validate`` and the dataset card's
"Known issues" section both read that same list. With ``strict`` the log refuses at the first flaw
instead, as the :class:`~hubkit.datasets.errors.SourceFileError` any unreadable line raises.

Structural breakage that leaves the data unreadable (a wrong column count, an undecodable byte) is
never an anomaly: builders keep refusing it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hubkit.datasets.errors import SourceFileError

# kind -> (what the flaw is, how hubkit reads it): the card's "Known issues" table and each warning.
KINDS = {
    "tag-scheme": ("an entity start in the file's minority tag scheme",
                   "read as the start of an entity (B-), as seqeval reads it"),
    "stray-docstart": ("a -DOCSTART- line inside a sentence", "the sentence is split there"),
    "encoding-declaration": ("a byte-order mark (U+FEFF) after the start of the file", "removed"),
    "whitespace-line": ("a blank line holding spaces or tabs", "read as a blank line"),
    "duplicate-id": ("an id already used earlier in the same file", "both rows kept"),
}


@dataclasses.dataclass(frozen=True)
class Anomaly:
    """One flaw in a source file. ``file`` is relative to ``--data-dir`` (or a base name), never an
    absolute path, because the list is published in the card."""

    file: str
    line: int | None
    kind: str
    message: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        return f"{self.where}: {self.message}; {KINDS[self.kind][1]} [{self.kind}]"

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Anomaly:
        return cls(file=str(record["file"]), line=record.get("line"), kind=str(record["kind"]),
                   message=str(record["message"]))


class AnomalyLog:
    """The anomalies one builder run met, in the order it met them, each recorded once.

    A file read twice (MRPC's ``msr_paraphrase_train.txt`` gives train and validation) reports the
    same flaw twice; the repeat is dropped so counts are per flaw, not per read.
    """

    def __init__(self, data_dir: Path | None = None, strict: bool = False) -> None:
        self.data_dir = data_dir
        self.strict = strict
        self._seen: dict[tuple[str, int | None, str, str], Anomaly] = {}

    def add(self, path: Path, line: int | None, kind: str, message: str) -> None:
        """Record a flaw at ``path:line``, or raise it as a source-file error when strict."""
        if kind not in KINDS:
            raise ValueError(f"unknown anomaly kind {kind!r}; known: {', '.join(KINDS)}")
        if self.strict:
            raise SourceFileError(path, f"{message} [{kind}]; refused because of --strict", line=line)
        anomaly = Anomaly(self._display(path), line, kind, message)
        self._seen.setdefault((anomaly.file, line, kind, message), anomaly)

    @property
    def anomalies(self) -> list[Anomaly]:
        """In the order files were read, by line within a file (a file is checked in several passes)."""
        files = {anomaly.file: rank for rank, anomaly in reversed(list(enumerate(self._seen.values())))}
        return sorted(self._seen.values(), key=lambda anomaly: (files[anomaly.file], anomaly.line or 0))

    def _display(self, path: Path) -> str:
        if self.data_dir is not None:
            try:
                relative = Path(path).resolve().relative_to(self.data_dir.resolve()).as_posix()
            except ValueError:
                pass
            else:
                if relative != ".":
                    return relative
        return Path(path).name


def counts_by_kind(anomalies: list[Anomaly]) -> dict[str, int]:
    """How many anomalies of each kind, kinds in :data:`KINDS` order (a stable card)."""
    counts = {kind: 0 for kind in KINDS}
    for anomaly in anomalies:
        counts[anomaly.kind] = counts.get(anomaly.kind, 0) + 1
    return {kind: count for kind, count in counts.items() if count}
