"""``hubkit train`` unchanged under ``torchrun`` and ``accelerate launch``: two CPU processes on gloo
split each epoch. DDP searches for unused parameters only for a model that has them (the
bi-encoder): off for a plain classifier, and on for the bi-encoder, which DDP refuses to train
otherwise (``bench/ddp_unused_params.py`` measures what the search costs).

accelerate's own ``--cpu`` mode starts several processes only through mpirun; its ``--multi_gpu``
mode is the torch.distributed launcher, and on a machine without a GPU hubkit trains on the CPU
with gloo, so that is the accelerate command this tests (and the one README gives).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.data import write_mrpc, write_sst2


LAUNCHERS = {
    "torchrun": ["torchrun", "--standalone", "--nproc_per_node", "2", "--module"],
    "accelerate": ["accelerate", "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                   "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "0", "-m"],
}


def train_distributed(launcher: str, out: Path, *args: str) -> subprocess.CompletedProcess:
    program, *launch_args = LAUNCHERS[launcher]
    executable = Path(sys.executable).with_name(program)
    assert executable.exists(), f"{program} is installed with hubkit's dependencies"
    command = [str(executable), *launch_args, "hubkit.cli", "train", *args, "--output-dir", str(out),
               "--bootstrap-resamples", "50", "--no-progress"]
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def searched_for_unused_parameters(out: Path) -> bool:
    return json.loads((out / "training_args.json").read_text())["ddp_find_unused_parameters"]


@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
def test_two_processes_on_gloo_share_the_epoch(tmp_path, tiny_bert, launcher):
    data = write_sst2(tmp_path / "sst2", n_train=64, n_dev=16)
    out = tmp_path / "out"
    result = train_distributed(launcher, out, "sst2", "--data-dir", str(data), "--model", str(tiny_bert),
                               "--epochs", "2", "--batch-size", "8")
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    steps = max(row["step"] for row in log)
    assert steps == 2 * 64 // (8 * 2), "each of the 2 processes sees half of every epoch"
    results = json.loads((out / "results.json").read_text())
    # Every validation row is scored exactly once (a sharded evaluation that dropped or repeated rows
    # would show here), and the reported accuracy is the one those predictions give.
    predictions = [json.loads(line) for line in (out / "predictions_validation.jsonl").read_text().splitlines()]
    assert len(predictions) == 16
    correct = sum(p["predictions"] == p["references"] for p in predictions)
    assert results["per_seed"][0]["metrics"]["validation"]["accuracy"] == pytest.approx(correct / 16)
    assert all(0.4 < row["loss"] < 1.0 for row in log if "loss" in row), "logged loss is a per-example mean"
    assert result.stdout.count("validation accuracy") == 1, "only the main process reports"
    assert not searched_for_unused_parameters(out), "a classifier uses every parameter: no per-step search"
    shutil.rmtree(out)


def test_the_bi_encoder_trains_under_ddp_because_it_asks_for_the_unused_parameter_search(tmp_path, tiny_bert):
    data = write_mrpc(tmp_path / "mrpc", n_train=32, n_dev=8)
    out = tmp_path / "out"
    train_distributed("torchrun", out, "mrpc", "--data-dir", str(data), "--model", str(tiny_bert),
                      "--pair-mode", "bi-encoder", "--epochs", "1", "--batch-size", "8")
    # With the search off, DDP stops at the first step: the encoder's pooler never gets a gradient.
    assert searched_for_unused_parameters(out)
