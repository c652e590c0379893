"""The plain records a builder declares about itself.

They are data, not behaviour, so ``hubkit datasets list``, the card and the trainers can read them
without running the builder. Builders set them as class attributes (``DOWNLOADS``, ``CARD``,
``TASK``); see :mod:`hubkit.datasets.builder`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

# The task families the trainers understand, and the column roles each one reads.
TASK_FAMILIES: dict[str, tuple[str, ...]] = {
    "text-classification": ("text", "text_pair", "label"),
    "token-classification": ("tokens", "tags"),
    "question-answering": ("id", "question", "context", "answers"),
    "language-modeling": ("text",),
}


# The metric keys each family's evaluation writes into results.json, primary first: a benchmark's
# task ids end in one of them, so whoever re-checks a claim can read the value back by that name.
BENCHMARK_METRICS: dict[str, tuple[str, ...]] = {
    "text-classification": ("accuracy", "f1", "matthews_correlation"),
    "token-classification": ("overall_f1", "overall_precision", "overall_recall", "overall_accuracy"),
    "question-answering": ("f1", "exact_match"),
    "language-modeling": ("perplexity",),
}


def benchmark_metrics(family: str, n_labels: int = 2) -> tuple[str, ...]:
    """The metric keys of ``family``; multi-class classification reports a macro F1 (``f1_macro``)."""
    metrics = BENCHMARK_METRICS[family]
    if family == "text-classification" and n_labels != 2:
        return tuple("f1_macro" if name == "f1" else name for name in metrics)
    return metrics


def benchmark_task_id(config: str | None, split: str, metric: str) -> str:
    """A benchmark task id, ``{config}-{split}-{metric}``: the one convention of the ``eval.yaml``
    hubkit writes, the ``.eval_results`` its model cards write, and the hub's verifier, which reads
    the metric name back as what follows ``{config}-{split}-``."""
    return f"{config or 'default'}-{split}-{metric}"


@dataclasses.dataclass(frozen=True)
class Download:
    """One canonical distribution file, and where the same content sits under ``--data-dir``.

    ``local`` is a file name under ``--data-dir``, or ``"."`` when the download is an archive whose
    unpacked folder *is* the data dir; ``archive_root`` names that folder inside the archive.
    ``sha256`` is ``None`` only when no trustworthy checksum is known: such a file is never
    downloaded, the user fetches it and passes ``--data-dir``.
    """

    url: str
    sha256: str | None
    local: str
    archive_root: str = ""

    @property
    def is_archive(self) -> bool:
        return self.local == "."


@dataclasses.dataclass(frozen=True)
class CardInfo:
    """What the dataset card says that cannot be computed from the data."""

    pretty_name: str
    description: str
    homepage: str
    citation: str
    license: str
    language: tuple[str, ...]
    task_categories: tuple[str, ...]
    task_ids: tuple[str, ...] = ()
    source_datasets: tuple[str, ...] = ("original",)
    # For ``license: other``: the Hub shows this name instead of a licence id.
    license_name: str | None = None
    # True when the licence forbids public redistribution: ``push`` then requires ``--private``.
    private_only: bool = False
    # Extra prose for "How it was built" (e.g. a split rule that is not in the source files).
    build_notes: str = ""
    # The dataset's canonical repo on huggingface.co and its config there (e.g. ``nyu-mll/glue``,
    # ``sst2``): what a model card names when the data was built here from the original files,
    # so the card links to the dataset everyone knows instead of to a builder name that links nowhere.
    hub_id: str | None = None
    hub_config: str | None = None


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """The task family a dataset trains and the columns that play each role in it."""

    family: str
    columns: Mapping[str, str]

    def __post_init__(self) -> None:
        roles = TASK_FAMILIES.get(self.family)
        if roles is None:
            raise ValueError(f"unknown task family '{self.family}'; expected one of {sorted(TASK_FAMILIES)}")
        unknown = set(self.columns) - set(roles)
        if unknown:
            raise ValueError(f"task family '{self.family}' has no column roles {sorted(unknown)}; "
                             f"its roles are {list(roles)}")

    def text_columns(self) -> list[str]:
        """The columns holding free text, in role order (used by leakage and empty-text checks)."""
        roles = ("text", "text_pair", "question", "context")
        return [self.columns[role] for role in roles if role in self.columns]
