"""JSON request bodies, parsed with bounds and checked against the shape each route expects.

A handler that does ``body.get("ref").get("name")`` on a body a stranger wrote answers 500 when
``ref`` is a list. Every field a route reads goes through :func:`field` instead, which answers 400
naming the field and the type it must have. Parsing is bounded too: the body's size (by the
caller), and its nesting depth, since ``json.loads`` recurses once per level and a body of 100k
``[`` characters would otherwise end in a ``RecursionError``.
"""

from __future__ import annotations

import json
from typing import Any

from hubkit.hub.errors import HubError

MAX_DEPTH = 64

# JSON type names as a client reads them in an error message.
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "boolean": (bool,), "integer": (int,), "number": (int, float),
    "object": (dict,), "array": (list,),
}


def invalid(field_name: str, message: str, code: str = "InvalidJson") -> HubError:
    return HubError(400, code, f"Invalid request body: {field_name!r} {message}.")


def parse_json(body: bytes | str, *, what: str = "Request body", code: str = "InvalidJson") -> Any:
    """``json.loads`` with a bounded nesting depth; 400 ``code`` on anything unreadable."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise HubError(400, code, f"{what} is nested more deeply than {MAX_DEPTH} levels.") from None
    except ValueError as exc:
        raise HubError(400, code, f"{what} is not valid JSON: {exc}.") from None
    if depth(value) > MAX_DEPTH:
        raise HubError(400, code, f"{what} is nested more deeply than {MAX_DEPTH} levels.")
    return value


def depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in children)
    return deepest


def field(body: dict, key: str, kind: str, *, required: bool = False, where: str = "",
          code: str = "InvalidJson") -> Any:
    """``body[key]`` when it has JSON type ``kind`` (None when absent or null and not required)."""
    name = f"{where}.{key}" if where else key
    value = body.get(key)
    if value is None:
        if required:
            raise invalid(name, f"is required (a {kind})", code)
        return None
    # bool is an int in Python, but never an integer in a JSON schema.
    if not isinstance(value, _TYPES[kind]) or (kind in ("integer", "number") and isinstance(value, bool)):
        raise invalid(name, f"must be a {kind}, got {_json_type(value)}", code)
    return value


def items(body: dict, key: str, kind: str, *, required: bool = False, where: str = "",
          code: str = "InvalidJson") -> list:
    """``body[key]`` as a list whose every element has JSON type ``kind`` ([] when absent)."""
    values = field(body, key, "array", required=required, where=where, code=code) or []
    for number, value in enumerate(values):
        if not isinstance(value, _TYPES[kind]) or (kind == "integer" and isinstance(value, bool)):
            name = f"{where}.{key}" if where else key
            raise invalid(f"{name}[{number}]", f"must be a {kind}, got {_json_type(value)}", code)
    return values


def _json_type(value: Any) -> str:
    for name, types in _TYPES.items():
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, types):
            return name
    return "null" if value is None else type(value).__name__
