"""Score a model here with ``hubkit eval``: for ``--evaluate``, and for ``--verify`` re-runs of a claim.

Each run is an ordinary ``hubkit eval`` output folder (``results.json`` + ``predictions.parquet``,
no card) under the leaderboard's ``evaluations/<model>/``, so it is pushed with the leaderboard
and anyone can ``hubkit eval --verify`` or ``hubkit compare`` it later.

A re-run of a claim uses the settings of the model's own evaluation record when it pushed one
(batch size, max length, seed, resamples, dtype, dataset revision): the only change is the model
commit, which is the one whose card makes the claim. Without a record, hubkit eval's defaults.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hubkit.leaderboard.collect import Target

# The request fields a model's own evaluation record fixes for a re-run.
RECORDED_SETTINGS = ("batch_size", "max_length", "seed", "n_resamples", "max_samples", "dtype", "dataset_revision")


@dataclasses.dataclass
class EvalSettings:
    """What ``hubkit eval`` needs besides the model and the split."""

    data_dir: str | None = None
    dataset_revision: str | None = None
    batch_size: int = 32
    max_length: int | None = None
    seed: int = 42
    n_resamples: int = 1000
    max_samples: int | None = None
    dtype: str = "float32"

    def following(self, record: dict[str, Any] | None) -> "EvalSettings":
        """These settings with the ones a model's evaluation record used (its data_dir only as a fallback)."""
        if not record:
            return self
        request = record.get("request") or {}
        changes = {key: request[key] for key in RECORDED_SETTINGS if request.get(key) is not None}
        if self.data_dir is None and request.get("data_dir") and Path(request["data_dir"]).is_dir():
            changes["data_dir"] = request["data_dir"]
        return dataclasses.replace(self, **changes)


def folder_name(model: str) -> str:
    """``evaluations/<this>/``: one folder per model, readable and unique per repo id."""
    from hubkit.cards.model_card import slug

    if Path(model).is_absolute():  # a local folder: its name and a digest, not the path (the folder is published)
        import hashlib

        return slug(f"{Path(model).name}-{hashlib.sha256(model.encode()).hexdigest()[:8]}")
    return slug(model.replace("/", "--"))


def run_eval(model: str, revision: str | None, target: Target, settings: EvalSettings, output: Path) -> dict[str, Any]:
    """``hubkit eval`` of one model on the target split into ``output``; returns its results."""
    from hubkit.evaluation.runner import EvalRequest, evaluate

    request = EvalRequest(model=model, dataset=target.dataset, output_dir=output, config=target.config,
                          split=target.split, data_dir=settings.data_dir, revision=revision,
                          dataset_revision=settings.dataset_revision, batch_size=settings.batch_size,
                          max_length=settings.max_length, seed=settings.seed, n_resamples=settings.n_resamples,
                          max_samples=settings.max_samples, dtype=settings.dtype, write_card=False)
    return evaluate(request)
