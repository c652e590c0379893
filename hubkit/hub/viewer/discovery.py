"""Which configs and splits a dataset repo has, and which of its files make each split.

The same rules ``datasets.load_dataset`` follows, so the viewer shows what a user would load:
the README's ``configs:`` YAML (as ``push_to_hub`` writes it) when present, else the default
data-file patterns of ``datasets`` itself (``data/train-*``, ``**/test/**``, ...), matched with
fsspec's glob rules (``*`` stays within a folder, ``**`` crosses folders), as the client does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from datasets.data_files import _get_data_files_patterns
from fsspec.utils import glob_translate

from hubkit.hub.viewer.errors import not_found

# The formats the viewer reads, by file extension.
FORMATS = {".parquet": "parquet", ".csv": "csv", ".tsv": "csv", ".jsonl": "json", ".json": "json", ".arrow": "arrow"}
DEFAULT_CONFIG = "default"
MAX_PATTERNS = 64  # per config; a card is stranger-written input


def file_format(path: str) -> str | None:
    for extension, name in FORMATS.items():
        if path.lower().endswith(extension):
            return name
    return None


def _matcher(files: list[str]):
    def resolve(pattern: str) -> list[str]:
        regex = re.compile(glob_translate(pattern.lstrip("/")))
        return sorted(path for path in files if regex.match(path))
    return resolve


def _as_patterns(data_files) -> dict[str, list[str]]:
    """A card's ``data_files`` (a string, a list, or a list of ``{split, path}``) as split -> patterns."""
    if isinstance(data_files, str):
        return {"train": [data_files]}
    if isinstance(data_files, dict):
        return {str(split): _strings(paths) for split, paths in data_files.items()}
    splits: dict[str, list[str]] = {}
    if isinstance(data_files, list):
        for item in data_files:
            if isinstance(item, dict) and "split" in item and "path" in item:
                splits.setdefault(str(item["split"]), []).extend(_strings(item["path"]))
            elif isinstance(item, str):
                splits.setdefault("train", []).append(item)
    return splits


def _strings(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def discover(card: Mapping, files: list[str]) -> dict[str, dict[str, list[str]]]:
    """config -> split -> the split's data files (sorted), in the card's order; only readable formats."""
    readable = [path for path in files if file_format(path) and not _hidden(path)]
    resolve = _matcher(readable)
    configs: dict[str, dict[str, list[str]]] = {}
    declared = card.get("configs")
    if isinstance(declared, list) and declared:
        for entry in declared:
            if not isinstance(entry, dict):
                continue
            name = str(entry.get("config_name") or DEFAULT_CONFIG)
            patterns = _as_patterns(entry.get("data_files", "**"))
            splits = {}
            for split, split_patterns in patterns.items():
                matched = sorted({path for pattern in split_patterns[:MAX_PATTERNS] for path in resolve(pattern)})
                if matched:
                    splits[split] = _one_format(matched)
            if splits:
                configs[name] = splits
        return configs
    try:
        patterns = _get_data_files_patterns(resolve)
    except (FileNotFoundError, ValueError):
        return {}
    splits = {}
    for split, split_patterns in patterns.items():
        matched = sorted({path for pattern in split_patterns for path in resolve(pattern)})
        if matched:
            splits[str(split)] = _one_format(matched)
    return {DEFAULT_CONFIG: splits} if splits else {}


def _hidden(path: str) -> bool:
    return any(part.startswith((".", "__")) for part in path.split("/"))


def _one_format(paths: list[str]) -> list[str]:
    """A split's files of its most common format: ``datasets`` reads one format per split too."""
    counts: dict[str, int] = {}
    for path in paths:
        counts[file_format(path)] = counts.get(file_format(path), 0) + 1
    chosen = max(counts, key=lambda name: (counts[name], name == "parquet"))
    return [path for path in paths if file_format(path) == chosen]


def split_files(configs: dict[str, dict[str, list[str]]], dataset: str, config: str, split: str) -> list[str]:
    """The files of one split; 404 naming the config or split when there is no such one."""
    if config not in configs:
        raise not_found(f"Config {config!r} does not exist in dataset {dataset!r} "
                        f"(its configs: {', '.join(configs) or 'none'}).")
    if split not in configs[config]:
        raise not_found(f"Split {split!r} does not exist in config {config!r} of dataset {dataset!r} "
                        f"(its splits: {', '.join(configs[config])}).")
    return configs[config][split]
