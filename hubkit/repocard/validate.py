"""Offline validation of card metadata: what the Hub would reject or misread, found before a push.

``RepoCard.validate`` needs the network and posts to a fixed endpoint (lerobot#4635 had to turn it
off); Trainer cards were rejected for ``datasets: - null`` (transformers#13528) and lost their
results to a ``model_index`` typo (transformers#13310). Here every known key is checked for its
type and allowed values, ``model-index`` for its structure (and parsed with huggingface_hub's own
``model_index_to_eval_results``), and ``.eval_results`` entries with ``parse_eval_result_entries``;
the first problem raises :class:`CardValidationError` naming the key path, e.g.
``model-index[0].results[1].metrics[0].value``. Keys hubkit does not know are allowed, as on the Hub.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import yaml

from hubkit.repocard.errors import CardValidationError
from hubkit.repocard.vocabulary import HUB_LICENSES, SIZE_CATEGORIES, TASK_CATEGORIES

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[A-Za-z0-9][\w.\-]*)?$")
LANGUAGE = re.compile(r"^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*|code|multilingual)$")
# Hub pipeline tags for text models (huggingface.js packages/tasks, the NLP part plus common others).
PIPELINE_TAGS = frozenset("""
text-classification token-classification question-answering table-question-answering zero-shot-classification
translation summarization feature-extraction text-generation text2text-generation fill-mask sentence-similarity
text-ranking text-to-speech automatic-speech-recognition audio-classification image-classification
object-detection image-segmentation image-to-text image-text-to-text visual-question-answering
document-question-answering zero-shot-image-classification tabular-classification tabular-regression
reinforcement-learning multiple-choice other
""".split())


def front_matter(text: str) -> dict[str, Any]:
    """The YAML block at the top of a card (``{}`` when there is none), parsed as the hub server does."""
    if not text.startswith("---"):
        return {}
    lines = text.splitlines()
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise CardValidationError("---", "the YAML block is never closed by a '---' line")
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as error:
        raise CardValidationError("---", f"invalid YAML: {error}".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CardValidationError("---", "the metadata must be a YAML mapping (key: value lines)")
    return data


def validate_card(text: str, repo_type: str = "model") -> dict[str, Any]:
    """Check a whole card (README text); returns its metadata, raises on the first problem."""
    data = front_matter(text)
    validate_metadata(data, repo_type)
    return data


def validate_metadata(data: dict[str, Any], repo_type: str = "model") -> None:
    """Raise the first problem :func:`metadata_problems` finds."""
    problems = metadata_problems(data, repo_type)
    if problems:
        raise problems[0]


def metadata_problems(data: dict[str, Any], repo_type: str = "model") -> list[CardValidationError]:
    """Every problem of a card's metadata, at most one per key: the one checker all card kinds share
    (``hubkit.datasets.card_check`` lists them for a dataset card before a push)."""
    checks = COMMON_CHECKS | {"model": MODEL_CHECKS, "dataset": DATASET_CHECKS, "space": SPACE_CHECKS}[repo_type]
    problems = []
    for key, value in data.items():
        if not isinstance(key, str):
            problems.append(CardValidationError(str(key), "metadata keys must be strings"))
        elif key in checks:
            try:
                checks[key](key, value)
            except CardValidationError as problem:
                problems.append(problem)
    if data.get("license") == "other" and not data.get("license_name"):
        problems.append(CardValidationError("license_name", "license 'other' needs a license_name"))
    if repo_type == "model" and "model_index" in data:
        problems.append(CardValidationError(
            "model_index", "the Hub reads 'model-index' (with a dash); this key is ignored"))
    return problems


def _strings(key: str, value: Any, allow_single: bool = True, pattern: re.Pattern | None = None,
             allowed: frozenset[str] | None = None, what: str = "value", expected: str = "valid here") -> None:
    """A string or a non-empty list of them; a bad item is reported as ``{what} '{item}' is not
    {expected}``, a message that reads on its own in a list of problems."""
    items = [value] if allow_single and isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise CardValidationError(key, f"must be a non-empty string or list of strings, got {value!r}")
    for i, item in enumerate(items):
        where = f"{key}[{i}]" if isinstance(value, list) else key
        if not isinstance(item, str) or not item:
            raise CardValidationError(where, f"must be a non-empty string, got {item!r}")
        if (pattern is not None and not pattern.match(item)) or (allowed is not None and item not in allowed):
            raise CardValidationError(where, f"{what} {item!r} is not {expected}")


def _string(key: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise CardValidationError(key, f"must be a non-empty string, got {value!r}")


def _license(key: str, value: Any) -> None:
    _strings(key, value, allowed=HUB_LICENSES, what="license", expected="a Hub licence identifier")


def _language(key: str, value: Any) -> None:
    _strings(key, value, pattern=LANGUAGE, what="language", expected="an ISO 639 code")


def _repo_ids(key: str, value: Any) -> None:
    _strings(key, value, pattern=REPO_ID, what="repo id", expected="a Hub repo id")


def _pipeline_tag(key: str, value: Any) -> None:
    _string(key, value)
    if value not in PIPELINE_TAGS:
        raise CardValidationError(key, f"{value!r} is not a Hub pipeline tag")


def _bool(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise CardValidationError(key, f"must be true or false, got {value!r}")


def _number_or_string(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise CardValidationError(key, f"must be a number (or a string such as '20.0 ± 1.2'), got {value!r}")


def _mapping(key: str, value: Any, required: dict[str, Callable], optional: dict[str, Callable]) -> None:
    if not isinstance(value, dict):
        raise CardValidationError(key, f"must be a mapping, got {value!r}")
    for name, check in required.items():
        if name not in value or value[name] is None:
            raise CardValidationError(f"{key}.{name}", "is required")
        check(f"{key}.{name}", value[name])
    for name, check in optional.items():
        if value.get(name) is not None:
            check(f"{key}.{name}", value[name])


def _list_of(key: str, value: Any, check: Callable) -> None:
    if not isinstance(value, list) or not value:
        raise CardValidationError(key, f"must be a non-empty list, got {value!r}")
    for i, item in enumerate(value):
        check(f"{key}[{i}]", item)


def _model_index(key: str, value: Any) -> None:
    def metric(where: str, item: Any) -> None:
        _mapping(where, item, {"type": _string, "value": _number_or_string},
                 {"name": _string, "config": _string, "verified": _bool, "verifyToken": _string})

    def result(where: str, item: Any) -> None:
        _mapping(where, item, {"task": lambda k, v: _mapping(k, v, {"type": _string}, {"name": _string}),
                               "dataset": lambda k, v: _mapping(k, v, {"type": _string, "name": _string},
                                                                {"config": _string, "split": _string,
                                                                 "revision": _string}),
                               "metrics": lambda k, v: _list_of(k, v, metric)},
                 {"source": lambda k, v: _mapping(k, v, {"url": _string}, {"name": _string})})

    def model(where: str, item: Any) -> None:
        _mapping(where, item, {"name": _string, "results": lambda k, v: _list_of(k, v, result)}, {})

    _list_of(key, value, model)
    from huggingface_hub.repocard_data import model_index_to_eval_results

    try:
        model_index_to_eval_results(value)
    except (KeyError, TypeError, ValueError) as error:
        raise CardValidationError(key, f"huggingface_hub cannot parse it: {error}") from None


def validate_eval_results(entries: Any, where: str = ".eval_results") -> None:
    """Entries of one ``.eval_results/*.yaml`` file, checked and parsed as huggingface_hub parses them."""
    def entry(path: str, item: Any) -> None:
        _mapping(path, item, {"dataset": lambda k, v: _mapping(k, v, {"id": _repo_id_single, "task_id": _string},
                                                               {"revision": _string}),
                              "value": _number_or_string},
                 {"date": _string, "notes": _string, "verifyToken": _string,
                  "source": lambda k, v: _mapping(k, v, {"url": _string}, {"name": _string, "user": _string,
                                                                           "org": _string})})

    _list_of(where, entries, entry)
    from huggingface_hub import parse_eval_result_entries

    try:
        parse_eval_result_entries(entries)
    except (KeyError, TypeError, ValueError) as error:
        raise CardValidationError(where, f"huggingface_hub cannot parse it: {error}") from None


def _repo_id_single(key: str, value: Any) -> None:
    _string(key, value)
    if not REPO_ID.match(value):
        raise CardValidationError(key, f"{value!r} is not a repo id")


COMMON_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "license": _license, "license_name": _string, "license_link": _string, "language": _language,
    "tags": _strings, "pretty_name": _string,
}
MODEL_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "base_model": _repo_ids, "datasets": _repo_ids, "metrics": _strings, "library_name": _string,
    "pipeline_tag": _pipeline_tag, "model-index": _model_index, "new_version": _repo_id_single, "inference": _bool,
    "model_name": _string, "base_model_relation": _string,
}


def _task_categories(key: str, value: Any) -> None:
    _strings(key, value, allowed=TASK_CATEGORIES, what="task category", expected="one of the Hub's")


def _size_categories(key: str, value: Any) -> None:
    _strings(key, value, allowed=SIZE_CATEGORIES | {"other"}, what="size category", expected="one of the Hub's")


DATASET_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "task_categories": _task_categories, "task_ids": _strings, "size_categories": _size_categories,
    "source_datasets": _strings, "multilinguality": _strings, "annotations_creators": _strings,
    "language_creators": _strings,
    "configs": lambda k, v: _list_of(k, v, lambda kk, vv: _mapping(kk, vv, {"config_name": _string}, {})),
    "dataset_info": lambda k, v: _mapping_or_list(k, v),
}


def _one_of(allowed: frozenset[str]) -> Callable[[str, Any], None]:
    def check(key: str, value: Any) -> None:
        _string(key, value)
        if value not in allowed:
            raise CardValidationError(key, f"{value!r} is not one of {', '.join(sorted(allowed))}")
    return check


# The Spaces configuration reference (huggingface.co/docs/hub/spaces-config-reference).
SPACE_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "title": _string, "emoji": _string, "app_file": _string, "short_description": _string, "pinned": _bool,
    "sdk": _one_of(frozenset({"gradio", "streamlit", "docker", "static"})),
    "colorFrom": _one_of(frozenset({"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"})),
    "colorTo": _one_of(frozenset({"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"})),
    "models": _repo_ids, "datasets": _repo_ids,
}


def _mapping_or_list(key: str, value: Any) -> None:
    if not isinstance(value, (dict, list)):
        raise CardValidationError(key, f"must be a mapping (or a list of them, one per config), got {value!r}")
