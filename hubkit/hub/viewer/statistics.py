"""Per-column statistics of a split, in the shapes of the real ``/statistics`` route.

Each column is read on its own, batch by batch; what is kept is one number per row (the value,
a string's length or a list's length) and, for strings, value counts up to :data:`LABEL_MAX`
distinct values. So memory is a few bytes a row, never the split. Column types follow the real
service: ``class_label`` (frequencies by label name, ``no_label_count`` for -1), ``bool``,
``int``/``float`` (min, max, mean, median, std, 10-bin histogram), ``string_label`` (a string
column with few distinct values: frequencies) or ``string_text`` (length statistics), and
``list`` (length statistics). Figures are rounded to 5 decimals, as there.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hubkit.hub.viewer import pages
from hubkit.hub.viewer.store import SplitData

DECIMALS = 5
BINS = 10
LABEL_MAX = 1000  # more distinct strings than this: text, not labels
LABEL_ALWAYS = 10  # this many or fewer distinct strings: labels, whatever the proportion
LABEL_PROPORTION = 0.2


def _round(value: float) -> float:
    return round(float(value), DECIMALS)


def column_type(kind: dict) -> str | None:
    name = kind.get("_type")
    if name == "ClassLabel":
        return "class_label"
    if name in ("List", "Sequence", "LargeList"):
        return "list"
    if name != "Value":
        return None
    dtype = kind.get("dtype", "")
    if dtype == "bool":
        return "bool"
    if dtype.startswith(("int", "uint")):
        return "int"
    if dtype.startswith("float") or dtype == "double":
        return "float"
    if dtype in ("string", "large_string"):
        return "string"
    return None


def compute(split: SplitData) -> dict:
    statistics = []
    for name, kind in split.features.items():
        kind_name = column_type(kind)
        if kind_name is None:
            continue
        column_type_name, column_statistics = _column(split, name, kind, kind_name)
        statistics.append({"column_name": name, "column_type": column_type_name, "column_statistics": column_statistics})
    return {"num_examples": split.num_rows, "statistics": statistics, "partial": False}


def _column(split: SplitData, name: str, kind: dict, kind_name: str) -> tuple[str, dict]:
    nulls = 0
    values: list[np.ndarray] = []
    counts: dict | None = {}
    for _, batch in pages.scan(split, [name]):
        column = batch.column(0)
        nulls += column.null_count
        if kind_name in ("int", "float", "class_label"):
            present = column.drop_null()
            array = present.to_numpy(zero_copy_only=False).astype(np.float64 if kind_name == "float" else np.int64)
            if kind_name == "float":
                nulls += int(np.isnan(array).sum())
                array = array[~np.isnan(array)]
            values.append(array)
        elif kind_name == "bool":
            counts = _add_counts(counts, column.drop_null())
        elif kind_name == "list":
            values.append(pc.list_value_length(column).drop_null().to_numpy(zero_copy_only=False).astype(np.int64))
        else:  # string
            present = column.drop_null()
            values.append(pc.utf8_length(present).to_numpy(zero_copy_only=False).astype(np.int64))
            if counts is not None:
                counts = _add_counts(counts, present)
                if len(counts) > LABEL_MAX:
                    counts = None
    total = split.num_rows
    base = {"nan_count": nulls, "nan_proportion": _round(nulls / total) if total else 0.0}
    joined = np.concatenate(values) if values else np.zeros(0, dtype=np.int64)
    if kind_name == "class_label":
        names = kind.get("names", [])
        no_label = int((joined == -1).sum())
        labelled = joined[(joined >= 0) & (joined < len(names))]
        frequencies = {names[i]: int(c) for i, c in zip(*np.unique(labelled, return_counts=True))}
        return "class_label", {**base, "no_label_count": no_label,
                               "no_label_proportion": _round(no_label / total) if total else 0.0,
                               "n_unique": len(frequencies), "frequencies": frequencies}
    if kind_name == "bool":
        return "bool", {**base, "frequencies": {str(k): v for k, v in sorted(counts.items())}}
    if kind_name == "string":
        n_unique = len(counts) if counts is not None else None
        if n_unique is not None and (n_unique <= LABEL_ALWAYS or (total and n_unique / total <= LABEL_PROPORTION
                                                                    and n_unique < LABEL_MAX)):
            return "string_label", {**base, "n_unique": n_unique,
                                    "frequencies": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))}
        return "string_text", {**base, **_numbers(joined, integer=True)}
    return kind_name, {**base, **_numbers(joined, integer=kind_name != "float")}


def _add_counts(counts: dict, array: pa.Array) -> dict:
    tallies = pc.value_counts(array)
    for value, count in zip(tallies.field("values").to_pylist(), tallies.field("counts").to_pylist()):
        counts[value] = counts.get(value, 0) + count
    return counts


def _numbers(values: np.ndarray, *, integer: bool) -> dict:
    if len(values) == 0:
        return {"min": None, "max": None, "mean": None, "median": None, "std": None, "histogram": None}
    low, high = values.min(), values.max()
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    figures = {"min": int(low) if integer else _round(low), "max": int(high) if integer else _round(high),
               "mean": _round(values.mean()), "median": _round(np.median(values)), "std": _round(std)}
    return {**figures, "histogram": integer_histogram(values) if integer else float_histogram(values)}


def integer_histogram(values: np.ndarray) -> dict:
    """Bins of equal integer width, at most 10; the last edge is the maximum (as the real service)."""
    low, high = int(values.min()), int(values.max())
    width = max(1, math.ceil((high - low + 1) / BINS))
    bins = math.ceil((high - low + 1) / width)
    hist = np.bincount(((values - low) // width).astype(np.int64), minlength=bins)
    return {"hist": [int(h) for h in hist], "bin_edges": [low + i * width for i in range(bins)] + [high]}


def float_histogram(values: np.ndarray) -> dict:
    low, high = float(values.min()), float(values.max())
    if low == high:
        return {"hist": [len(values)], "bin_edges": [_round(low), _round(high)]}
    hist, edges = np.histogram(values, bins=BINS, range=(low, high))
    return {"hist": [int(h) for h in hist], "bin_edges": [_round(e) for e in edges]}
