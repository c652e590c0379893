"""IOB tag schemes: detect IOB1, convert to IOB2, and check IOB2 sequences.

In IOB2 every entity starts with ``B-``. In IOB1 (the original CoNLL-2003 files) an entity starts
with ``I-`` and ``B-`` only separates two adjacent entities of the same type. A file shows which
scheme it uses the first time an entity starts: ``I-X`` after a non-``X`` tag means IOB1, ``B-X``
after a non-``X`` tag means IOB2. Real files show both now and then; the reader takes the scheme most
starts show and records the others (see :mod:`hubkit.datasets.conll`).
"""

from __future__ import annotations

from collections.abc import Sequence

IOB1 = "IOB1"
IOB2 = "IOB2"


def entity_type(tag: str) -> str | None:
    return None if tag == "O" else tag[2:]


def is_tag(tag: str) -> bool:
    return tag == "O" or (len(tag) > 2 and tag[:2] in ("B-", "I-"))


def start_scheme(previous: str, tag: str) -> str | None:
    """The scheme that ``tag`` after ``previous`` proves, or ``None`` when it proves nothing."""
    if tag == "O" or entity_type(previous) == entity_type(tag):
        return None
    return IOB1 if tag.startswith("I-") else IOB2


def to_iob2(tags: Sequence[str]) -> list[str]:
    """IOB1 tags of one sentence as IOB2 (IOB2 input comes back unchanged).

    Every ``I-X`` that opens an entity becomes ``B-X``, which is how seqeval reads it in either
    scheme, so this also turns the odd ``I-X`` opener of an IOB2 file into well-formed IOB2.
    """
    converted = []
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and entity_type(previous) != entity_type(tag):
            converted.append("B-" + tag[2:])
        else:
            converted.append(tag)
        previous = tag
    return converted


def iob2_errors(tags: Sequence[str]) -> list[int]:
    """Positions where an IOB2 sequence is broken: ``I-X`` not after ``B-X`` or ``I-X``."""
    broken = []
    previous = "O"
    for position, tag in enumerate(tags):
        if not is_tag(tag):
            broken.append(position)
        elif tag.startswith("I-") and entity_type(previous) != entity_type(tag):
            broken.append(position)
        previous = tag
    return broken


def count_entities(tags: Sequence[str]) -> int:
    """Entities in an IOB2 sequence (each starts with ``B-``)."""
    return sum(1 for tag in tags if tag.startswith("B-"))
