"""Where a sweep runs: the hardware string of each row, and one dataset per GPU at once.

On a machine with several CUDA devices, datasets are independent jobs: each runs in its own
process that sees one device (``CUDA_VISIBLE_DEVICES``), and a device takes the next dataset as
soon as its current one ends. One process per device, rather than threads, because the Trainer
and CUDA keep per-process state (the current device, RNG, allocator). On the CPU, or with one GPU,
datasets run one after another in this process: several trainings would only share the same cores.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable, Sequence


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what ``platform`` knows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def hardware(environment: dict | None) -> str:
    """One readable string for the device a run's ``results.json`` environment names."""
    environment = environment or {}
    if environment.get("device") == "cuda":
        return f"{environment.get('name', 'CUDA GPU')} ({environment.get('dtype', '')})".replace(" ()", "")
    cores = os.cpu_count() or 0
    threads = environment.get("threads")
    if not threads:
        return f"{cpu_name()}, {cores} cores"
    return f"{cpu_name()}, {cores} cores, {threads} torch thread{'' if threads == 1 else 's'}"


def cuda_devices() -> list[str]:
    """The CUDA device indices this process may use (none on a CPU-only machine)."""
    import torch

    return [str(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []


Launch = Callable[[str, dict[str, str]], subprocess.Popen]


def run_one_per_device(jobs: Sequence[str], devices: Sequence[str], launch: Launch,
                       poll_seconds: float = 0.5) -> dict[str, int]:
    """Run each job in its own process, at most one per device at once; each job's exit status.

    ``launch(job, env)`` starts the job's process with ``env`` (this environment with
    ``CUDA_VISIBLE_DEVICES`` set to the device it got). Taking the devices as a parameter keeps
    the scheduling testable on a machine without GPUs.
    """
    if not devices:
        raise ValueError("run_one_per_device needs at least one device")
    waiting = list(jobs)
    running: dict[str, tuple[str, subprocess.Popen]] = {}  # device -> (job, process)
    statuses: dict[str, int] = {}
    while waiting or running:
        for device in devices:
            if device not in running and waiting:
                job = waiting.pop(0)
                running[device] = (job, launch(job, {**os.environ, "CUDA_VISIBLE_DEVICES": device}))
        for device, (job, process) in list(running.items()):
            code = process.poll()
            if code is not None:
                statuses[job] = code
                del running[device]
        if running:
            time.sleep(poll_seconds)
    return statuses
