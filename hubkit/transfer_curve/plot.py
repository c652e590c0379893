"""The transfer curve as a PNG: the metric against training examples, one line per variant.

Log x axis, because the sizes grow geometrically and the interesting part (the few-example end)
would otherwise be squeezed against the axis. Mean over seeds with a ± one standard deviation band.
A dotted line marks the majority-class score, the floor any model must clear to have learnt
anything. matplotlib's object API on the Agg canvas (no pyplot state), and PNG metadata without
the software version, so the same numbers draw the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubkit.transfer_curve.variants import COLORS


def draw_curve(record: dict[str, Any], path: Path) -> Path:
    """Draw ``record["curve"]`` (as built by :func:`hubkit.transfer_curve.curve.summarise`) to ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    figure = Figure(figsize=(7, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    labels = {v["name"]: v["label"] for v in record["variants"]}
    for name, points in record["curve"].items():
        sizes = [p["train_examples"] for p in points]
        means = [p["mean"] for p in points]
        low = [p["mean"] - p["std"] for p in points]
        high = [p["mean"] + p["std"] for p in points]
        color = COLORS.get(name)
        axes.plot(sizes, means, "o-", color=color, label=labels.get(name, name))
        axes.fill_between(sizes, low, high, color=color, alpha=0.2, linewidth=0)
    baseline = record["dataset"].get("majority_baseline")
    if baseline is not None and record["metric"] == "accuracy":
        axes.axhline(baseline, color="black", linestyle=":", linewidth=1, label=f"majority class ({baseline:.3f})")
    axes.set_xscale("log")
    axes.xaxis.set_major_locator(FixedLocator(record["sizes"]))
    axes.xaxis.set_major_formatter(ScalarFormatter())
    axes.xaxis.set_minor_locator(NullLocator())
    n_seeds = len(record["seeds"])
    axes.set(xlabel="training examples (log scale)",
             ylabel=f"validation {record['metric']} (n={record['dataset']['validation_examples']})",
             title=f"{record['dataset']['name']}: {short_model_name(record['base_model']['id'])}, mean ± std over {n_seeds} "
                   f"seed{'s' if n_seeds != 1 else ''}")
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", metadata={"Software": None})
    return path


def short_model_name(model_id: str) -> str:
    """A hub id as is; a local folder by its last component (an absolute path would crowd the title)."""
    return Path(model_id).name if Path(model_id).is_absolute() else model_id
