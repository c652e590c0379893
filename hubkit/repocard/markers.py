"""Sections hubkit owns inside a card, and regeneration that keeps everything else.

A generated section sits between ``<!-- hubkit:begin NAME -->`` and ``<!-- hubkit:end NAME -->``.
Regenerating replaces what is between a pair and nothing else: text outside the markers (a
person's notes, a whole hand-written section) stays where it is. A section hubkit adds that the
old card lacks goes next to its neighbour in hubkit's order. Writing
``<!-- hubkit:off NAME -->`` anywhere in the card hands that section over to its author: hubkit
neither refreshes nor re-adds it. (Trainer cards are "a draft the user must hand-edit" and are
overwritten on the next push: transformers#13245; hf_hub#3043 for YAML.)
"""

from __future__ import annotations

import re
from typing import Iterable

from hubkit.repocard.errors import CardError

_NAME = r"[A-Za-z0-9][\w:.\-]*"
_SECTION = re.compile(rf"<!-- hubkit:begin ({_NAME}) -->\n?(.*?)<!-- hubkit:end \1 -->\n?", re.DOTALL)
_OFF = re.compile(rf"<!-- hubkit:off ({_NAME}) -->")
_ANY_BEGIN = re.compile(rf"<!-- hubkit:begin ({_NAME}) -->")
_ANY_END = re.compile(rf"<!-- hubkit:end ({_NAME}) -->")


def wrap(name: str, text: str) -> str:
    return f"<!-- hubkit:begin {name} -->\n{text.strip()}\n<!-- hubkit:end {name} -->\n"


def turned_off(body: str) -> set[str]:
    return set(_OFF.findall(body))


def _segments(body: str) -> list[tuple[str | None, str]]:
    """The body as (section name or None for free text, text) pieces, in order."""
    begins, ends = _ANY_BEGIN.findall(body), _ANY_END.findall(body)
    if sorted(begins) != sorted(ends) or len(set(begins)) != len(begins):
        unmatched = sorted(set(begins) ^ set(ends)) or sorted({n for n in begins if begins.count(n) > 1})
        raise CardError(f"the card's hubkit markers are broken around section '{unmatched[0]}' (a begin without "
                        "its end, or a section twice); fix or delete those marker comments")
    pieces: list[tuple[str | None, str]] = []
    position = 0
    for match in _SECTION.finditer(body):
        if match.start() > position:
            pieces.append((None, body[position:match.start()]))
        pieces.append((match.group(1), match.group(0)))
        position = match.end()
    if position < len(body):
        pieces.append((None, body[position:]))
    return pieces


def merge(existing: str | None, sections: Iterable[tuple[str, str]], order: list[str] | None = None,
          retired: Iterable[str] = ()) -> str:
    """The card body with hubkit's ``sections`` refreshed inside ``existing``.

    ``order`` is hubkit's full section order (default: the order of ``sections``); a new section
    is placed after the nearest earlier section of that order that the card has. Marked sections
    that are not regenerated are kept, except those named in ``retired`` (hubkit owns them and has
    nothing to say there any more, e.g. a per-class report after the predictions went away).
    """
    sections = [(name, text) for name, text in sections if text and text.strip()]
    if not existing or not existing.strip():
        return "\n".join(wrap(name, text) for name, text in sections)
    generated = dict(sections)
    order = list(order or [])
    order += [name for name, _ in sections if name not in order]
    retired = set(retired) - set(generated)
    off = turned_off(existing)
    pieces: list[tuple[str | None, str]] = []
    for name, text in _segments(existing):
        if name is None or name in off or (name not in generated and name not in retired):
            pieces.append((name, text))
        elif name in generated:
            pieces.append((name, wrap(name, generated[name])))
    placed = {name for name, _ in pieces if name is not None}
    for index, name in enumerate(order):
        if name not in generated or name in placed or name in off:
            continue
        pieces.insert(_insertion_point(pieces, order, index), (name, wrap(name, generated[name])))
        placed.add(name)
    return _join(pieces)


def _insertion_point(pieces: list[tuple[str | None, str]], order: list[str], index: int) -> int:
    """After the nearest earlier section in hubkit's order, else before the nearest later one, else at the end."""
    positions = {name: i for i, (name, _) in enumerate(pieces) if name is not None}
    for earlier in reversed(order[:index]):
        if earlier in positions:
            return positions[earlier] + 1
    for later in order[index + 1:]:
        if later in positions:
            return positions[later]
    return len(pieces)


def _join(pieces: list[tuple[str | None, str]]) -> str:
    out = ""
    for _, text in pieces:
        if out and not out.endswith("\n"):
            out += "\n"
        if out and not out.endswith("\n\n") and not text.startswith("\n"):
            out += "\n"
        out += text
    return out if out.endswith("\n") else out + "\n"
