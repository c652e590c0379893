"""``hubkit leaderboard build``: collect or evaluate, rank, group, write the files, push.

Order of work, so that bad input fails before anything slow or visible happens:

1. check the flags, the output folder and the push target;
2. collect the candidates and their claims (or, with ``--evaluate``, take the listed models);
3. in a staging folder beside ``--output``: evaluate (``--evaluate``/``--verify``), rank, group
   and write ``leaderboard.json``, ``leaderboard.csv``, ``README.md`` and ``index.html``;
4. rename the staging folder to ``--output`` (a failure leaves nothing behind), then push.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from pathlib import Path
from typing import Any

from hubkit.leaderboard import collect, page, render, schema
from hubkit.leaderboard.collect import ROUNDING, Candidate, Claim, Target
from hubkit.leaderboard.errors import LeaderboardError
from hubkit.leaderboard.measure import EvalSettings, folder_name, run_eval
from hubkit.leaderboard.rank import Entry, assign_groups, method_summary, order

DEFAULT_TOLERANCE = ROUNDING  # a claim is rounded to 4 decimals: within half a unit it reproduces
EVALUATIONS_DIR = "evaluations"


@dataclasses.dataclass
class BuildRequest:
    """Everything ``hubkit leaderboard build`` was asked for."""

    dataset: str
    output: Path
    config: str | None = None
    split: str | None = None
    models: list[str] | None = None
    search: str | None = None
    evaluate: bool = False
    verify: bool = False
    push_to: str | None = None
    settings: EvalSettings = dataclasses.field(default_factory=EvalSettings)
    tolerance: float = DEFAULT_TOLERANCE
    n_resamples: int = 1000
    seed: int = 0
    max_models: int = collect.DEFAULT_MAX_MODELS
    overwrite: bool = False
    title: str | None = None

    @property
    def mode(self) -> str:
        return "evaluate" if self.evaluate else "verify" if self.verify else "self-reported"


@dataclasses.dataclass
class Built:
    doc: dict[str, Any]
    output: Path
    commit_url: str | None = None
    page_url: str | None = None


def build(request: BuildRequest, api: Any) -> Built:
    """Build the leaderboard into ``request.output`` (and push it); raises LeaderboardError on bad input."""
    _check(request, api)
    existing = None
    if request.push_to:
        from hubkit.leaderboard.push import existing_card

        existing = existing_card(api, request.push_to)
    target = Target(request.dataset, request.config, request.split)
    found = _candidates(api, request, target)
    target = collect.resolve_target(target, [f for c in found for f in c.found])
    records = {c.model_id: _record(api, c, target) for c in found}
    from hubkit.datasets.prepare import staged_folder

    with staged_folder(request.output, overwrite=request.overwrite) as staging:
        os.chmod(staging, 0o755)  # created private; the result is an ordinary folder
        if request.evaluate or request.verify:
            entries, target, metric, greater = _measured(request, found, records, target, staging)
        else:
            metric, greater = _metric(found, records, target, request)
            entries = [_reported(c, records[c.model_id], target, metric) for c in found]
        skipped = [{"model": c.model_id, "reason": why} for c, why in zip(found, entries) if isinstance(why, str)]
        entries = [e for e in entries if isinstance(e, Entry)]
        if not entries:
            raise LeaderboardError(f"no model reports {metric} for {_where(target)}: "
                                   + "; ".join(f"{s['model']}: {s['reason']}" for s in skipped))
        ordered = order(entries, greater)
        comparisons = assign_groups(ordered, metric, request.n_resamples, request.seed)
        doc = _portable(_document(request, api, target, metric, greater, ordered, comparisons, skipped, records),
                        request)
        _write(doc, staging, request, api, existing)
    built = Built(doc, request.output)
    if request.push_to:
        from hubkit.leaderboard.push import page_url, push

        built.commit_url = push(request.output, request.push_to, api,
                                f"hubkit leaderboard: {_where(target)} ({len(ordered)} models)",
                                readme=lambda card: render.readme(doc, card))
        built.page_url = page_url(api.endpoint, request.push_to)
    return built


def _check(request: BuildRequest, api: Any) -> None:
    if request.models and request.search:
        raise LeaderboardError("pass --models or --search, not both")
    if request.evaluate and not request.models:
        raise LeaderboardError("--evaluate scores the models you list: pass --models NS/A,NS/B")
    if request.evaluate and request.verify:
        raise LeaderboardError("--evaluate already re-runs every listed model; drop --verify")
    if request.tolerance < 0:
        raise LeaderboardError(f"--tolerance must be >= 0, got {request.tolerance}")
    output = Path(request.output)
    if output.exists() and not request.overwrite and (not output.is_dir() or any(output.iterdir())):
        raise LeaderboardError(f"{output} already exists; pass --overwrite to replace it")
    if request.push_to:
        from hubkit.leaderboard.push import check_target

        check_target(api, request.push_to)


def _candidates(api: Any, request: BuildRequest, target: Target) -> list[Candidate]:
    if request.evaluate:
        local = [m for m in request.models or [] if Path(m).is_dir()]
        hub = [m for m in request.models or [] if m not in local]
        found = collect.candidates(api, target, models=hub, require_claims=False) if hub else []
        by_id = {c.model_id: c for c in found}
        found = [by_id.get(m) or Candidate(str(Path(m).resolve()), None) for m in request.models or []]
    else:
        found = collect.candidates(api, target, request.models, request.search, request.max_models)
    if not found:
        where = f"matching {request.search!r} " if request.search else ""
        raise LeaderboardError(f"no model {where}on {api.endpoint} reports {_where(target)} in its model-index "
                               "or .eval_results (list models with --models and score them with --evaluate)")
    return found


def _record(api: Any, candidate: Candidate, target: Target) -> tuple[Path, dict[str, Any]] | None:
    """The model's own ``hubkit eval`` record for the target split, when it pushed one that loads."""
    from hubkit.cards.model_card import evaluation_key
    from hubkit.evaluation.errors import EvaluationError
    from hubkit.evaluation.schema import load_results

    if target.split is None:
        return None
    key = evaluation_key(target.dataset, target.config, target.split)
    if key not in candidate.records:
        return None
    path = collect.download_record(api, candidate, key)
    if path is None:
        return None
    try:
        results = load_results(path)
    except EvaluationError as error:
        candidate.warnings.append(f"its evaluation record is unusable: {str(error).splitlines()[0]}")
        return None
    dataset = results["dataset"]
    if dataset.get("split") != target.split or not collect.same_config(dataset.get("config"), target.config):
        candidate.warnings.append(f"its evaluation record {key} is about {dataset.get('config')}/{dataset.get('split')}")
        return None
    return path, results


def _metric(found: list[Candidate], records: dict[str, Any], target: Target,
            request: BuildRequest) -> tuple[str, bool]:
    """The dataset's primary metric: from an evaluation record, else from the task the claims name."""
    for record in records.values():
        if record is not None:
            task = record[1]["task"]
            return task["primary_metric"], bool(task.get("greater_is_better", True))
    tasks = [f.task_type for c in found for f in c.found]
    known = collect.primary_metric(tasks)
    if known is None:
        raise LeaderboardError(f"cannot tell the primary metric of {_where(target)}: no model names a task hubkit "
                               f"knows ({', '.join(sorted({str(t) for t in tasks})) or 'none'}); score them with "
                               "--evaluate --models ...")
    return known


def _claim(candidate: Candidate, record: tuple[Path, dict[str, Any]] | None, target: Target,
           metric: str) -> Claim | None:
    """The card's claim, else the exact value of the model's own evaluation record."""
    claim = collect.claim_of(candidate, target, metric)
    if claim is None and record is not None and metric in record[1]["metrics"]:
        from hubkit.cards.model_card import evaluation_key

        key = evaluation_key(target.dataset, target.config, target.split)
        claim = Claim(record[1]["metrics"][metric], f"evaluations/{key}/results.json",
                      record[1]["confidence_intervals"].get(metric))
    return claim


def _reported(candidate: Candidate, record: tuple[Path, dict[str, Any]] | None, target: Target,
              metric: str) -> Entry | str:
    """A self-reported entry; the exact record is used only when it agrees with the card's claim."""
    claim = _claim(candidate, record, target, metric)
    if claim is None:
        return f"reports {target.dataset} but not {metric} on {_where(target)}"
    entry = Entry(candidate.model_id, candidate.revision, claim.value, claim.ci, "claim", "self-reported", claim,
                  warnings=candidate.warnings, tolerance=ROUNDING)
    if record is not None:
        exact = record[1]["metrics"].get(metric)
        if exact is not None and abs(exact - claim.value) <= ROUNDING + 1e-12:
            entry.score, entry.ci, entry.tolerance = exact, record[1]["confidence_intervals"].get(metric), 0.0
            entry.score_source, entry.record = "evaluation record", record[0]
        else:
            entry.warnings.append(f"its card claims {metric} {claim.value:.4f} but its own evaluation record says "
                                  f"{_fmt(exact)}; ranked by the claim, without paired tests")
    return entry


def _measured(request: BuildRequest, found: list[Candidate], records: dict[str, Any], target: Target,
              staging: Path) -> tuple[list[Entry | str], Target, str, bool]:
    """Evaluate every candidate here; each claim is then reproduced or not."""
    entries: list[Entry | str] = []
    metric: tuple[str, bool] | None = None
    for candidate in found:
        record = records.get(candidate.model_id)
        if request.verify and metric is None:
            metric = _metric(found, records, target, request)
        if request.verify and _claim(candidate, record, target, metric[0]) is None:
            entries.append(f"claims nothing for {metric[0]} on {_where(target)}; nothing to verify")
            continue
        settings = request.settings.following(record[1] if record else None)
        folder = staging / EVALUATIONS_DIR / folder_name(candidate.model_id)
        try:
            results = run_eval(candidate.model_id, candidate.revision, target, settings, folder)
        except Exception as error:  # noqa: BLE001 - any failure aborts the build, named by model
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            raise LeaderboardError(f"evaluating {candidate.model_id} failed: {str(error).strip().splitlines()[0]}") \
                from None
        if target.split is None:  # --evaluate without claims: hubkit eval chose the split; keep it for all
            target = Target(target.dataset, results["dataset"]["config"], results["dataset"]["split"])
        if metric is None:
            metric = results["task"]["primary_metric"], bool(results["task"]["greater_is_better"])
        entries.append(_measured_entry(candidate, record, target, metric[0], results, folder, request.tolerance))
    assert metric is not None
    return entries, target, metric[0], metric[1]


def _measured_entry(candidate: Candidate, record: tuple[Path, dict[str, Any]] | None, target: Target, metric: str,
                    results: dict[str, Any], folder: Path, tolerance: float) -> Entry | str:
    value = results["metrics"].get(metric)
    if value is None:
        return f"its evaluation gave no {metric}"
    claim = _claim(candidate, record, target, metric)
    relative = f"{EVALUATIONS_DIR}/{folder.name}"
    evaluation = {"results": f"{relative}/results.json", "predictions": f"{relative}/predictions.parquet",
                  "predictions_sha256": results["predictions"]["sha256"],
                  "examples": results["dataset"]["num_examples"],
                  "model_revision": results["model"].get("revision") or results["model"].get("content_sha256")}
    entry = Entry(candidate.model_id, candidate.revision or evaluation["model_revision"], value,
                  results["confidence_intervals"].get(metric), "evaluated here", "evaluated", claim,
                  record=folder / "results.json", evaluation=evaluation, warnings=candidate.warnings)
    if claim is not None:
        difference = value - claim.value
        entry.status = "reproduced" if abs(difference) <= tolerance + 1e-12 else "failed reproduction"
        entry.verification = {"value": value, "reported": claim.value, "difference": difference,
                              "tolerance": tolerance,
                              "same_predictions_as_record": (record[1]["predictions"].get("sha256") ==
                                                             results["predictions"]["sha256"]) if record else None}
    return entry


def _document(request: BuildRequest, api: Any, target: Target, metric: str, greater: bool, ordered: list[Entry],
              comparisons: list[dict[str, Any]], skipped: list[dict[str, str]], records: dict[str, Any]) -> dict:
    from hubkit.evaluation import provenance

    pretty = next((r[1]["dataset"].get("pretty_name") for r in records.values() if r), None) or target.dataset
    title = request.title or f"{pretty} {target.split} leaderboard"
    return schema.document(
        title=title,
        dataset={"name": target.dataset, "config": target.config, "split": target.split, "pretty_name": pretty},
        metric=metric, greater_is_better=greater, entries=ordered, comparisons=comparisons,
        method={"ranking": f"{metric}, {'higher' if greater else 'lower'} is better",
                "ties": {"method": method_summary(comparisons), "grouping": "leader", "n_resamples": request.n_resamples,
                         "seed": request.seed, "confidence_level": 0.95},
                "verification": {"mode": request.mode, "tolerance": request.tolerance}},
        source={"endpoint": api.endpoint, "models": request.models, "search": request.search},
        skipped=skipped,
        generated={"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "hubkit": provenance.hubkit_source(), "command": provenance.command_line()},
    )


def _portable(doc: Any, request: BuildRequest) -> Any:
    """The document with each local model folder named relative to the output folder (or by its
    name): the leaderboard is published, and an absolute path would name this machine's folders."""
    from hubkit.portable import relative_path

    local = {}
    for model in request.models or []:
        if Path(model).is_dir():
            shown = relative_path(model, request.output, f"local/{Path(model).resolve().name}")
            local[model] = local[str(Path(model).resolve())] = shown

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return local.get(value, value) if isinstance(value, str) else value

    return walk(doc) if local else doc


def _write(doc: dict[str, Any], folder: Path, request: BuildRequest, api: Any, existing: str | None) -> None:
    from hubkit.leaderboard.push import files_url

    schema.write(doc, folder)
    (folder / "leaderboard.csv").write_text(render.to_csv(doc), encoding="utf-8")
    (folder / "README.md").write_text(render.readme(doc, existing), encoding="utf-8")
    links = files_url(api.endpoint, request.push_to) if request.push_to else None
    (folder / "index.html").write_text(page.render(doc, model_url=api.endpoint, files_url=links), encoding="utf-8")


def _where(target: Target) -> str:
    parts = [target.dataset] + [p for p in (target.config, target.split) if p]
    return " ".join(parts)


def _fmt(value: Any) -> str:
    return "nothing" if value is None else f"{value:.4f}"
