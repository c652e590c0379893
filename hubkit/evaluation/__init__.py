"""Reproducible evaluation: run a model on a dataset split, record everything needed to re-run it.

Modules, one job each:

- ``schema``: the versioned ``results.json`` layout (:mod:`hubkit.results`, documented in
  ``docs/results-schema.md``), loaded with a version check; a bad file raises ``EvaluationError``.
- ``provenance``: model/dataset/metric fingerprints, library versions, device, command line.
- ``data``: the evaluated split, from a hubkit builder (version + source checksums) or a dataset
  repo on the hub (commit sha), with its task columns.
- ``predictions``: per-example predictions as deterministic Parquet, keyed by example hashes.
- ``runner``: ``hubkit eval`` itself.
- ``verify``: re-run a results file and compare metric by metric.
- ``compare``: paired bootstrap and McNemar between two results on their shared examples.
- ``push``: add a result to the model's card (model-index and ``.eval_results/``) on the hub.

Importing this package is cheap; the heavy libraries load inside the functions.
"""

from hubkit.evaluation.errors import EvaluationError

__all__ = ["EvaluationError"]
