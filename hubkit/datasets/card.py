"""The dataset card (README.md): Hub YAML metadata plus prose, built from the builder and the data.

The YAML carries what the Hub and ``load_dataset`` read (``configs`` with data files,
``dataset_info`` with features and split sizes, licence, languages, task categories, size category,
pretty name), written through ``datasets``' own serializers so the loader reads back exactly what it
expects, and ``train-eval-index`` (the task and which column plays which role; see
:mod:`hubkit.datasets.task_index`). When a card already exists (another config pushed earlier),
its ``configs``, ``dataset_info`` and ``train-eval-index`` entries for other configs are kept.
"""

from __future__ import annotations

import html
import json
from typing import Any

import datasets
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

import hubkit
from hubkit.datasets.anomalies import KINDS, Anomaly, counts_by_kind
from hubkit.datasets.prepare import Prepared
from hubkit.datasets.task_index import index_entry, merge_index
from hubkit.datasets.validate import Report
from hubkit.repocard.render import render_card as render, split_card

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"))
EXAMPLE_TEXT_LIMIT = 300
EXAMPLE_LIST_LIMIT = 30
KNOWN_ISSUE_EXAMPLES = 3  # instances listed per kind; the rest are counted
KNOWN_ISSUE_TEXT_LIMIT = 200


def size_category(rows: int) -> str:
    for limit, name in SIZE_CATEGORIES:
        if rows < limit:
            return name
    return "n>1B"


def data_dir(prepared: Prepared) -> str:
    """The repo folder holding a config's Parquet files: ``data`` for single-config datasets."""
    return prepared.config_name if len(prepared.config_names) > 1 else "data"


def card_config_name(prepared: Prepared) -> str:
    return prepared.config_name if len(prepared.config_names) > 1 else "default"


def parquet_paths(prepared: Prepared, shards: dict[str, int]) -> dict[str, list[str]]:
    """Repo paths of each split's Parquet shards, named as ``datasets`` names its own."""
    folder = data_dir(prepared)
    return {split: [f"{folder}/{split}-{i:05d}-of-{count:05d}.parquet" for i in range(count)]
            for split, count in shards.items()}


def render_card(prepared: Prepared, report: Report, existing: str | None = None) -> str:
    """README.md text for ``prepared``, merged into the ``existing`` card when given.

    Goes through the card machinery every hubkit card uses (:func:`hubkit.repocard.render.render_card`):
    the prose sits between hubkit markers, so text a person adds outside them survives a re-push,
    and YAML keys this module does not write are kept. A card from before the markers has its
    old prose replaced (it was all generated) and its metadata merged.
    """
    card_data = _metadata(prepared, existing)
    if existing and "<!-- hubkit:begin " not in existing:
        existing = "---\n" + yaml_block(split_card(existing)[0]) + "---\n\n" if existing.startswith("---") else None
    return render("dataset", card_data.to_dict(), [("dataset-card", _prose(prepared, report))], existing)


def yaml_block(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True) if data else ""


def _metadata(prepared: Prepared, existing: str | None) -> DatasetCardData:
    facts = prepared.card
    previous = DatasetCard(existing).data if existing else DatasetCardData()
    fields: dict[str, Any] = {"pretty_name": facts.pretty_name, "license": facts.license}
    if facts.license_name:
        fields["license_name"] = facts.license_name
    if facts.language:
        fields["language"] = list(facts.language)
    fields["task_categories"] = list(facts.task_categories)
    if facts.task_ids:
        fields["task_ids"] = list(facts.task_ids)
    fields["size_categories"] = [size_category(sum(prepared.split_sizes.values()))]
    fields["source_datasets"] = list(facts.source_datasets)
    if facts.language:
        fields["multilinguality"] = ["monolingual" if len(facts.language) == 1 else "multilingual"]
    card_data = DatasetCardData(**fields)
    # Keep other configs' entries (earlier pushes of the same repo), then write this config's.
    for key in ("configs", "dataset_info"):
        if previous.get(key) is not None:
            card_data[key] = previous.get(key)
    name = card_config_name(prepared)
    config: dict[str, Any] = {"data_files": [{"split": split, "path": f"{data_dir(prepared)}/{split}-*"}
                                             for split in prepared.dataset]}
    if len(prepared.config_names) > 1 and name == prepared.default_config:
        config["default"] = True
    MetadataConfigs({name: config}).to_dataset_card_data(card_data)
    DatasetInfosDict({name: _dataset_info(prepared)}).to_dataset_card_data(card_data)
    # What the config trains, so `hubkit train NS/NAME` needs no flags (other configs' entries kept).
    entry = index_entry(name, prepared.task, list(prepared.dataset), label_count(prepared))
    card_data["train_eval_index"] = merge_index(previous.get("train_eval_index"), entry)
    return card_data


def label_count(prepared: Prepared) -> int:
    """The number of classes of a classification dataset's label column (2 when there is none)."""
    column = prepared.task.columns.get("label")
    feature = prepared.features.get(column) if column else None
    return len(feature.names) if isinstance(feature, datasets.ClassLabel) else 2


def _dataset_info(prepared: Prepared) -> datasets.DatasetInfo:
    splits = datasets.SplitDict()
    for split, dataset in prepared.dataset.items():
        splits.add(datasets.SplitInfo(name=split, num_bytes=dataset.data.nbytes, num_examples=len(dataset)))
    return datasets.DatasetInfo(features=prepared.features, splits=splits,
                                dataset_size=sum(dataset.data.nbytes for dataset in prepared.dataset.values()))


def _prose(prepared: Prepared, report: Report) -> str:
    facts = prepared.card
    sections = [f"# {facts.pretty_name}", facts.description]
    if facts.homepage:
        sections.append(f"- **Homepage:** {facts.homepage}")
    sections += ["## Dataset structure", _example(prepared), _fields(prepared), "### Splits", _splits(prepared)]
    if report.label_distribution:
        sections += ["### Label distribution", _distribution(report)]
    sections += ["## How it was built", _provenance(prepared, report)]
    if prepared.anomalies:
        sections += ["## Known issues", _known_issues(prepared.anomalies)]
    licence = f"`{facts.license}`" + (f" ({facts.license_name})" if facts.license_name else "")
    # Pointing at "the homepage" only makes sense when there is one (a contributor's own csv has none).
    terms = " Check the original terms at the homepage before redistributing." if facts.homepage else ""
    sections += ["## Licence", f"{licence}.{terms}"]
    if facts.citation:
        sections += ["## Citation", f"```bibtex\n{facts.citation.strip()}\n```"]
    return "\n\n".join(section for section in sections if section) + "\n"


def _example(prepared: Prepared) -> str:
    split = "train" if "train" in prepared.dataset else next(iter(prepared.dataset))
    dataset = prepared.dataset[split]
    if not len(dataset):
        return ""
    row = {key: _shorten(value) for key, value in dataset[0].items()}
    return (f"An example row (the first of `{split}`, long values shortened):\n\n"
            f"```json\n{json.dumps(row, ensure_ascii=False, indent=2)}\n```")


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > EXAMPLE_TEXT_LIMIT:
        return value[:EXAMPLE_TEXT_LIMIT] + f"… ({len(value):,} characters)"
    if isinstance(value, list):
        items = [_shorten(item) for item in value[:EXAMPLE_LIST_LIMIT]]
        return items + ["…"] if len(value) > EXAMPLE_LIST_LIMIT else items
    if isinstance(value, dict):
        return {key: _shorten(item) for key, item in value.items()}
    return value


def _fields(prepared: Prepared) -> str:
    lines = ["| field | type |", "|---|---|"]
    for name, feature in prepared.features.items():
        lines.append(f"| `{name}` | {_describe(feature)} |")
    return "\n".join(lines)


def _describe(feature: Any) -> str:
    if isinstance(feature, datasets.ClassLabel):
        return "class label: " + ", ".join(f"{i} `{name}`" for i, name in enumerate(feature.names))
    if isinstance(feature, datasets.List):
        return f"list of {_describe(feature.feature)}"
    if isinstance(feature, dict):
        return "struct: " + "; ".join(f"`{key}` {_describe(value)}" for key, value in feature.items())
    if isinstance(feature, datasets.Value):
        return feature.dtype
    return type(feature).__name__


def _splits(prepared: Prepared) -> str:
    lines = ["| split | rows |", "|---|---:|"]
    lines += [f"| {split} | {rows:,} |" for split, rows in prepared.split_sizes.items()]
    return "\n".join(lines)


def _distribution(report: Report) -> str:
    splits = list(report.label_distribution)
    labels = list(dict.fromkeys(label for counts in report.label_distribution.values() for label in counts))
    lines = ["| label | " + " | ".join(splits) + " |", "|---|" + "---:|" * len(splits)]
    for label in labels:
        cells = [f"{report.label_distribution[split].get(label, 0):,}" for split in splits]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    note = "\n\n`(none)` counts unlabelled rows (label -1)." if "(none)" in labels else ""
    return "\n".join(lines) + note


def _provenance(prepared: Prepared, report: Report) -> str:
    config = f" --config {prepared.config_name}" if len(prepared.config_names) > 1 else ""
    parts = [f"Built by hubkit {hubkit.__version__} (`hubkit datasets prepare {prepared.name}{config}`) with "
             f"builder `{prepared.name}` version {prepared.version}, config `{prepared.config_name}`, "
             "from these source files:",
             "| source | sha256 |\n|---|---|\n" + "\n".join(f"| `{record.location}` | `{record.sha256}` |"
                                                     for record in prepared.sources)]
    if prepared.card.build_notes:
        parts.append(prepared.card.build_notes)
    if report.warnings:
        parts.append("Validation warnings:\n\n" + "\n".join(f"- {warning}" for warning in report.warnings))
    else:
        parts.append("Validation found nothing to warn about.")
    return "\n\n".join(parts)


def _known_issues(anomalies: list[Anomaly]) -> str:
    """Counts per kind of the flaws the source files carry, and the first few of each with file:line.

    The text comes from the files (ids, tags), so it is escaped: a card is rendered as Markdown.
    """
    counts = counts_by_kind(anomalies)
    summary = (f"The original files carry {len(anomalies):,} known flaw{'s' if len(anomalies) != 1 else ''}. "
               "hubkit reads them as the original loaders do instead of refusing the files; "
               "`hubkit datasets validate` lists every one with its file and line, and `--strict` refuses them.")
    lines = [summary, "", "| kind | count | how it was read |", "|---|---:|---|"]
    lines += [f"| `{kind}` | {count:,} | {KINDS[kind][0]}: {KINDS[kind][1]} |" for kind, count in counts.items()]
    lines += ["", "First instances of each kind:", ""]
    for kind in counts:
        for anomaly in [item for item in anomalies if item.kind == kind][:KNOWN_ISSUE_EXAMPLES]:
            where = anomaly.where.replace("`", "'")
            lines.append(f"- `{where}` ({kind}): {_escape(anomaly.message)}")
    return "\n".join(lines)


def _escape(text: str) -> str:
    if len(text) > KNOWN_ISSUE_TEXT_LIMIT:
        text = text[:KNOWN_ISSUE_TEXT_LIMIT] + "…"
    return html.escape(text, quote=False).replace("`", "\\`").replace("|", "\\|")
