"""Three tiny BERTs trained and published once per test session, and ``hubkit leaderboard build``
over them: the leaderboard's build tests and its browser tests read the same board.

Training them takes most of a minute, so ``published`` caches them for the session; a module
fixture in each test module asks for them.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path

from helpers.cli import hubkit
from helpers.data import write_small_sst2

N_RESAMPLES = 300


@dataclasses.dataclass
class Published:
    data: Path
    prefix: str
    strong1: str  # 3 epochs, pushed with its hubkit eval record
    strong2: str  # 3 epochs, another seed, training card only
    weak: str  # 1 epoch at a tiny learning rate, pushed with its hubkit eval record
    local: dict[str, Path]  # model id -> its training output folder

    @property
    def ids(self) -> list[str]:
        return [self.strong1, self.strong2, self.weak]


_CACHE: dict[str, Published] = {}  # "models" -> the session's models


def published(hub, tiny_bert: Path, root: Path) -> Published:
    """Train and publish the three models once per session (the browser test reuses them)."""
    if "models" in _CACHE:
        return _CACHE["models"]
    data = write_small_sst2(root / "sst2", seed=3)
    prefix = f"lb{uuid.uuid4().hex[:6]}"
    # (repo, epochs, learning rate, seed, push a hubkit eval record): seeds picked so both strong models learn.
    plan = [(f"{hub.user}/{prefix}-1-strong", 3, 1e-2, 2, True), (f"{hub.user}/{prefix}-2-strong", 3, 1e-2, 5, False),
            (f"{hub.user}/{prefix}-3-weak", 1, 1e-5, 3, True)]
    local = {}
    for repo_id, epochs, lr, seed, with_record in plan:
        out = root / repo_id.split("/")[1]
        result = hubkit("train", "sst2", "--data-dir", data, "--model", tiny_bert, "--output-dir", out, "--epochs", epochs,
                     "--learning-rate", lr, "--seed", seed, "--batch-size", 8, "--max-length", 32, "--early-stopping-patience", 0,
                     "--bootstrap-resamples", 200,
                     "--no-progress", "--push-to", repo_id)
        assert result.exit_code == 0, result.output
        local[repo_id] = out
        if with_record:
            result = hubkit("eval", repo_id, "sst2", "--data-dir", data, "--output", root / f"eval-{seed}",
                         "--bootstrap-resamples", 200, "--push")
            assert result.exit_code == 0, result.output
    _CACHE["models"] = Published(data, prefix, plan[0][0], plan[1][0], plan[2][0], local)
    return _CACHE["models"]


def build(out: Path, *extra: object) -> dict:
    """``hubkit leaderboard build sst2`` into ``out``; returns its leaderboard.json."""
    result = hubkit("leaderboard", "build", "sst2", "--output", out, "--bootstrap-resamples", N_RESAMPLES, *extra)
    assert result.exit_code == 0, result.output
    return json.loads((out / "leaderboard.json").read_text())

