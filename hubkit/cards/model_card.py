"""``hubkit card model OUT``: the README.md, plots and ``.eval_results/`` of a train or eval folder.

The card's YAML carries base_model, datasets, language, license (inherited from the base model
where its repo says), tags, pipeline_tag, library_name, metrics and model-index (task, dataset
name/type/config/split/revision, metric values), and beside it one ``.eval_results/*.yaml`` file
per evaluated split in the Hub's newer format. The dataset is named by its Hub id
(:attr:`CardContext.hub_dataset`): the dataset repo and commit the run read, or the canonical
id of data built here from original files; never a hubkit builder name, which links nowhere. The prose is :mod:`hubkit.cards.sections`; any
``card_sections/*.md`` in the folder (written by other commands, e.g. a transfer curve) is
included too, each in its own marked section.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from hubkit.cards import plots as draw
from hubkit.cards import sections as s
from hubkit.cards import usage
from hubkit.cards.context import CardContext, load_context
from hubkit.repocard.errors import CardError
from hubkit.repocard.render import render_card
from hubkit.repocard.validate import validate_eval_results

PLOTS_DIR = "plots"
EVAL_RESULTS_DIR = ".eval_results"
TRAINING_ORDER = ["summary", "uses", "usage", "training-data", "training-procedure", "results", "per-class",
                  "curves", "environment", "base-model", "reproduce", "citation"]


@dataclasses.dataclass
class CardBuild:
    """A rendered card and the files that go with it, by path in the folder (or repo)."""

    text: str
    files: dict[str, bytes]
    eval_results: dict[str, list[dict[str, Any]]]
    context: CardContext

    def all_files(self) -> dict[str, bytes]:
        return {"README.md": self.text.encode("utf-8"), **self.files}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-") or "x"


def evaluation_key(dataset_id: str, config: str | None, split: str) -> str:
    """The name of one evaluated split: section marker, plot folder and .eval_results file stem."""
    return slug(f"{dataset_id.replace('/', '--')}-{config or 'default'}-{split}")


def task_id(config: str | None, split: str, metric: str) -> str:
    """``.eval_results`` task id: ``{config}-{split}-{metric}``, as in the benchmark's ``eval.yaml``."""
    from hubkit.datasets.spec import benchmark_task_id

    return benchmark_task_id(config, split, metric)


def build_model_card(folder: Path, repo_id: str | None = None, existing: str | None = None,
                     data_dir: str | None = None, offline: bool | None = None) -> CardBuild:
    """Render the card of ``folder`` (merged into ``existing``, else into ``folder/README.md``)."""
    ctx = load_context(Path(folder), repo_id, data_dir, offline)
    if existing is None and (ctx.folder / "README.md").is_file():
        existing = (ctx.folder / "README.md").read_text(encoding="utf-8")
    files = render_plots(ctx)
    plot_paths = {key: path for key, path in _plot_keys(ctx).items() if path in files}
    entries = eval_result_entries(ctx)
    for path, items in entries.items():
        validate_eval_results(items, where=path)
        files[path] = yaml.safe_dump(items, sort_keys=False, allow_unicode=True).encode("utf-8")
    files.update(_extra_files(ctx))
    body_sections, order = card_sections(ctx, plot_paths)
    text = render_card("model", card_metadata(ctx), body_sections, existing, order=order)
    return CardBuild(text, files, entries, ctx)


def build_evaluation_update(folder: Path, repo_id: str, existing: str | None,
                            offline: bool | None = None) -> CardBuild:
    """What ``hubkit eval --push`` adds to a model's card: its model-index results, one marked
    evaluation section, its figures and ``.eval_results`` file. Everything else in the card (the
    training sections, other evaluations, hand edits, YAML keys) stays; a repo without a card gets
    the whole evaluation card."""
    if existing is None:
        return build_model_card(folder, repo_id, existing="", offline=offline)
    ctx = load_context(Path(folder), repo_id, None, offline)
    if ctx.kind != "evaluation":
        raise CardError(f"{folder} holds a training result; push it with hubkit card model --push-to")
    files = render_plots(ctx)
    plot_paths = {key: path for key, path in _plot_keys(ctx).items() if path in files}
    entries = eval_result_entries(ctx)
    for path, items in entries.items():
        validate_eval_results(items, where=path)
        files[path] = yaml.safe_dump(items, sort_keys=False, allow_unicode=True).encode("utf-8")
    sections, order = card_sections(ctx, plot_paths)
    key = next(name for name, _ in sections if name.startswith("evaluation-") and name != "evaluation-data")
    full = card_metadata(ctx)
    metadata = {k: full[k] for k in ("tags", "metrics", "model-index") if k in full}
    metadata["tags"] = ["hubkit"]
    text = render_card("model", metadata, [(key, dict(sections)[key])], existing, order=order)
    return CardBuild(text, files, entries, ctx)


def _extra_files(ctx: CardContext) -> dict[str, bytes]:
    """Images next to ``card_sections/*.md`` travel with the card (sections link them relatively)."""
    from hubkit.cards.context import EXTRA_SECTIONS_DIR

    directory = ctx.folder / EXTRA_SECTIONS_DIR
    if not directory.is_dir():
        return {}
    return {f"{EXTRA_SECTIONS_DIR}/{p.name}": p.read_bytes() for p in sorted(directory.iterdir())
            if p.is_file() and p.suffix.lower() in (".png", ".jpg", ".jpeg", ".svg", ".gif")}


def card_sections(ctx: CardContext, plot_paths: dict[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The marked sections of the card, and hubkit's full section order."""
    if ctx.kind == "training":
        sections = [("summary", s.summary(ctx)), ("uses", s.intended_uses(ctx)), ("usage", usage.usage_section(ctx)),
                    ("training-data", s.training_data(ctx)), ("training-procedure", s.training_procedure(ctx)),
                    ("results", s.results_section(ctx, plot_paths)), ("per-class", s.per_class_section(ctx, plot_paths)),
                    ("curves", s.plots_section(ctx, plot_paths)), ("environment", s.environment(ctx)),
                    ("base-model", s.base_model_section(ctx)), ("reproduce", s.reproduce(ctx)),
                    ("citation", s.citation(ctx))]
        order = list(TRAINING_ORDER)
    else:
        key = f"evaluation-{evaluation_key(ctx.dataset_id, ctx.dataset.get('config'), ctx.dataset['split'])}"
        sections = [("summary", s.summary(ctx)), ("uses", s.intended_uses(ctx)),
                    ("evaluation-data", s.training_data(ctx)), (key, s.evaluation_section(ctx, plot_paths)),
                    ("environment", s.environment(ctx)), ("base-model", s.base_model_section(ctx)),
                    ("reproduce", s.reproduce(ctx)), ("citation", s.citation(ctx))]
        order = TRAINING_ORDER[:6] + ["evaluation-data", key] + TRAINING_ORDER[6:]
    extras = [(f"extra-{slug(name)}", text) for name, text in ctx.extra_sections]
    return sections[:-1] + extras + sections[-1:], order[:-1] + [name for name, _ in extras] + order[-1:]


def card_metadata(ctx: CardContext) -> dict[str, Any]:
    from huggingface_hub import EvalResult
    from huggingface_hub.repocard_data import eval_results_to_model_index

    meta: dict[str, Any] = {}
    base = ctx.base_model.get("id")
    if s.is_hub_id(base):
        meta["base_model"] = base
    trained_on = _trained_on(ctx)
    if trained_on:
        meta["datasets"] = [trained_on]
    card = ctx.builder_card
    if card and card.language:
        meta["language"] = list(card.language)
    if ctx.base_model.get("license"):
        meta["license"] = ctx.base_model["license"]
        if ctx.base_model.get("license_name"):
            meta["license_name"] = ctx.base_model["license_name"]
    meta["library_name"] = usage.library_name(ctx)
    meta["pipeline_tag"] = ctx.task["pipeline_tag"]
    meta["tags"] = ["hubkit", ctx.task["family"], slug(ctx.dataset["name"].split("/")[-1])]
    scores = _scores(ctx)
    meta["metrics"] = list(dict.fromkeys(name for split in scores.values() for name in split))
    hub_id, hub_config, revision = ctx.hub_dataset
    results = [EvalResult(task_type=ctx.task["pipeline_tag"], task_name=s.TASK_WORDS.get(ctx.task["family"]),
                          dataset_type=hub_id or ctx.dataset_id,
                          dataset_name=ctx.dataset.get("pretty_name") or ctx.dataset["name"],
                          dataset_config=hub_config if hub_id else ctx.dataset.get("config"), dataset_split=split,
                          dataset_revision=revision, metric_type=name,
                          metric_value=round(value, 4), metric_name=_metric_name(ctx, split, name))
               for split, values in scores.items() for name, value in values.items()]
    if results:
        meta["model-index"] = eval_results_to_model_index(ctx.model_name, results)
    return meta


def _trained_on(ctx: CardContext) -> str | None:
    """The Hub id of the data the model was trained on (ids only: a builder name links nowhere)."""
    if ctx.kind == "evaluation":
        from hubkit.cards.context import hub_dataset

        record = ctx.results["model"].get("trained_on") or {}
        return hub_dataset(record, _builder_of(record.get("name")))[0] if record.get("name") else None
    return ctx.hub_dataset[0]


def _builder_of(name: str | None):
    from hubkit.cards.context import _builder_card

    return _builder_card(name)


def _scores(ctx: CardContext) -> dict[str, dict[str, float]]:
    """The model-index values: the scores of the model in the repo (the best seed's, with seeds)."""
    if ctx.kind == "evaluation":
        return {ctx.dataset["split"]: dict(ctx.results["metrics"])}
    own = ctx.best_seed_run.get("metrics", {})
    return {split: {name: own.get(split, {}).get(name, value["mean"]) for name, value in values.items()}
            for split, values in ctx.results["aggregate"].items()}


def _metric_name(ctx: CardContext, split: str, metric: str) -> str:
    seeds = len(ctx.results.get("seeds") or [])
    return f"{split} {metric}" + (f" (best of {seeds} seeds)" if seeds > 1 else "")


def eval_result_entries(ctx: CardContext) -> dict[str, list[dict[str, Any]]]:
    """One ``.eval_results/<key>.yaml`` per split: the primary metric, its interval in the notes."""
    from huggingface_hub import EvalResultEntry, eval_result_entries_to_yaml

    metric = ctx.task["primary_metric"]
    hub_id, hub_config, revision = ctx.hub_dataset
    out: dict[str, list[dict[str, Any]]] = {}
    if hub_id is None:  # an entry must name a dataset on the Hub; this data has no id there
        return out
    for split, value, std, seeds, ci, mean in s.primary_scores(ctx):
        notes = [f"{metric}, split {split}"]
        if ci:
            notes.append(f"95% bootstrap CI [{ci[0]:.4f}, {ci[1]:.4f}]")
        if seeds > 1:
            notes.append(f"this model is the best of {seeds} seeds; mean ± std over them: {mean:.4f} ± {std:.4f}")
        notes.append("hubkit")
        entry = EvalResultEntry(dataset_id=hub_id, task_id=task_id(hub_config, split, metric),
                                value=round(value, 4), dataset_revision=revision,
                                date=ctx.results.get("timing", {}).get("date"), notes="; ".join(notes))
        path = f"{EVAL_RESULTS_DIR}/hubkit-{evaluation_key(ctx.dataset_id, ctx.dataset.get('config'), split)}.yaml"
        out[path] = eval_result_entries_to_yaml([entry])
    return out


def _plot_keys(ctx: CardContext) -> dict[str, str]:
    """Where each figure goes in the repo; evaluation figures get a folder per evaluated split."""
    if ctx.kind == "training":
        prefix = PLOTS_DIR
    else:
        prefix = f"{PLOTS_DIR}/{evaluation_key(ctx.dataset_id, ctx.dataset.get('config'), ctx.dataset['split'])}"
    keys = {"curves": f"{prefix}/training_curves.png"}
    for split in ctx.predictions:
        keys[f"confusion:{split}"] = f"{prefix}/confusion_matrix_{slug(split)}.png"
        keys[f"per_class:{split}"] = f"{prefix}/per_class_f1_{slug(split)}.png"
        keys[f"entity:{split}"] = f"{prefix}/entity_type_f1_{slug(split)}.png"
    return keys


def render_plots(ctx: CardContext) -> dict[str, bytes]:
    """Every figure the data allows, as PNG bytes by repo path."""
    keys = _plot_keys(ctx)
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="hubkit-card-") as scratch:
        root = Path(scratch)

        def keep(key: str, drawn: Path | None) -> None:
            if drawn is not None:
                out[keys[key]] = drawn.read_bytes()

        if ctx.kind == "training" and ctx.log:
            keep("curves", draw.training_curves(ctx.log, root / "curves.png"))
        labels = ctx.task.get("labels") or []
        for split, data in ctx.predictions.items():
            if ctx.task["family"] == "text-classification":
                keep(f"confusion:{split}", draw.confusion_matrix(data["references"], data["predictions"], labels,
                                                                 root / f"cm-{split}.png", f"Confusion matrix ({split})"))
                per_class = _split_details(ctx, split).get("f1_per_class")
                if isinstance(per_class, dict):
                    keep(f"per_class:{split}", draw.per_class_scores(per_class, root / f"pc-{split}.png",
                                                                     f"Per-class F1 ({split})"))
            elif ctx.task["family"] == "token-classification":
                per_type = entity_type_f1(_split_details(ctx, split))
                if per_type:
                    keep(f"entity:{split}", draw.per_class_scores(per_type, root / f"et-{split}.png",
                                                                  f"Entity-type F1 ({split})"))
    return out


def _split_details(ctx: CardContext, split: str) -> dict[str, Any]:
    if ctx.kind == "evaluation":
        return ctx.results.get("details") or {}
    return ctx.best_seed_run.get("metrics", {}).get(split) or {}


def entity_type_f1(details: dict[str, Any]) -> dict[str, float]:
    """F1 per entity type from a tagging adapter's scores, whatever the key (``per_type``, ``f1_per_type``...)."""
    for key, value in details.items():
        if not isinstance(value, dict) or not ("type" in key or "class" in key or "entity" in key):
            continue
        if all(isinstance(v, (int, float)) for v in value.values()):
            return {str(k): float(v) for k, v in value.items()}
        if all(isinstance(v, dict) and isinstance(v.get("f1"), (int, float)) for v in value.values()):
            return {str(k): float(v["f1"]) for k, v in value.items()}
    return {}


def write_model_card(folder: Path, repo_id: str | None = None, existing: str | None = None,
                     data_dir: str | None = None, offline: bool | None = None) -> CardBuild:
    """Build (and validate) the card, then write README.md, plots and .eval_results into ``folder``."""
    build = build_model_card(folder, repo_id, existing, data_dir, offline)
    write_files(Path(folder), build.all_files())
    return build


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Each file through a temporary name and a rename, so no reader sees half a file."""
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
