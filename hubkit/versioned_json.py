"""Reading hubkit's versioned JSON files (results, leaderboards) with one clear error.

Each file carries an integer ``schema_version``. A reader accepts the versions it knows and refuses
newer ones by name instead of guessing; the caller's ``check`` lists any other problems.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def version_problem(doc: Any, what: str, supported: tuple[int, ...]) -> str | None:
    """Why ``doc``'s ``schema_version`` cannot be read, or None when it can."""
    if not isinstance(doc, dict):
        return f"a {what} file must hold a JSON object"
    version = doc.get("schema_version")
    if not isinstance(version, int):
        return "'schema_version' is missing or not an integer"
    if version not in supported:
        newer = version > max(supported)
        return (f"schema_version {version} is {'newer than this hubkit reads; upgrade hubkit' if newer else 'unknown'}"
                f" (this hubkit reads {', '.join(map(str, supported))})")
    return None


def load_checked(path: str | Path, default_file: str, what: str, check: Callable[[Any], list[str]],
                 error: type[Exception]) -> dict[str, Any]:
    """Parse ``path`` (or ``path/default_file`` for a folder) and raise ``error`` naming the file on any problem."""
    path = Path(path)
    if path.is_dir():
        path = path / default_file
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {what} file") from None
    except (OSError, ValueError) as exc:
        raise error(f"{path}: not a readable JSON {what} file ({exc})") from None
    problems = check(doc)
    if problems:
        raise error(f"{path}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return doc
