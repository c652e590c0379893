"""Offline check of a dataset card before hubkit publishes it: every problem, one line each.

The rules for each metadata key (licence, language, size and task categories, ...) are those of
:mod:`hubkit.repocard.validate`, the one card checker every card kind goes through. This module adds
only what a dataset hubkit publishes needs beyond a valid card: the keys the Hub's dataset viewer and
``load_dataset`` read, and ``configs``/``dataset_info`` parsed as ``datasets`` parses them.
(``RepoCard.validate`` needs the network and always posts to huggingface.co.)
"""

from __future__ import annotations

from typing import Any

from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs

from hubkit.repocard.errors import CardValidationError
from hubkit.repocard.validate import front_matter, metadata_problems

REQUIRED = ("pretty_name", "license", "task_categories", "size_categories", "configs",
            "dataset_info")
# What datasets' card parsers raise for configs or dataset_info of the wrong shape.
PARSE_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


def check_card(text: str) -> list[str]:
    """Problems with a dataset card, one line each; an empty list means it passes."""
    try:
        data = front_matter(text)
    except CardValidationError as error:
        return [f"card metadata does not parse: {error.problem}"]
    problems = [f"missing '{key}'" for key in REQUIRED if data.get(key) in (None, [], "")]
    problems += [error.problem for error in metadata_problems(data, "dataset")]
    return problems + _loader_problems(data)


def _loader_problems(data: dict[str, Any]) -> list[str]:
    """What ``load_dataset`` would trip on: configs without data files, infos for unknown configs."""
    try:
        configs = MetadataConfigs.from_dataset_card_data(data)
        infos = DatasetInfosDict.from_dataset_card_data(data)
    except PARSE_ERRORS as error:
        return [f"configs/dataset_info do not parse as datasets reads them: {error}"]
    problems = []
    for name, config in configs.items():
        files = config.get("data_files") or []
        if not files or any(not isinstance(entry, dict) or not {"split", "path"} <= set(entry) for entry in files):
            problems.append(f"config '{name}' needs data_files entries with split and path")
    for name, info in infos.items():
        if name not in configs:
            problems.append(f"dataset_info describes config '{name}', which configs does not list")
        elif info.splits:
            listed = {entry["split"] for entry in configs[name].get("data_files") or [] if isinstance(entry, dict)}
            missing = set(info.splits) - listed
            if missing:
                problems.append(f"config '{name}': splits {sorted(missing)} have sizes but no data files")
        if info.features is None:
            problems.append(f"dataset_info of config '{name}' has no features")
    return problems
