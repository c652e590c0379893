"""Errors of card building and validation, each one line naming what to fix."""

from __future__ import annotations


class CardError(ValueError):
    """A card cannot be built, merged or pushed (bad input, broken markers, failed validation)."""


class CardValidationError(CardError):
    """The card's metadata would be rejected or misread; ``key`` names the offending YAML key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"card metadata '{key}': {problem}")
        self.key = key
        self.problem = problem
