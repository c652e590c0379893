"""Order the entries by the primary metric and group the ones that are not significantly different.

Groups are formed top-down: the best model leads group 1; each next model joins the current
group while it is not significantly different from that group's *leader*, otherwise it leads a
new group. So group 1 is "statistically tied with the best", and every group is a contiguous
run of the table. (A single number per model is what MTEB users complain about: MT#5208.)

"Not significantly different" is decided per pair, by the strongest test the data allows:

- **paired bootstrap** when both models have per-example predictions on the same examples
  (``hubkit compare``: both scored on the same resampled examples; tied when the 95% interval of
  the difference contains 0). This is the right test for two models on one test set (LM#3831).
- **overlapping 95% intervals** otherwise. Overlap is conservative: two models whose intervals
  overlap may still differ under a paired test, so such ties are an upper bound.
- **none** when a model has no interval at all: it is never called tied, and the entry says so.

Every comparison made is kept, with its method, so the page and the JSON can say which was used.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hubkit.evaluation.errors import EvaluationError
from hubkit.leaderboard.collect import Claim

PAIRED = "paired-bootstrap"
OVERLAP = "ci-overlap"
NO_TEST = "none"


@dataclasses.dataclass
class Entry:
    """One model's line on the leaderboard."""

    model: str
    revision: str | None
    score: float
    ci: list[float] | None
    score_source: str  # "claim", "evaluation record" or "evaluated here"
    status: str  # "self-reported", "reproduced", "failed reproduction" or "evaluated"
    reported: Claim | None = None
    record: Path | None = None  # a results.json with predictions.parquet beside it: enables paired tests
    evaluation: dict[str, Any] | None = None  # this build's own hubkit eval of the model
    verification: dict[str, Any] | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    rank: int = 0
    group: int = 0
    # How far the true score may be from ``score``: half a unit in the last written place for a
    # rounded claim, 0 for a score measured here or read from an evaluation record.
    tolerance: float = 0.0


def order(entries: list[Entry], greater_is_better: bool) -> list[Entry]:
    """Best first; scores equal at the precision they were measured share a rank ("1, 2, 2, 4").

    A claim of 0.6838 (rounded to 4 decimals) and a record of 0.6838235 are the same figure as far
    as anyone can tell, so they tie, and tied models are listed by id rather than by the digits
    one of them happened to keep.
    """
    ordered = sorted(entries, key=lambda e: (-e.score if greater_is_better else e.score, e.model))
    tied: list[list[Entry]] = []
    for entry in ordered:
        if tied and _indistinguishable(tied[-1][-1], entry):
            tied[-1].append(entry)
        else:
            tied.append([entry])
    result: list[Entry] = []
    for cluster in tied:
        rank = len(result) + 1
        for entry in sorted(cluster, key=lambda e: e.model):
            entry.rank = rank
            result.append(entry)
    return result


def _indistinguishable(a: Entry, b: Entry) -> bool:
    return abs(a.score - b.score) <= max(a.tolerance, b.tolerance) + 1e-12


def assign_groups(ordered: list[Entry], metric: str, n_resamples: int, seed: int) -> list[dict[str, Any]]:
    """Set ``group`` on each entry (see the module docstring); returns the comparisons made."""
    comparisons: list[dict[str, Any]] = []
    leader: Entry | None = None
    for entry in ordered:
        if leader is None:
            leader, entry.group = entry, 1
            continue
        comparison = compare_pair(leader, entry, metric, n_resamples, seed)
        comparisons.append(comparison)
        if comparison["tied"]:
            entry.group = leader.group
        else:
            leader, entry.group = entry, leader.group + 1
    return comparisons


def compare_pair(a: Entry, b: Entry, metric: str, n_resamples: int, seed: int) -> dict[str, Any]:
    """Is ``b`` significantly different from ``a``? Paired bootstrap if possible, else interval overlap."""
    base = {"a": a.model, "b": b.model, "difference": a.score - b.score}
    reason = None
    if a.record is not None and b.record is not None:
        try:
            paired = _paired(a.record, b.record, metric, n_resamples, seed)
        except EvaluationError as error:
            reason = str(error).splitlines()[0]
        else:
            if paired is not None:
                return {**base, **paired}
            reason = f"no paired test of {metric} on the same examples"
    else:
        missing = [e.model for e in (a, b) if e.record is None]
        reason = "no per-example predictions for " + ", ".join(missing)
    if a.ci is not None and b.ci is not None:
        tied = a.ci[0] <= b.ci[1] and b.ci[0] <= a.ci[1]
        return {**base, "method": OVERLAP, "tied": tied, "why_not_paired": reason}
    return {**base, "method": NO_TEST, "tied": False,
            "why_not_paired": reason, "note": "a model has no confidence interval, so no test was possible"}


def _paired(path_a: Path, path_b: Path, metric: str, n_resamples: int, seed: int) -> dict[str, Any] | None:
    """``hubkit compare`` of two results on their shared examples, reduced to the primary metric."""
    from hubkit.evaluation.compare import compare

    result = compare(path_a, path_b, n_resamples=n_resamples, seed=seed)
    test = result["paired_bootstrap"].get(metric)
    if test is None or result["only_a"] or result["only_b"]:
        return None  # another metric, or different example sets: the paired difference is not the table's
    return {"method": PAIRED, "tied": bool(test["low"] <= 0.0 <= test["high"]),
            "difference": float(test["difference"]), "low": float(test["low"]), "high": float(test["high"]),
            "p_value": float(test["p_value"]), "shared_examples": int(result["shared_examples"])}


def method_summary(comparisons: list[dict[str, Any]]) -> str:
    """``paired-bootstrap``, ``ci-overlap``, ``mixed`` or ``none``: what decided the groups."""
    used = {c["method"] for c in comparisons if c["method"] != NO_TEST}
    if not used:
        return NO_TEST
    return used.pop() if len(used) == 1 else "mixed"
