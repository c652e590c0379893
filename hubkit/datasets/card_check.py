"""Offline checks of a dataset card's YAML: what the Hub's metadata validation and ``load_dataset``
would reject, found before anything is uploaded (``RepoCard.validate`` needs the network and always
posts to huggingface.co).
"""

from __future__ import annotations

import re

from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

from hubkit.repocard.vocabulary import HUB_LICENSES, SIZE_CATEGORIES, TASK_CATEGORIES

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
REQUIRED = ("pretty_name", "license", "task_categories", "size_categories", "configs",
            "dataset_info")


def check_card(text: str) -> list[str]:
    """Problems with a dataset card, one line each; an empty list means it passes."""
    try:
        data = DatasetCard(text, ignore_metadata_errors=False).data
    except Exception as error:  # the card library raises several types for broken YAML
        return [f"card metadata does not parse: {error}"]
    problems = [f"missing '{key}'" for key in REQUIRED if data.get(key) in (None, [], "")]
    license_id = data.get("license")
    if license_id is not None and license_id not in HUB_LICENSES:
        problems.append(f"license '{license_id}' is not a Hub licence identifier")
    if license_id == "other" and not data.get("license_name"):
        problems.append("license 'other' needs a license_name")
    problems += [f"size category '{value}' is not one of the Hub's" for value in _as_list(data.get("size_categories"))
                 if value not in SIZE_CATEGORIES]
    problems += [f"task category '{value}' is not one of the Hub's" for value in _as_list(data.get("task_categories"))
                 if value not in TASK_CATEGORIES]
    problems += [f"language '{value}' is not an ISO 639 code" for value in _as_list(data.get("language"))
                 if not LANGUAGE_CODE.match(str(value))]
    return problems + _loader_problems(data)


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _loader_problems(data: object) -> list[str]:
    """What ``load_dataset`` would trip on: configs without data files, infos for unknown configs."""
    try:
        configs = MetadataConfigs.from_dataset_card_data(data)
        infos = DatasetInfosDict.from_dataset_card_data(data)
    except Exception as error:
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
