"""Helpers shared by the training tests of the token-classification and question-answering families."""

from __future__ import annotations

import json

import pytest


def losses(output_dir) -> list[float]:
    """The training losses logged to ``OUT/train_log.jsonl``, in step order."""
    rows = [json.loads(line) for line in (output_dir / "train_log.jsonl").read_text().splitlines()]
    return [row["loss"] for row in rows if "loss" in row]


@pytest.fixture
def one_thread():
    """Tiny models gain nothing from intra-op threads, and where other jobs share the cores the
    threads' spin-waits make each step tens of times slower (measured: 0.03 s vs 0.9 s a step)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
