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

import numpy as np
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


# ------------------------------------------------------------------ hubkit pretrain on two ranks

PRETRAIN_ARGS = ["--objective", "clm", "--size", "tiny", "--vocab-size", "400", "--block-size", "32",
                 "--batch-size", "8", "--learning-rate", "2e-3", "--no-progress", "--bootstrap-resamples", "50"]


def pretrain_launch(corpus: Path, out: Path, record: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    """The torchrun command of a 2-rank ``hubkit pretrain`` that records the blocks each rank trains on."""
    program, *launch_args = LAUNCHERS["torchrun"]
    command = [str(Path(sys.executable).with_name(program)), *launch_args, "hubkit.cli", "pretrain", str(corpus),
               *PRETRAIN_ARGS, *args, "--output-dir", str(out)]
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    return command, {**env, "HUBKIT_RECORD_BLOCKS": str(record)}


def pretrain_distributed(corpus: Path, out: Path, record: Path, *args: str) -> subprocess.CompletedProcess:
    command, env = pretrain_launch(corpus, out, record, *args)
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def consumed(record: Path) -> dict[int, list[dict]]:
    """rank -> [{"step": N, "blocks": [sha256, ...]}, ...] as the ranks recorded them."""
    return {rank: [json.loads(line) for line in (record / f"blocks-rank{rank}.jsonl").read_text().splitlines()]
            for rank in (0, 1)}


def blocks_of(rows: list[dict]) -> list[str]:
    return [h for row in rows for h in row["blocks"]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    from helpers.data import write_corpus

    return write_corpus(tmp_path_factory.mktemp("corpus") / "corpus.txt", n_docs=160, seed=5)


@pytest.mark.parametrize("streaming", [False, True], ids=["map-style", "streaming"])
def test_two_ranks_pretrain_on_disjoint_blocks(tmp_path, corpus, streaming):
    out, record = tmp_path / "out", tmp_path / "record"
    result = pretrain_distributed(corpus, out, record, "--max-steps", "4", *(["--streaming"] if streaming else []))
    ranks = consumed(record)
    for rows in ranks.values():
        assert [row["step"] for row in rows] == [0, 1, 2, 3] and all(len(row["blocks"]) == 8 for row in rows)
    first, second = blocks_of(ranks[0]), blocks_of(ranks[1])
    assert len(set(first)) == len(first) == 32 and len(set(second)) == 32
    assert not set(first) & set(second), "the two ranks trained on disjoint blocks"
    assert result.stdout.count("validation perplexity") == 1, "only rank 0 reports"
    results = json.loads((out / "results.json").read_text())
    assert results["environment"]["world_size"] == 2 and results["corpus"]["streaming"] is streaming
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "record"], "only OUT is left, written once"


@pytest.mark.parametrize("streaming", [False, True], ids=["map-style", "streaming"])
def test_a_killed_run_resumed_matches_an_uninterrupted_one(tmp_path, corpus, streaming):
    """Kill -9 a 2-rank run after its first checkpoint, resume it: it trains on the batches the
    uninterrupted run trained on after that point, in the same order, and ends with the same model.
    Map-style, the order comes from the sampler (hubkit.train.samplers); streamed, from the stream."""
    import signal
    import time

    import psutil
    from safetensors.numpy import load_file

    from hubkit.train.pretrain import staging_dir
    from hubkit.train.runner import last_checkpoint

    args = (*(["--streaming"] if streaming else []), "--max-steps", "12", "--save-steps", "4")
    whole = tmp_path / "whole"
    pretrain_distributed(corpus, whole, tmp_path / "record-whole", *args)

    out = tmp_path / "out"
    command, env = pretrain_launch(corpus, out, tmp_path / "record-killed", *args)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = staging_dir(out) / "checkpoints"
    deadline = time.monotonic() + 300
    try:
        while last_checkpoint(checkpoints) is None and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        # torchrun starts each rank in a session of its own: the ranks are killed by pid, then the launcher.
        for child in psutil.Process(process.pid).children(recursive=True) + [psutil.Process(process.pid)]:
            os.kill(child.pid, signal.SIGKILL)
        process.wait()
    resumed_from = int(Path(last_checkpoint(checkpoints)).name.split("-")[-1])
    time.sleep(1)
    assert resumed_from < 12 and not out.exists(), "the killed run stopped before its end"

    command, env = pretrain_launch(corpus, out, tmp_path / "record-resumed", *args, "--resume")
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                                              if "Error" in line or "error" in line)[-3000:]
    whole_ranks, resumed_ranks = consumed(tmp_path / "record-whole"), consumed(tmp_path / "record-resumed")
    for rank in (0, 1):
        assert resumed_ranks[rank] == [row for row in whole_ranks[rank] if row["step"] >= resumed_from]
    a, b = (json.loads((folder / "results.json").read_text())["per_seed"][0]["metrics"]["validation"]
            for folder in (whole, out))
    assert a["perplexity"] == pytest.approx(b["perplexity"], rel=1e-6)
    weights_a, weights_b = load_file(whole / "model.safetensors"), load_file(out / "model.safetensors")
    assert weights_a.keys() == weights_b.keys()
    assert all(np.allclose(weights_a[k], weights_b[k], rtol=1e-5, atol=1e-6) for k in weights_a)
    assert not staging_dir(out).exists()
