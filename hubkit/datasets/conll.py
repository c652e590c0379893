"""The CoNLL column format shared by CoNLL-2002 and CoNLL-2003.

One token per line (``word [POS [chunk]] NER``, separated by spaces), a blank line between
sentences, ``-DOCSTART-`` lines between documents. Unlike ``datasets``' own conll reader, a line with
the wrong number of columns or an unknown tag is an error naming its line rather than padded away,
and NER tags come out in IOB2 whichever scheme the file uses (see :mod:`hubkit.datasets.iob`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Sequence
from pathlib import Path

from hubkit.datasets import iob
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


def read_conll(path: Path, column_counts: Collection[int], tag_names: Collection[str],
               column_names: Sequence[str] = ("pos", "chunk"),
               column_vocabularies: Sequence[Collection[str] | None] = ()) -> ConllFile:
    """Parse ``path``; every line of a file must have the same count, one of ``column_counts``.

    ``column_vocabularies[i]``, when given, lists the values allowed in middle column ``i``.
    """
    text, encoding = read_text(path)
    sentences: list[Sentence] = []
    tokens: list[str] = []
    middle: list[list[str]] = []
    tags: list[str] = []
    start_line = 0
    width = 0
    scheme, scheme_line = None, 0
    previous = "O"

    def close_sentence() -> None:
        nonlocal tokens, middle, tags, previous
        if tokens:
            sentences.append(Sentence(start_line, tokens, middle, tags))
        tokens, middle, tags, previous = [], [[] for _ in range(max(width - 2, 0))], [], "O"

    for number, line in enumerate(split_lines(text), start=1):
        stripped = line.strip(" \t")
        fields = FIELD_SEPARATOR.split(stripped) if stripped else []
        if not fields or fields[0] == "-DOCSTART-":
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
            if scheme is None:
                scheme, scheme_line = proven, number
            elif proven != scheme:
                raise SourceFileError(
                    path, f"broken tag sequence: {tag} after {previous} is {proven}, but line {scheme_line} "
                    f"already showed the file uses {scheme}", line=number, field="ner")
        if not tokens:
            start_line = number
        tokens.append(fields[0])
        tags.append(tag)
        previous = tag
    close_sentence()
    scheme = scheme or iob.IOB2
    if scheme == iob.IOB1:
        for sentence in sentences:
            sentence.tags = iob.to_iob2(sentence.tags)
    return ConllFile(sentences, scheme, encoding, width)
