"""Training-test plumbing: requests sized for a tiny model on a CPU, and what a run leaves behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hubkit.train.fine_tune import TrainRequest


def losses(output_dir: Path) -> list[float]:
    """The training losses logged to ``OUT/train_log.jsonl``, in step order.

    Tests compare these between runs (same seed, same losses) and across a run (the loss falls),
    so they are read from the log the trainer wrote, not from anything the test computed.
    """
    rows = [json.loads(line) for line in (Path(output_dir) / "train_log.jsonl").read_text().splitlines()]
    return [row["loss"] for row in rows if "loss" in row]


def fine_tune_sst2(model: Path | str, data: Path, out: Path, epochs: float, learning_rate: float) -> Path:
    """Fine-tune ``model`` on the SST-2 folder ``data`` in this process; returns ``out``.

    Tests that need a trained classifier to evaluate, compare or publish take it from here, so
    they all train the way ``hubkit train sst2`` does (the recipe registry, 200 resamples)."""
    from hubkit.train.fine_tune import TrainRequest, fine_tune
    from hubkit.train.recipes import recipe_for

    recipe = recipe_for("sst2", None, {"model": str(model), "epochs": epochs, "learning_rate": learning_rate})
    fine_tune(TrainRequest(dataset="sst2", output_dir=out, recipe=recipe, data_dir=str(data), progress=False,
                           n_resamples=200))
    return out


def tagging_request(data_dir: Path, output_dir: Path, model: Path | str, seed: int = 42, **recipe: Any) -> TrainRequest:
    """A CoNLL-2003 request sized for a tiny model on a CPU: a high learning rate, no warm-up."""
    from hubkit.train.fine_tune import TrainRequest
    from hubkit.train.recipes import recipe_for

    values = {"model": str(model), "epochs": 4, "learning_rate": 3e-3, "batch_size": 16, "warmup_ratio": 0.0,
              **recipe}
    return TrainRequest(dataset="conll2003", data_dir=str(data_dir), output_dir=output_dir,
                        recipe=recipe_for("conll2003", overrides=values), seeds=(seed,), n_resamples=50,
                        progress=False)


def qa_request(data_dir: Path, output_dir: Path, model: Path | str, seed: int = 42, epochs: int = 3) -> TrainRequest:
    """A SQuAD request sized for a tiny model: short windows (64 tokens, stride 24) so the synthetic
    contexts of ``helpers.data.qa_rows`` span several windows, and short answers."""
    from hubkit.train.fine_tune import TrainRequest
    from hubkit.train.recipes import recipe_for

    values = {"model": str(model), "epochs": epochs, "learning_rate": 3e-3, "batch_size": 16, "warmup_ratio": 0.0,
              "max_length": 64, "doc_stride": 24, "max_answer_length": 8}
    return TrainRequest(dataset="squad", data_dir=str(data_dir), output_dir=output_dir,
                        recipe=recipe_for("squad", overrides=values), seeds=(seed,), n_resamples=50, progress=False)
