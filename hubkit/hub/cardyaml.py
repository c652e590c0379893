"""YAML that strangers wrote (card front matter), parsed with bounds and made JSON-safe.

Two things make plain ``yaml.safe_load`` unsafe on a server:

- **Aliases multiply.** Nine levels of ``&a [*b, *b, ...]`` (ten aliases each) are a few hundred
  bytes of text but a billion leaves once expanded; PyYAML shares the objects, so the blow-up
  happens later, when the result is serialised to JSON for a listing. The composed node graph is
  measured first, with shared nodes counted once per use (linear in the number of distinct
  nodes), and anything expanding past :data:`MAX_EXPANDED_NODES` or nesting past
  :data:`MAX_DEPTH` is refused before a single Python object is built. Benign aliases still work.
- **Keys that JSON cannot hold.** ``2020-01-01: release`` has a ``date`` key; ``1: x`` an int.
  The card data goes into JSON answers (``cardData``), so keys become strings and values that
  JSON lacks (dates, sets, NaN) become their string or null form, as the Hub shows them.
"""

from __future__ import annotations

import base64
import datetime
import math
from typing import Any

import yaml

MAX_FRONT_MATTER_BYTES = 1024 * 1024
MAX_EXPANDED_NODES = 200_000
MAX_DEPTH = 100

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class InvalidYaml(ValueError):
    """The YAML cannot be read, or would cost more to expand than a card may; one-line message."""


class _BoundedLoader(_Loader):
    """The safe loader, checking the expanded size of the node graph before constructing it."""

    def construct_document(self, node):
        check_expansion(node)
        return super().construct_document(node)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose expansion is too large, too deep, or infinite (a recursive alias)."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded node count, depth)
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            counted = [sizes[id(child)] for child in _children(node)]
            size = 1 + sum(c[0] for c in counted)
            depth = 1 + max((c[1] for c in counted), default=0)
            if size > MAX_EXPANDED_NODES:
                raise InvalidYaml(f"the YAML expands to more than {MAX_EXPANDED_NODES} values (through aliases); "
                                  "write the values out or use fewer aliases")
            if depth > MAX_DEPTH:
                raise InvalidYaml(f"the YAML nests more deeply than {MAX_DEPTH} levels")
            sizes[key] = (size, depth)
            continue
        if key in sizes:
            continue
        if key in on_path:
            mark = node.start_mark
            raise InvalidYaml(f"recursive alias at line {mark.line + 1}: a value cannot contain itself")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def load_bounded(text: str) -> Any:
    """``yaml.safe_load`` with the bounds above; raises :class:`InvalidYaml` with a one-line message."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FRONT_MATTER_BYTES:
        raise InvalidYaml(f"the YAML is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB")
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InvalidYaml(f"invalid YAML: {exc}".replace("\n", " ")) from None
    except RecursionError:
        raise InvalidYaml(f"the YAML nests more deeply than {MAX_DEPTH} levels") from None


def compose_bounded(text: str) -> yaml.Node | None:
    """The YAML's node graph (scalars as written), under the same bounds as :func:`load_bounded`."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FRONT_MATTER_BYTES:
        raise InvalidYaml(f"the YAML is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB")
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise InvalidYaml(f"invalid YAML: {exc}".replace("\n", " ")) from None
    except RecursionError:
        raise InvalidYaml(f"the YAML nests more deeply than {MAX_DEPTH} levels") from None
    if node is not None:
        check_expansion(node)
    return node


def json_safe(value: Any) -> Any:
    """``value`` with string keys and only JSON types (the YAML was bounded, so recursion is too)."""
    if isinstance(value, dict):
        return {_key(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_key(v) for v in value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (datetime.date, datetime.datetime)):
        return key.isoformat()
    if isinstance(key, (list, tuple, dict, set, frozenset)):  # complex keys (``? [a, b]``)
        return repr(json_safe(key))
    return str(key)


def parse_front_matter(text: str) -> dict:
    """The ``---`` YAML block at the top of a card as JSON-safe data; raises InvalidYaml (a ValueError).

    Blank lines before the opening ``---`` are allowed, as huggingface_hub's own card regex
    (``REGEX_YAML_BLOCK``) and the Hub allow them.
    """
    text = text.lstrip(" \t\r\n")
    if not text.startswith("---"):
        return {}
    lines = text.splitlines()
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise InvalidYaml("the YAML block that starts with '---' is never closed by a '---' line") from None
    data = load_bounded("\n".join(lines[1:end]))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidYaml("the card's metadata must be a YAML mapping (key: value lines)")
    return json_safe(data)
