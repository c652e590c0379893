"""What the training tests read back from a finished run's output folder."""

from __future__ import annotations

import json
from pathlib import Path


def losses(output_dir: Path) -> list[float]:
    """The training losses logged to ``OUT/train_log.jsonl``, in step order.

    Tests compare these between runs (same seed, same losses) and across a run (the loss falls),
    so they are read from the log the trainer wrote, not from anything the test computed.
    """
    rows = [json.loads(line) for line in (Path(output_dir) / "train_log.jsonl").read_text().splitlines()]
    return [row["loss"] for row in rows if "loss" in row]
