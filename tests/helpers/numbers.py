"""Comparing metric results (nested dicts and lists of floats) with expected values."""

from __future__ import annotations

import math
from typing import Any


def mismatches(actual: Any, expected: Any, rel: float = 1e-9, where: str = "") -> list[str]:
    """Where ``actual`` differs from ``expected``: the same keys and lengths, equal non-floats, and
    floats within ``rel`` (``pytest.approx`` does not look inside nested dicts)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return [f"{where or '.'}: keys {sorted(actual) if isinstance(actual, dict) else actual!r} "
                    f"!= {sorted(expected)}"]
        return [m for key in expected for m in mismatches(actual[key], expected[key], rel, f"{where}.{key}")]
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            return [f"{where}: {actual!r} != {expected!r}"]
        return [m for i, (a, e) in enumerate(zip(actual, expected)) for m in mismatches(a, e, rel, f"{where}[{i}]")]
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return [] if math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-12) else [f"{where}: {actual!r} != {expected!r}"]
    return [] if actual == expected else [f"{where}: {actual!r} != {expected!r}"]
