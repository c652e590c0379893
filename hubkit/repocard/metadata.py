"""Merging freshly generated card metadata into the YAML a card already has.

hubkit owns the keys it generates; it replaces their values and keeps every other key, in its
original position (a hand-added ``widget`` or a dataset card's ``configs`` must survive: hf_hub#3043,
mteb#2623). Three keys accumulate instead of being replaced: ``tags`` and ``metrics`` (union, the
author's entries first) and ``model-index``, where a result replaces only the earlier result for
the same task, dataset, config, split and metric, so ``hubkit eval --push`` on a second dataset adds
to the card instead of erasing the first.
"""

from __future__ import annotations

import copy
from typing import Any, Callable


def _union(old: Any, new: Any) -> Any:
    old_items = old if isinstance(old, list) else [old] if old else []
    new_items = new if isinstance(new, list) else [new] if new else []
    return list(dict.fromkeys([*old_items, *new_items]))


def _result_key(result: dict[str, Any]) -> tuple:
    task, dataset = result.get("task") or {}, result.get("dataset") or {}
    return (task.get("type"), dataset.get("type"), dataset.get("config"), dataset.get("split"))


def merge_model_index(old: Any, new: Any) -> Any:
    """``new`` results win metric by metric; other results and metrics of ``old`` are kept."""
    if not isinstance(old, list) or not old or not isinstance(old[0], dict):
        return new
    if not isinstance(new, list) or not new:
        return old
    merged = copy.deepcopy(old)
    target = merged[0]
    target["name"] = new[0].get("name", target.get("name"))
    results = target.setdefault("results", [])
    for fresh in new[0].get("results") or []:
        same = next((r for r in results if isinstance(r, dict) and _result_key(r) == _result_key(fresh)), None)
        if same is None:
            results.append(copy.deepcopy(fresh))
            continue
        same.update({k: copy.deepcopy(v) for k, v in fresh.items() if k != "metrics"})
        metrics = same.setdefault("metrics", [])
        for metric in fresh.get("metrics") or []:
            index = next((i for i, m in enumerate(metrics) if isinstance(m, dict) and m.get("type") == metric["type"]),
                         None)
            if index is None:
                metrics.append(copy.deepcopy(metric))
            else:
                metrics[index] = copy.deepcopy(metric)
    return merged


MERGERS: dict[str, Callable[[Any, Any], Any]] = {"tags": _union, "metrics": _union, "model-index": merge_model_index}


def merge_metadata(existing: dict[str, Any] | None, generated: dict[str, Any]) -> dict[str, Any]:
    """``existing`` with hubkit's ``generated`` keys refreshed in place and new ones appended."""
    existing = existing or {}
    merged: dict[str, Any] = {}
    for key, value in existing.items():
        if key in generated:
            merger = MERGERS.get(key)
            merged[key] = merger(value, generated[key]) if merger else generated[key]
        else:
            merged[key] = value
    for key, value in generated.items():
        if key not in merged:
            merged[key] = value
    return merged
