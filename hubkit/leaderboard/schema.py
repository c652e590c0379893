"""``leaderboard.json``: the versioned record of a leaderboard (documented in ``docs/leaderboard-schema.md``).

Readers call :func:`load_leaderboard`; it refuses, by name, a ``schema_version`` newer than this
hubkit reads instead of guessing (MTEB's format churn broke re-loading old results: MT#875,
MT#1899). Renaming, removing or retyping a field raises the version; adding one does not.
Two builds from the same hub state and settings give the same file except ``generated``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hubkit.leaderboard.errors import LeaderboardError
from hubkit.versioned_json import load_checked, version_problem
from hubkit.leaderboard.rank import Entry

SCHEMA_VERSION = 1
SUPPORTED_VERSIONS = (1,)
KIND = "leaderboard"
FILE = "leaderboard.json"
STATUSES = ("self-reported", "reproduced", "failed reproduction", "evaluated")
REQUIRED: dict[str, type] = {"schema_version": int, "kind": str, "title": str, "dataset": dict, "metric": dict,
                             "method": dict, "source": dict, "entries": list, "comparisons": list, "skipped": list,
                             "generated": dict}


def entry_json(entry: Entry, tie_test: dict[str, Any] | None) -> dict[str, Any]:
    """One entry as stored; ``tie_test`` is its comparison with its group's leader (``None`` for a leader)."""
    reported = None
    if entry.reported is not None:
        reported = {"value": entry.reported.value, "source": entry.reported.source, "ci": entry.reported.ci}
    return {
        "rank": entry.rank, "group": entry.group,
        "model": {"id": entry.model, "revision": entry.revision},
        "score": entry.score, "ci": entry.ci, "score_source": entry.score_source,
        "status": entry.status, "reported": reported, "verification": entry.verification,
        "evaluation": entry.evaluation, "tie_test": tie_test, "warnings": list(entry.warnings),
    }


def document(*, title: str, dataset: dict[str, Any], metric: str, greater_is_better: bool,
             entries: list[Entry], comparisons: list[dict[str, Any]], method: dict[str, Any],
             source: dict[str, Any], skipped: list[dict[str, str]], generated: dict[str, Any]) -> dict[str, Any]:
    """The whole ``leaderboard.json`` object, entries in rank order."""
    with_leader = {c["b"]: c for c in comparisons}
    leaders = {e.model for e in entries if e.model not in with_leader or not with_leader[e.model]["tied"]}
    return {
        "schema_version": SCHEMA_VERSION, "kind": KIND, "title": title, "dataset": dataset,
        "metric": {"name": metric, "greater_is_better": greater_is_better, "confidence_level": 0.95},
        "method": method, "source": source,
        "entries": [entry_json(e, None if e.model in leaders else with_leader.get(e.model)) for e in entries],
        "comparisons": comparisons, "skipped": skipped, "generated": generated,
    }


def write(doc: dict[str, Any], folder: Path) -> Path:
    problems = check(doc)
    if problems:  # a bug, not bad input: never write a file readers would refuse
        raise LeaderboardError(f"internal error: leaderboard.json would be invalid: {problems[0]}")
    path = folder / FILE
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    return path


def load_leaderboard(path: str | Path) -> dict[str, Any]:
    """A ``leaderboard.json`` (or the folder holding one), parsed and checked."""
    return load_checked(path, FILE, "leaderboard", check, LeaderboardError)


def check(doc: Any) -> list[str]:
    """Problems with a parsed leaderboard, one line each; empty when it is usable."""
    problem = version_problem(doc, "leaderboard", SUPPORTED_VERSIONS)
    if problem:
        return [problem]
    problems = [f"'{key}' is missing or not {kind.__name__}" for key, kind in REQUIRED.items()
                if not isinstance(doc.get(key), kind)]
    if problems:
        return problems
    if doc["kind"] != KIND:
        problems.append(f"'kind' must be {KIND!r}, got {doc['kind']!r}")
    for i, entry in enumerate(doc["entries"]):
        where = f"entries[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be an object")
            continue
        if not _finite(entry.get("score")):
            problems.append(f"{where}.score must be a finite number, got {entry.get('score')!r}")
        ci = entry.get("ci")
        if ci is not None and not (isinstance(ci, list) and len(ci) == 2 and all(_finite(v) for v in ci)
                                   and ci[0] <= ci[1]):
            problems.append(f"{where}.ci must be [low, high] or null, got {ci!r}")
        if entry.get("status") not in STATUSES:
            problems.append(f"{where}.status must be one of {list(STATUSES)}, got {entry.get('status')!r}")
        if not (isinstance(entry.get("rank"), int) and isinstance(entry.get("group"), int) and entry["group"] >= 1):
            problems.append(f"{where} needs integer 'rank' and 'group' (>= 1)")
    return problems


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
