"""The baseline recipes, under the import path training code and user scripts have always used.

The table lives in :mod:`hubkit.recipes`, below the cards that quote it in their "Reproduce"
section; this module keeps ``from hubkit.train.recipes import recipe_for`` working.
"""

from __future__ import annotations

from hubkit.recipes import DEFAULT_MODEL, RECIPES, Recipe, recipe_for

__all__ = ["DEFAULT_MODEL", "RECIPES", "Recipe", "recipe_for"]
