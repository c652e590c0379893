"""Reproducible leaderboards: one dataset split, many models, 95% intervals, tie groups, verified results.

``hubkit leaderboard build`` collects what models on the hub report for a dataset split (their
``model-index`` and ``.eval_results``, and the full ``hubkit eval`` record pushed beside them), or
evaluates the models itself; ranks them by the dataset's primary metric with 95% bootstrap
intervals; groups models that are not significantly different; and says for each result whether
it is only self-reported or was re-run here and reproduced (MTEB and Open LLM Leaderboard users
keep reporting numbers they cannot reproduce: MT#1227, MT#2007, OLL #659; and ranks that are not
statistically separable: MT#5208).

Modules, one job each:

- ``collect``: find the models and read their claims and evaluation records from the hub.
- ``measure``: run ``hubkit eval`` on a model (``--evaluate``) or re-run its claim (``--verify``).
- ``rank``: order, intervals, and tie groups (paired bootstrap on shared predictions, else
  overlapping intervals).
- ``schema``: the versioned ``leaderboard.json`` (documented in ``docs/leaderboard-schema.md``).
- ``render`` / ``page``: ``leaderboard.csv``, ``README.md`` and the static ``index.html``.
- ``build``: the whole command, written in a staging folder and renamed at the end.
- ``push``: the output as a static Space, shown at ``/spaces/<ns>/<name>``.

Importing this package is cheap; the heavy libraries load inside the functions.
"""

from hubkit.leaderboard.errors import LeaderboardError

__all__ = ["LeaderboardError"]
