"""hubkit's metrics: offline loading by name, and scores with bootstrap confidence intervals.

>>> from hubkit import metrics
>>> metrics.compute("f1", [0, 1, 1], [0, 1, 0], ci=True, n_resamples=200)["f1"]
0.6666666666666666

The metric modules themselves live in the repository's ``metrics/<name>/<name>.py`` (or come
from plugins, entry-point group ``hubkit.metrics``); each is an ``evaluate`` module, so
``evaluate.load("metrics/f1")`` and a pushed Space work too. Importing this package is cheap:
``evaluate`` is imported only when a metric is loaded.
"""

from hubkit.metrics.registry import MetricNotFoundError, available, load, locate, metrics_dir
from hubkit.metrics.scoring import compare, compute, statistic

__all__ = ["MetricNotFoundError", "available", "compare", "compute", "load", "locate", "metrics_dir", "statistic"]
