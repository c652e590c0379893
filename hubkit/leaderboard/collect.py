"""What the models on a hub say about one dataset split: their claims and their evaluation records.

A model *claims* a score in its card: a ``model-index`` result (dataset type, config, split,
metric values rounded to 4 decimals) or a ``.eval_results/*.yaml`` entry (the Hub's newer format:
dataset id, task id ``<split>`` or ``<config>-<split>``, one value, notes with the interval when
hubkit wrote it). ``hubkit eval --push`` also uploads the full *record* under
``evaluations/<key>/`` (``results.json`` with the exact values and intervals, and the per-example
``predictions.parquet``); that is what makes a paired comparison between two models possible.

Every model is pinned to the commit its card was read at, so the leaderboard says exactly which
weights a line is about, and ``--verify`` re-runs those weights.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any, Iterable

from hubkit.leaderboard.errors import LeaderboardError

# Pipeline tag or task family -> (primary metric, greater is better): the metric hubkit's task
# adapters rank by (hubkit.train.*Task.primary_metric), so claims and re-runs speak of one metric.
PRIMARY_METRICS: dict[str, tuple[str, bool]] = {
    "text-classification": ("accuracy", True),
    "token-classification": ("overall_f1", True),
    "question-answering": ("f1", True),
    "language-modeling": ("perplexity", False),
    "fill-mask": ("perplexity", False),
    "text-generation": ("perplexity", False),
}
# A claim is rounded to 4 decimals in model-index and .eval_results: half a unit in the last place.
ROUNDING = 5e-5
_CI_NOTE = re.compile(r"95% bootstrap CI \[\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\]")
DEFAULT_MAX_MODELS = 1000


@dataclasses.dataclass(frozen=True)
class Target:
    """The leaderboard's dataset split. ``config``/``split`` may be open until the claims decide them."""

    dataset: str
    config: str | None = None
    split: str | None = None


@dataclasses.dataclass
class Found:
    """One result a model reports for the dataset: where it came from and its values."""

    source: str  # "model-index" or ".eval_results"
    config: str | None
    split: str
    metrics: dict[str, float]  # model-index: every metric type; .eval_results: {"": value}
    task_type: str | None = None
    ci: list[float] | None = None  # from hubkit's .eval_results notes
    metric: str | None = None  # .eval_results: the metric its task id names (``{config}-{split}-{metric}``)


@dataclasses.dataclass
class Candidate:
    """A model that reports (or is to be evaluated on) the target split, pinned to a commit."""

    model_id: str
    revision: str | None
    found: list[Found] = dataclasses.field(default_factory=list)
    records: dict[str, Path] = dataclasses.field(default_factory=dict)  # evaluation key -> local results.json
    warnings: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Claim:
    """The score a model claims for the target's primary metric."""

    value: float
    source: str
    ci: list[float] | None


def same_config(a: str | None, b: str | None) -> bool:
    """``None`` and ``"default"`` name the same (only) config."""
    return (a or "default") == (b or "default")


def candidates(api: Any, target: Target, models: list[str] | None = None, search: str | None = None,
               max_models: int = DEFAULT_MAX_MODELS, require_claims: bool = True) -> list[Candidate]:
    """The models that report ``target.dataset`` (listed ones, or found by ``search`` / by listing the hub)."""
    if models:
        infos = [_model_info(api, model_id) for model_id in models]
    else:
        infos = [_model_info(api, info.id) for info in _listed(api, search, max_models) if _may_report(info, target)]
    found = []
    for info in infos:
        candidate = Candidate(info.id, info.sha)
        candidate.found = _from_card(info, target) + _from_eval_results(api, info, target)
        candidate.records = _record_files(info, target)
        if candidate.found or candidate.records or not require_claims:
            found.append(candidate)
    return found


def _listed(api: Any, search: str | None, max_models: int) -> list[Any]:
    return list(api.list_models(search=search or None, cardData=True, full=True, limit=max_models))


def aliases(dataset: str) -> dict[str, str | None]:
    """The ids a claim may name the target dataset by, each with the config that id implies.

    A hubkit builder's data is named in cards by its dataset's canonical Hub id and config
    (``nyu-mll/glue``, ``sst2`` for ``sst2``), and by the builder name in older cards.
    """
    names: dict[str, str | None] = {dataset: None}
    if "/" in dataset:
        return names
    from hubkit.datasets import registry
    from hubkit.datasets.errors import UnknownDatasetError

    try:
        card = registry.get(dataset).load().CARD
    except UnknownDatasetError:  # not a builder here: only the name itself (a broken builder raises)
        return names
    if card.hub_id:
        names[card.hub_id] = card.hub_config
    return names


def _matches(names: dict[str, str | None], dataset_id: str | None, config: str | None) -> tuple[bool, str | None]:
    """Whether a claim about ``dataset_id``/``config`` is about the target, and the config it is for."""
    if dataset_id not in names:
        return False, None
    implied = names[dataset_id]
    if implied is None:
        return True, config
    return (config or "default") == implied, None


def _may_report(info: Any, target: Target) -> bool:
    """Cheap pre-filter on a listing: a model-index result for the dataset, or result files."""
    results = _card_results(info)
    names = aliases(target.dataset)
    if any(r.dataset_type in names for r in results):
        return True
    names = [s.rfilename for s in info.siblings or []]
    return any(n.startswith(".eval_results/") or (n.startswith("evaluations/") and n.endswith("/results.json"))
               for n in names)


def _model_info(api: Any, model_id: str) -> Any:
    from huggingface_hub.errors import RepositoryNotFoundError

    if Path(model_id).is_dir():
        raise LeaderboardError(f"{model_id} is a local folder; collecting reads model repos on the hub "
                               "(use --evaluate to score local folders)")
    try:
        return api.model_info(model_id)
    except RepositoryNotFoundError:
        raise LeaderboardError(f"model {model_id} is not on {api.endpoint} (or is private to someone else)") from None


def _from_card(info: Any, target: Target) -> list[Found]:
    """The card's model-index results for the dataset, one per (config, split)."""
    results = _card_results(info)
    names = aliases(target.dataset)
    grouped: dict[tuple, Found] = {}
    for result in results:
        about, config = _matches(names, result.dataset_type, result.dataset_config)
        if not about or not _finite(result.metric_value):
            continue
        key = (config or "default", result.dataset_split)
        item = grouped.setdefault(key, Found("model-index", config, result.dataset_split or "",
                                             {}, result.task_type))
        item.metrics.setdefault(result.metric_type, float(result.metric_value))
    return list(grouped.values())


def _card_results(info: Any) -> list[Any]:
    """The card's model-index as huggingface_hub parsed it (``EvalResult`` objects)."""
    card = getattr(info, "card_data", None)
    return list(getattr(card, "eval_results", None) or [])


def _from_eval_results(api: Any, info: Any, target: Target) -> list[Found]:
    """``.eval_results/*.yaml`` entries for the dataset (downloaded at the pinned commit)."""
    import yaml
    from huggingface_hub import parse_eval_result_entries

    out = []
    for name in sorted(s.rfilename for s in info.siblings or []):
        if not (name.startswith(".eval_results/") and name.endswith((".yaml", ".yml"))):
            continue
        try:
            with open(api.hf_hub_download(info.id, name, revision=info.sha), encoding="utf-8") as handle:
                entries = parse_eval_result_entries(yaml.safe_load(handle))
        except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
            continue  # an unreadable file is not a claim; the card's model-index may still be
        names = aliases(target.dataset)
        for entry in entries:
            if entry.dataset_id not in names or not _finite(entry.value):
                continue
            config, split, metric = _task_id(entry.task_id, target)
            about, config = _matches(names, entry.dataset_id, config)
            if about:
                out.append(Found(".eval_results", config, split, {"": float(entry.value)}, None,
                                 _ci_from(entry.notes), metric))
    return out


def _known_metrics() -> set[str]:
    from hubkit.datasets.spec import BENCHMARK_METRICS

    return {name for names in BENCHMARK_METRICS.values() for name in names} | {"f1_macro"}


def _task_id(task_id: str, target: Target) -> tuple[str | None, str, str | None]:
    """(config, split, metric) of a task id: ``{config}-{split}-{metric}`` (hubkit's benchmark tasks,
    see :func:`hubkit.datasets.spec.benchmark_task_id`), or the older ``<split>`` / ``<config>-<split>``."""
    parts = task_id.rsplit("-", 2)
    if len(parts) == 3 and parts[2] in _known_metrics():
        return parts[0], parts[1], parts[2]
    if target.split and task_id == target.split:
        return None, task_id, None
    if target.split and target.config and task_id == f"{target.config}-{target.split}":
        return target.config, target.split, None
    if "-" in task_id:
        config, split = task_id.rsplit("-", 1)
        return config, split, None
    return None, task_id, None


def _ci_from(notes: str | None) -> list[float] | None:
    match = _CI_NOTE.search(notes or "")
    if not match:
        return None
    low, high = float(match.group(1)), float(match.group(2))
    return [low, high] if low <= high else None


def _record_files(info: Any, target: Target) -> dict[str, Path]:
    """``evaluations/<key>/results.json`` paths in the repo that may be about the dataset (by key)."""
    from hubkit.cards.model_card import slug

    prefix = slug(target.dataset.replace("/", "--")) + "-"
    keys = {}
    for name in (s.rfilename for s in info.siblings or []):
        parts = name.split("/")
        if len(parts) == 3 and parts[0] == "evaluations" and parts[2] == "results.json" and parts[1].startswith(prefix):
            keys[parts[1]] = Path(name)
    return keys


def download_record(api: Any, candidate: Candidate, key: str) -> Path | None:
    """The record's results.json, with its predictions beside it, in the local hub cache."""
    from huggingface_hub.errors import EntryNotFoundError

    name = str(candidate.records[key])
    try:
        path = Path(api.hf_hub_download(candidate.model_id, name, revision=candidate.revision))
        api.hf_hub_download(candidate.model_id, str(Path(name).parent / "predictions.parquet"),
                            revision=candidate.revision)
    except EntryNotFoundError:
        candidate.warnings.append(f"{name} has no predictions.parquet beside it; not used for paired tests")
        return path if path.is_file() else None
    return path


def resolve_target(target: Target, found: Iterable[Found]) -> Target:
    """Fill in the config and split the claims agree on; refuse to guess between several."""
    found = list(found)
    if not found:
        return target
    config = target.config
    if config is None:
        configs = sorted({f.config or "default" for f in found if target.split in (None, f.split)})
        if len(configs) > 1:
            raise LeaderboardError(f"models report {target.dataset} in several configs ({', '.join(configs)}); "
                                   "pass --config")
        config = configs[0] if configs else None
    split = target.split
    if split is None:
        splits = sorted({f.split for f in found if same_config(f.config, config)})
        preferred = [s for s in ("test", "validation") if s in splits]
        if len(splits) > 1 and not preferred:
            raise LeaderboardError(f"models report {target.dataset} on several splits ({', '.join(splits)}); "
                                   "pass --split")
        split = "validation" if "validation" in splits else (preferred[0] if preferred else splits[0])
    return Target(target.dataset, config, split)


def primary_metric(task_types: Iterable[str | None]) -> tuple[str, bool] | None:
    """The dataset's primary metric from the task the claims name (pipeline tag or family)."""
    for task_type in task_types:
        if task_type in PRIMARY_METRICS:
            return PRIMARY_METRICS[task_type]
    return None


def claim_of(candidate: Candidate, target: Target, metric: str) -> Claim | None:
    """The model's claim for the target's primary metric: model-index first, then .eval_results.

    When both exist and disagree beyond rounding, the model-index value is the claim (the one
    leaderboards have always read) and the disagreement is noted on the entry.
    """
    matching = [f for f in candidate.found if f.split == target.split and same_config(f.config, target.config)]
    index = next((f for f in matching if f.source == "model-index" and metric in f.metrics), None)
    entry = next((f for f in matching if f.source == ".eval_results" and f.metric in (None, metric)), None)
    if index is None and entry is None:
        return None
    agree = index is None or entry is None or abs(index.metrics[metric] - entry.metrics[""]) <= 2 * ROUNDING
    if not agree:
        candidate.warnings.append(f"model-index says {metric} {index.metrics[metric]:.4f} but .eval_results says "
                                  f"{entry.metrics['']:.4f}")
    if index is not None:
        return Claim(index.metrics[metric], "model-index", entry.ci if entry is not None and agree else None)
    return Claim(entry.metrics[""], ".eval_results", entry.ci)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
