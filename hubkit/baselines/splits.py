"""Which split a baseline trains on and which it is scored on, where the files we have differ from
the usual train / validation / test.

- SQuAD v1.1: only the dev set (48 articles) is at hand. Its articles, in the order of the file,
  are carved 38 to train and the last 10 to evaluate, so no article's paragraphs sit on both sides
  (questions on one paragraph are near-duplicates of each other).
- WikiText-2: only ``valid`` and ``test``. The model trains on ``valid`` and reports ``test``
  perplexity.

Everything else keeps its splits. The carve is made on the prepared ``DatasetDict`` (the builder
stays the official files' reader) and written down in ``baselines.json``, ``baselines.md`` and
the model card.
"""

from __future__ import annotations

import dataclasses
from typing import Any

SQUAD_TRAIN_ARTICLES = 38
SQUAD_EVAL_ARTICLES = 10


@dataclasses.dataclass(frozen=True)
class SplitPlan:
    """The splits a run uses; ``note`` says how they were made when they are not the files' own."""

    dataset: Any  # datasets.DatasetDict with train and at least one of validation / test
    note: str = ""
    tag: str = ""  # a short name for the carve, part of a pushed dataset repo's name


class NoEvaluationSplit(ValueError):
    """The dataset has no split with labels to score on."""


def plan_splits(name: str, dataset: Any, task: Any) -> SplitPlan:
    """The splits to train and score ``name`` on; raises :class:`NoEvaluationSplit` or ``ValueError``."""
    import datasets

    splits = dict(dataset)
    note, tag = "", ""
    if "train" not in splits and name == "squad" and "validation" in splits:
        splits, note = carve_by_article(splits["validation"]), _squad_note()
        tag = f"dev{SQUAD_TRAIN_ARTICLES}-{SQUAD_EVAL_ARTICLES}"
    elif "train" not in splits and task.family == "language-modeling" and "validation" in splits:
        splits = {"train": splits["validation"], **({"test": splits["test"]} if "test" in splits else {})}
        note, tag = "trained on the validation split (no train file at hand); scored on test", "valid-as-train"
    if "train" not in splits:
        raise ValueError(f"{name}: no train split (splits: {', '.join(sorted(dataset)) or 'none'})")
    scored = [split for split in ("validation", "test") if split in splits and labelled(splits[split], task)]
    if not scored:
        raise NoEvaluationSplit(f"{name}: no labelled evaluation split (validation or test with labels); "
                                f"splits: {', '.join(sorted(dataset))}")
    return SplitPlan(datasets.DatasetDict({k: splits[k] for k in ("train", *scored)}), note, tag)


def carve_by_article(dev: Any) -> dict[str, Any]:
    """SQuAD dev: its first 38 articles (by title, in file order) to train, the last 10 to evaluate."""
    titles = list(dict.fromkeys(dev["title"]))
    if len(titles) < SQUAD_TRAIN_ARTICLES + SQUAD_EVAL_ARTICLES:
        raise ValueError(f"squad: the dev file has {len(titles)} articles; the 38/10 carve needs "
                         f"{SQUAD_TRAIN_ARTICLES + SQUAD_EVAL_ARTICLES}")
    train_titles = set(titles[:SQUAD_TRAIN_ARTICLES])
    eval_titles = set(titles[-SQUAD_EVAL_ARTICLES:])
    article = dev["title"]
    return {"train": dev.select([i for i, t in enumerate(article) if t in train_titles]),
            "validation": dev.select([i for i, t in enumerate(article) if t in eval_titles])}


def _squad_note() -> str:
    return (f"SQuAD v1.1 dev set only: trained on its first {SQUAD_TRAIN_ARTICLES} articles (file order), "
            f"scored on its last {SQUAD_EVAL_ARTICLES}")


def labelled(split: Any, task: Any) -> bool:
    """Whether ``split`` can be scored: rows, and for classification no ``-1`` (GLUE's unlabelled test)."""
    if len(split) == 0:
        return False
    column = task.columns.get("label") or task.columns.get("tags") or task.columns.get("answers")
    if task.family == "text-classification" and column in split.column_names:
        return min(split[column]) >= 0
    if task.family == "language-modeling":
        return True
    return column in split.column_names
