"""Fingerprints of everything a score depends on, so a result can be re-run and checked.

Following lm-evaluation-harness (the most complete provenance among the anchors) and MTEB (dataset
revision required): the model commit sha or a content hash of a local folder, the dataset's hub
commit or builder version plus source checksums, a hash of the exact examples scored, hashes of
the metric modules' code, library versions, the hubkit commit, device, dtype, batch size, seed and
the command line.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

# Files a hubkit run writes beside a model: they describe the run, they are not the model.
RUN_ARTEFACTS = ("results.json", "README.md", "train_log.jsonl", "train_log_history.json", "best_seed.txt",
                 "training_args.json", "training_args.bin", "data_stats.json", "usage_examples.json")
RUN_ARTEFACT_PREFIXES = ("predictions", ".")
LIBRARIES = ("hubkit", "transformers", "torch", "datasets", "evaluate", "huggingface-hub", "accelerate",
             "tokenizers", "numpy", "pyarrow")
# The metric modules each task family's adapter scores with (hashed even when loaded earlier).
METRICS_BY_FAMILY: dict[str, tuple[str, ...]] = {
    "text-classification": ("accuracy", "f1", "matthews_correlation"),
    "token-classification": ("seqeval",),
    "question-answering": ("squad",),
    "language-modeling": ("perplexity",),
}
_METRIC_PACKAGE = "_hubkit_metric_modules."


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_lines(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def model_files(folder: Path) -> list[Path]:
    """The files that make up a model folder: top level only, without a run's own outputs."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name not in RUN_ARTEFACTS
                  and not p.name.startswith(RUN_ARTEFACT_PREFIXES) and p.suffix != ".png")


def folder_sha256(folder: Path) -> str:
    """One digest for a local model: sha256 over sorted ``name<TAB>sha256`` lines of its files."""
    return sha256_lines(f"{p.name}\t{sha256_file(p)}" for p in model_files(folder))


def metric_module_hashes(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each metric, its module file and a sha256 of the code in its folder (helpers included)."""
    from hubkit.metrics.registry import locate, metrics_dir

    out = {}
    for name in sorted(set(names)):
        target = locate(name)
        if not isinstance(target, Path):  # a plugin class: its distribution version identifies it
            out[name] = {"file": f"{target.__module__}:{target.__qualname__}", "sha256": ""}
            continue
        code = sorted(p for p in target.parent.glob("*.py"))
        digest = sha256_lines(f"{p.name}\t{sha256_file(p.resolve())}" for p in code)
        try:
            shown = target.relative_to(metrics_dir().parent).as_posix()
        except ValueError:
            shown = target.name
        out[name] = {"file": shown, "sha256": digest}
    return out


def loaded_metric_names() -> set[str]:
    """Metric modules imported into this process by :mod:`hubkit.metrics.registry`."""
    return {name.rsplit(".", 1)[1] for name in sys.modules
            if name.startswith(_METRIC_PACKAGE) and name.count(".") == 2 and not name.rsplit(".", 1)[1].startswith("_")}


def library_versions() -> dict[str, str]:
    versions = {}
    for package in LIBRARIES:
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            pass
    return versions


def hubkit_source() -> dict[str, Any]:
    """hubkit's version, and its git commit when it runs from a checkout (dirty when edited)."""
    root = Path(__file__).resolve().parents[2]
    info: dict[str, Any] = {"version": library_versions().get("hubkit", "unknown")}
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10)
        if commit.returncode == 0:
            info["git_commit"] = commit.stdout.strip()
            status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, timeout=10)
            info["git_dirty"] = bool(status.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def device_info(model) -> dict[str, Any]:
    """Where and in which precision the model actually ran."""
    import torch

    parameter = next(model.parameters())
    info: dict[str, Any] = {"device": parameter.device.type, "dtype": str(parameter.dtype).replace("torch.", ""),
                            "torch_threads": torch.get_num_threads(), "platform": platform.platform(),
                            "python": platform.python_version()}
    if parameter.device.type == "cuda":
        info["device_name"] = torch.cuda.get_device_name(parameter.device)
        info["cuda"] = torch.version.cuda
    else:
        info["device_name"] = platform.processor() or platform.machine()
    return info


def command_line() -> list[str]:
    """The command as typed, as it may be published: ``hubkit ...`` rather than the path of the
    entry-point script, and placeholders (``DATA_DIR``, ``OUT``) for this machine's paths."""
    from hubkit.portable import command

    return command(sys.argv)
