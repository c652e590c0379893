"""Ranking compares scores at the precision they were measured (issue 17, point 9): a rounded
card claim and an exact evaluation record of the same predictions tie, listed by model id."""

from __future__ import annotations

from hubkit.leaderboard.collect import ROUNDING
from hubkit.leaderboard.rank import Entry, order


def entry(model: str, score: float, tolerance: float = 0.0) -> Entry:
    return Entry(model, None, score, None, "claim" if tolerance else "evaluation record", "self-reported",
                 tolerance=tolerance)


def test_a_rounded_claim_ties_the_exact_record_it_rounds():
    ranked = order([entry("org/b-model", 0.6838235), entry("org/a-model", 0.6838, tolerance=ROUNDING),
                    entry("org/c-model", 0.70)], greater_is_better=True)
    assert [(e.model, e.rank) for e in ranked] == [("org/c-model", 1), ("org/a-model", 2), ("org/b-model", 2)]


def test_exact_scores_that_differ_are_ranked_and_lower_is_better_for_perplexity():
    ranked = order([entry("x", 0.6838235), entry("y", 0.6838236)], greater_is_better=True)
    assert [(e.model, e.rank) for e in ranked] == [("y", 1), ("x", 2)]
    ranked = order([entry("lm-a", 12.5, tolerance=ROUNDING), entry("lm-b", 12.49)], greater_is_better=False)
    assert [(e.model, e.rank) for e in ranked] == [("lm-b", 1), ("lm-a", 2)]
    ranked = order([entry("p", 1.0), entry("q", 1.0), entry("r", 2.0)], greater_is_better=True)
    assert [(e.model, e.rank) for e in ranked] == [("r", 1), ("p", 2), ("q", 2)]
