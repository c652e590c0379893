"""Entity chunks from IOB1 / IOB2 / IOBES tag sequences, conlleval-style or strict.

Default (conlleval) reading: a chunk starts and ends where conlleval.pl says it does, which
repairs ill-formed sequences (``O I-PER`` starts a PER chunk, ``B-PER I-LOC`` is two chunks). This
works for every scheme without being told which one it is, and is computed with array
operations over the whole corpus at once.

Strict reading: only chunks that are well formed under the declared scheme count; ill-formed
pieces are dropped (the rules are those of seqeval's ``mode="strict"``, written as tables).
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

OUTSIDE, BEGIN, INSIDE, END, SINGLE = range(5)
PREFIX_CODES = {"O": OUTSIDE, "B": BEGIN, "I": INSIDE, "E": END, "S": SINGLE}
SCHEMES = {"IOB1": "IOB", "IOB2": "IOB", "IOBES": "IOBES"}
_TAG = re.compile(r"^(?:O|([BIES])-(.+))$")
_ANY = "OBIES"

# Strict rules per scheme: (previous prefixes, current prefixes, type condition).
# A chunk starts on a START rule, grows while INSIDE rules hold, and counts only if an END rule
# holds between its last token and the token after it.
_RULES = {
    "IOB1": {
        "start": [("O", "I", "any"), ("I", "I", "diff"), ("B", "I", "any"), ("I", "B", "same"), ("B", "B", "same")],
        "inside": [("B", "I", "same"), ("I", "I", "same")],
        "end": [("I", "I", "diff"), ("I", "O", "any"), ("I", "B", "any"), ("B", "O", "any"),
                ("B", "I", "diff"), ("B", "B", "same")],
    },
    "IOB2": {
        "start": [(_ANY, "B", "any")],
        "inside": [("B", "I", "same"), ("I", "I", "same")],
        "end": [("I", "O", "any"), ("I", "I", "diff"), ("I", "B", "any"), ("B", "O", "any"),
                ("B", "I", "diff"), ("B", "B", "any")],
    },
    "IOBES": {
        "start": [(_ANY, "B", "any"), (_ANY, "S", "any")],
        "inside": [("B", "I", "same"), ("B", "E", "same"), ("I", "I", "same"), ("I", "E", "same")],
        "end": [("S", _ANY, "any"), ("E", _ANY, "any")],
    },
}


class TaggedCorpus:
    """Sentences of tags flattened into arrays, one ``O`` after each sentence as a separator."""

    def __init__(self, sentences: Sequence[Sequence[str]], types: dict[str, int], what: str,
                 scheme: str | None):
        lengths = np.array([len(s) for s in sentences], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
        allowed = SCHEMES[scheme] + "O" if scheme else _ANY
        flat: list[str] = []
        for sentence in sentences:
            flat.extend(sentence)
            flat.append("O")
        codes: dict[str, tuple[int, int]] = {}
        for tag in dict.fromkeys(flat):  # each distinct tag once, in order; errors name the first bad position
            try:
                codes[tag] = _parse(tag, types, allowed, scheme)
            except ValueError as error:
                sentence_index, position = _first_position(sentences, tag)
                raise ValueError(f"{what}: {error} at sentence {sentence_index}, token {position}") from None
        table = np.array(list(codes.values()), dtype=np.int64).reshape(-1, 2)
        tag_ids = np.fromiter(map({tag: i for i, tag in enumerate(codes)}.__getitem__, flat),
                              dtype=np.int64, count=len(flat))
        self.prefix, self.type = table[tag_ids, 0], table[tag_ids, 1]
        self.sentences = sentences


def _parse(tag: str, types: dict[str, int], allowed: str, scheme: str | None) -> tuple[int, int]:
    match = _TAG.match(tag) if isinstance(tag, str) else None
    if match is None:
        raise ValueError(f"malformed tag {tag!r}; tags are 'O' or a prefix B-, I-, E-, S- followed by an entity type")
    if match.group(1) is None:
        return OUTSIDE, -1
    if match.group(1) not in allowed:
        raise ValueError(f"tag {tag!r} is not allowed in the {scheme} scheme (prefixes {', '.join(sorted(allowed))})")
    return PREFIX_CODES[match.group(1)], types.setdefault(match.group(2), len(types))


def _first_position(sentences: Sequence[Sequence[str]], tag: str) -> tuple[int, int]:
    for sentence_index, sentence in enumerate(sentences):
        for position, candidate in enumerate(sentence):
            if candidate == tag:
                return sentence_index, position
    return -1, -1


def conlleval_chunks(corpus: TaggedCorpus) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(type, first, last)`` arrays of every chunk, in corpus (flat) token positions."""
    tag, kind = corpus.prefix, corpus.type
    prev_tag = np.concatenate([[OUTSIDE], tag[:-1]])
    prev_kind = np.concatenate([[-1], kind[:-1]])
    type_changes = prev_kind != kind
    closes = ((prev_tag == END) | (prev_tag == SINGLE)
              | (np.isin(prev_tag, (BEGIN, INSIDE)) & np.isin(tag, (BEGIN, SINGLE, OUTSIDE)))
              | ((prev_tag != OUTSIDE) & type_changes))
    opens = ((tag == BEGIN) | (tag == SINGLE)
             | (np.isin(prev_tag, (END, SINGLE, OUTSIDE)) & np.isin(tag, (END, INSIDE)))
             | ((tag != OUTSIDE) & type_changes))
    positions = np.arange(len(tag))
    last_open = np.maximum.accumulate(np.where(opens, positions, 0))
    ends_at = np.flatnonzero(closes)  # a chunk ends at ends_at - 1
    first = np.concatenate([[0], last_open[:-1]])[ends_at]
    return prev_kind[ends_at], first, ends_at - 1


def _holds(rules: list, prev: tuple[str, int], cur: tuple[str, int]) -> bool:
    return any(prev[0] in before and cur[0] in now
               and (cond == "any" or (cond == "same") == (prev[1] == cur[1]))
               for before, now, cond in rules)


def strict_chunks(corpus: TaggedCorpus, scheme: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chunks that are well formed under ``scheme``; same layout as :func:`conlleval_chunks`."""
    rules = _RULES[scheme]
    letters = "OBIES"
    found_type, found_first, found_last = [], [], []
    for sentence_start, length in zip(corpus.starts, [len(s) for s in corpus.sentences]):
        tokens = [(letters[p], t) for p, t in zip(corpus.prefix[sentence_start:sentence_start + length + 1],
                                                   corpus.type[sentence_start:sentence_start + length + 1])]
        i, prev = 0, ("O", -1)
        while i < len(tokens):
            token = tokens[i]
            if token[0] != "O" and _holds(rules["start"], prev, token):
                j, last = i + 1, token
                while _holds(rules["inside"], last, tokens[j]):
                    last, j = tokens[j], j + 1
                if _holds(rules["end"], tokens[j - 1], tokens[j]):
                    found_type.append(token[1])
                    found_first.append(sentence_start + i)
                    found_last.append(sentence_start + j - 1)
                i = j
            else:
                i += 1
            prev = tokens[i - 1]
    return (np.array(found_type, dtype=np.int64), np.array(found_first, dtype=np.int64),
            np.array(found_last, dtype=np.int64))
