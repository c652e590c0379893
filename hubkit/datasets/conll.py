"""The CoNLL column format shared by CoNLL-2002 and CoNLL-2003.

One token per line (``word [POS [chunk]] NER``, separated by spaces), a blank line between
sentences, ``-DOCSTART-`` lines between documents. Unlike ``datasets``' own conll reader, a line with
the wrong number of columns or an unknown tag is an error naming its line rather than padded away,
and NER tags come out in IOB2 whichever scheme the file uses (see :mod:`hubkit.datasets.iob`).

Official files carry annotation slips, and contributors cannot fix them, so these are read past and
recorded in the builder's :class:`~hubkit.datasets.anomalies.AnomalyLog` (refused with ``--strict``):

- an entity start in the file's minority scheme. The scheme is the one most entity starts show (IOB2
  on a tie); a minority start (``I-X`` after a non-``X`` tag in an IOB2 file, ``B-X`` after a
  non-``X`` tag in an IOB1 file) is read as seqeval reads it, as the start of an entity, and comes
  out as ``B-X``. Writing ``B-X`` rather than keeping the raw ``I-X`` is deliberate: the features and
  the card promise IOB2, seqeval finds the same entities in both, and ``validate`` can keep treating
  a broken IOB2 sequence as an error (a builder bug) because the flaw is already on record;
- a ``-DOCSTART-`` line inside a sentence: the sentence ends there, as in ``datasets``' reader;
- a blank line holding spaces or tabs: read as the blank line it stands for;
- a byte-order mark after the file's start (see :func:`~hubkit.datasets.sources.read_text`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Sequence
from pathlib import Path

from hubkit.datasets import iob
from hubkit.datasets.anomalies import AnomalyLog
from hubkit.datasets.errors import SourceFileError
from hubkit.datasets.sources import read_text, split_lines

# Spaces or tabs only: str.split() would also split on the no-break space that Latin-1 text holds.
FIELD_SEPARATOR = re.compile(r"[ \t]+")


@dataclasses.dataclass
class Sentence:
    line: int  # file line of the first token, so errors found later can still point at the source
    tokens: list[str]
    columns: list[list[str]]  # the middle columns (POS, chunk), one list per column
    tags: list[str]  # NER tags, IOB2


@dataclasses.dataclass
class ConllFile:
    sentences: list[Sentence]
    scheme: str  # the NER scheme the file used (IOB1 or IOB2)
    encoding: str
    column_count: int


@dataclasses.dataclass(frozen=True)
class _EntityStart:
    line: int
    previous: str
    tag: str
    scheme: str  # the scheme this start belongs to (iob.start_scheme)


def read_conll(path: Path, column_counts: Collection[int], tag_names: Collection[str],
               column_names: Sequence[str] = ("pos", "chunk"),
               column_vocabularies: Sequence[Collection[str] | None] = (),
               anomalies: AnomalyLog | None = None) -> ConllFile:
    """Parse ``path``; every line of a file must have the same count, one of ``column_counts``.

    ``column_vocabularies[i]``, when given, lists the values allowed in middle column ``i``. Known
    flaws (see the module docstring) go to ``anomalies``; without a log they are refused, as with
    ``--strict``.
    """
    anomalies = anomalies if anomalies is not None else AnomalyLog(strict=True)
    text, encoding = read_text(path, anomalies=anomalies)
    sentences: list[Sentence] = []
    starts: list[_EntityStart] = []
    tokens: list[str] = []
    middle: list[list[str]] = []
    tags: list[str] = []
    start_line = 0
    width = 0
    previous = "O"

    def close_sentence() -> None:
        nonlocal tokens, middle, tags, previous
        if tokens:
            sentences.append(Sentence(start_line, tokens, middle, tags))
        tokens, middle, tags, previous = [], [[] for _ in range(max(width - 2, 0))], [], "O"

    for number, line in enumerate(split_lines(text), start=1):
        stripped = line.strip(" \t")
        fields = FIELD_SEPARATOR.split(stripped) if stripped else []
        if not fields:
            if line:
                anomalies.add(path, number, "whitespace-line",
                              "blank line made of spaces or tabs")
            close_sentence()
            continue
        if fields[0] == "-DOCSTART-":
            if tokens:
                anomalies.add(path, number, "stray-docstart",
                              f"-DOCSTART- inside the sentence that starts at line {start_line}")
            close_sentence()
            continue
        if not width:
            if len(fields) not in column_counts:
                expected = " or ".join(str(count) for count in sorted(column_counts))
                raise SourceFileError(path, f"expected {expected} space-separated columns, found {len(fields)}",
                                      line=number)
            width = len(fields)
            middle = [[] for _ in range(width - 2)]
        if len(fields) != width:
            raise SourceFileError(path, f"expected {width} space-separated columns like the lines above, "
                                  f"found {len(fields)}", line=number)
        tag = fields[-1]
        if tag not in tag_names:
            raise SourceFileError(path, f"unknown tag {tag!r}", line=number, field="ner")
        for index, value in enumerate(fields[1:-1]):
            vocabulary = column_vocabularies[index] if index < len(column_vocabularies) else None
            if vocabulary is not None and value not in vocabulary:
                raise SourceFileError(path, f"unknown tag {value!r}", line=number, field=column_names[index])
            middle[index].append(value)
        proven = iob.start_scheme(previous, tag)
        if proven is not None:
            starts.append(_EntityStart(number, previous, tag, proven))
        if not tokens:
            start_line = number
        tokens.append(fields[0])
        tags.append(tag)
        previous = tag
    close_sentence()
    scheme = _majority_scheme(path, starts, anomalies)
    for sentence in sentences:
        sentence.tags = iob.to_iob2(sentence.tags)
    return ConllFile(sentences, scheme, encoding, width)


def _majority_scheme(path: Path, starts: list[_EntityStart], anomalies: AnomalyLog) -> str:
    """The scheme most entity starts show (IOB2 on a tie: the scheme hubkit writes); each start in
    the other scheme is recorded as an anomaly with its line."""
    iob1 = sum(1 for start in starts if start.scheme == iob.IOB1)
    scheme = iob.IOB1 if iob1 > len(starts) - iob1 else iob.IOB2
    majority = len(starts) - iob1 if scheme == iob.IOB2 else iob1
    for start in starts:
        if start.scheme == scheme:
            continue
        rule = ("IOB2 starts an entity with B-" if scheme == iob.IOB2
                else "IOB1 uses B- only between two adjacent entities of one type")
        anomalies.add(path, start.line, "tag-scheme",
                      f"field 'ner': {start.tag} after {start.previous} opens an entity, but {majority} of the "
                      f"file's {len(starts)} entity starts are {scheme} ({rule})")
    return scheme
