"""Everything a model card is made from, read once from a train or eval output folder.

A training folder (``hubkit train``) holds ``results.json`` (per-seed metrics), ``train_log.jsonl``,
``training_args.json`` and ``predictions_<split>.jsonl``; an evaluation folder (``hubkit eval``)
holds ``results.json`` (one split, full provenance) and ``predictions.parquet``. Facts that are
not in the folder come from the dataset's builder (language, homepage, citation: class
attributes, nothing is run) and, when reachable, from the base model's repo (licence, citation).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from hubkit.repocard.errors import CardError
from hubkit.repocard.validate import REPO_ID

EXTRA_SECTIONS_DIR = "card_sections"
USAGE_EXAMPLES = "usage_examples.json"  # written by training (hubkit.train.runner) beside the model
_BIBTEX = re.compile(r"```(?:bibtex|bib)\s*\n(.*?)```", re.DOTALL)
log = logging.getLogger(__name__)


@dataclasses.dataclass
class CardContext:
    folder: Path
    results: dict[str, Any]
    kind: str  # "training" or "evaluation"
    repo_id: str | None
    log: list[dict[str, Any]]
    training_args: dict[str, Any] | None
    predictions: dict[str, dict[str, list]]  # split -> {"predictions": [...], "references": [...]}
    stats: dict[str, Any] | None
    builder_card: Any  # hubkit.datasets.spec.CardInfo or None
    base_model: dict[str, Any]
    extra_sections: list[tuple[str, str]]
    # Training only: examples for the usage snippet, with the model's predictions (usage_examples.json).
    usage_examples: dict[str, Any] | None = None

    @property
    def best_seed_run(self) -> dict[str, Any]:
        """The per-seed record whose model (and predictions) sit at the folder's top level."""
        runs = self.results.get("per_seed") or [{}]
        try:
            best = int((self.folder / "best_seed.txt").read_text().strip())
        except (OSError, ValueError):
            return runs[0]
        return next((run for run in runs if run.get("seed") == best), runs[0])

    @property
    def task(self) -> dict[str, Any]:
        return self.results["task"]

    @property
    def dataset(self) -> dict[str, Any]:
        return self.results["dataset"]

    @property
    def model_name(self) -> str:
        if self.repo_id:
            return self.repo_id
        if self.kind == "evaluation":
            return self.results["model"].get("id") or self.folder.name
        return self.folder.resolve().name

    @property
    def dataset_id(self) -> str:
        """The dataset's key in this model's files: a repo id, or the hubkit builder name."""
        return self.dataset.get("repo_id") or self.dataset["name"]

    @property
    def hub_dataset(self) -> tuple[str | None, str | None, str | None]:
        """(Hub id, config, commit sha) to name the dataset by in card metadata and ``.eval_results``.

        Data read from a dataset repo is that repo at the sha it was read at. Data built here from
        original files is the dataset's canonical Hub id (its builder declares it, e.g.
        ``nyu-mll/glue`` config ``sst2``) with no sha: it was not read from there. A builder
        without one (a contributor's CSV) has no Hub id: (None, config, None).
        """
        return hub_dataset(self.dataset, self.builder_card)


def hub_dataset(record: dict[str, Any], builder_card: Any = None) -> tuple[str | None, str | None, str | None]:
    """(Hub id, config, sha) of a results.json dataset record; see :attr:`CardContext.hub_dataset`."""
    if record.get("repo_id"):
        return record["repo_id"], record.get("config") or "default", record.get("revision") or None
    hub_id = record.get("hub_id") or getattr(builder_card, "hub_id", None)
    config = record.get("hub_config") or getattr(builder_card, "hub_config", None) or record.get("config")
    return hub_id, config or "default", None


def load_context(folder: Path, repo_id: str | None = None, data_dir: str | None = None,
                 offline: bool | None = None) -> CardContext:
    from hubkit import results as schema
    from hubkit.cards.datastats import training_stats

    folder = Path(folder)
    if not folder.is_dir():
        raise CardError(f"{folder} is not a folder (give a hubkit train or eval output folder)")
    results = schema.load_results(folder / schema.RESULTS_FILE, CardError)
    kind = schema.kind_of(results)
    offline = offline if offline is not None else os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true")
    if kind == schema.TRAINING:
        stats = training_stats(results, folder, data_dir)
        predictions = _jsonl_predictions(folder)
        base = dict(results.get("base_model") or {})
    else:
        stats = {results["dataset"]["split"]: results["dataset"]["stats"]} if results["dataset"].get("stats") else None
        predictions = _parquet_predictions(folder, results)
        base = dict(results["model"].get("base_model") or {})
    base.update(_base_model_facts(base, offline))
    return CardContext(folder=folder, results=results, kind=kind, repo_id=repo_id, log=_log(folder),
                       training_args=_json(folder / "training_args.json"), predictions=predictions, stats=stats,
                       builder_card=_builder_card(results["dataset"].get("name")), base_model=base,
                       extra_sections=_extra_sections(folder),
                       usage_examples=_json(folder / USAGE_EXAMPLES) if kind == schema.TRAINING else None)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _log(folder: Path) -> list[dict[str, Any]]:
    path = folder / "train_log.jsonl"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _jsonl_predictions(folder: Path) -> dict[str, dict[str, list]]:
    out = {}
    for path in sorted(folder.glob("predictions_*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if rows and "predictions" in rows[0] and "references" in rows[0]:
            out[path.stem.removeprefix("predictions_")] = {"predictions": [r["predictions"] for r in rows],
                                                          "references": [r["references"] for r in rows]}
    return out


def _parquet_predictions(folder: Path, results: dict[str, Any]) -> dict[str, dict[str, list]]:
    path = folder / results["predictions"].get("file", "predictions.parquet")
    if not path.is_file():
        return {}
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    if not {"predictions", "references"} <= set(table.column_names):
        return {}
    return {results["dataset"]["split"]: {name: table.column(name).to_pylist() for name in ("predictions", "references")}}


def _builder_card(name: str | None):
    """The dataset builder's declared card facts (a class attribute; the builder is not run)."""
    if not name or "/" in name:
        return None
    from hubkit.datasets import registry
    from hubkit.datasets.errors import BuilderLoadError, UnknownDatasetError

    try:
        return registry.get(name).load().CARD
    except UnknownDatasetError:  # data from elsewhere: nothing to say about it
        return None
    except BuilderLoadError as error:  # a broken builder costs the card its language and citation
        log.warning("card: no dataset language or citation: %s", error)
        return None


def _base_model_facts(base: dict[str, Any], offline: bool) -> dict[str, Any]:
    """Licence, language and citation of a base model on the hub (nothing for local folders or offline)."""
    model_id = base.get("id")
    # A local folder, maybe recorded relative to an output folder that has since moved, is no repo id.
    if not model_id or offline or not REPO_ID.match(model_id) or Path(model_id).is_dir():
        return {"on_hub": False}
    from huggingface_hub import HfApi, hf_hub_download

    try:
        info = HfApi().model_info(model_id, revision=base.get("revision"))
        card = info.card_data.to_dict() if info.card_data else {}
        facts: dict[str, Any] = {"on_hub": True, "license": card.get("license"), "license_name": card.get("license_name")}
        readme = Path(hf_hub_download(model_id, "README.md", revision=info.sha)).read_text(encoding="utf-8")
        match = _BIBTEX.search(readme)
        if match:
            facts["citation"] = match.group(1).strip()
        return facts
    # huggingface_hub's HTTP, offline and missing-file errors are all OSErrors; a README that is not
    # UTF-8 is a UnicodeDecodeError. Either way the card lacks only what it cannot know.
    except (OSError, UnicodeDecodeError) as error:
        log.warning("card: no licence or citation of base model %s from the hub: %s", model_id, error)
        return {"on_hub": False}


def _extra_sections(folder: Path) -> list[tuple[str, str]]:
    """``card_sections/*.md`` written by other commands (e.g. a transfer curve), in name order."""
    directory = folder / EXTRA_SECTIONS_DIR
    if not directory.is_dir():
        return []
    return [(path.stem, path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.md"))]
