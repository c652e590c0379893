"""What a GPU adds to a training run: bf16 autocast, TF32 matmuls, fused AdamW and SDPA attention.

The choice is a pure function of a few facts about the device (:class:`DeviceFacts`), so it can be
tested on a machine without a GPU by passing the facts in, and so the CPU path provably stays as it
was: on the CPU nothing is added, which keeps CPU runs bit-for-bit deterministic with a seed
(float32, transformers' own optimizer default, the model's own attention default).

- bf16 autocast where the GPU has bf16 (Ampere and newer); fp16 is left to the precision options.
- TF32 matmuls (and cuDNN convolutions) from Ampere (compute capability 8) on: float32 matmuls
  that are left outside autocast run on tensor cores at a tenth of a bit of mantissa.
- ``adamw_torch_fused``: one kernel for the whole parameter update instead of one per tensor.
- ``attn_implementation="sdpa"``: PyTorch's fused scaled-dot-product attention (flash /
  memory-efficient kernels) where the model supports it (BERT and MiniLM do in transformers 5).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

log = logging.getLogger(__name__)

# Ampere: the first generation with bf16 and TF32 tensor cores.
AMPERE = (8, 0)


@dataclasses.dataclass(frozen=True)
class DeviceFacts:
    """The facts the speed-ups depend on; :func:`detect` reads them from torch."""

    cuda: bool
    bf16_supported: bool = False
    compute_capability: tuple[int, int] = (0, 0)
    name: str = "cpu"


def detect() -> DeviceFacts:
    """This process's device as :class:`DeviceFacts` (the first GPU when there are several)."""
    import torch

    if not torch.cuda.is_available():
        return DeviceFacts(cuda=False)
    return DeviceFacts(cuda=True, bf16_supported=bool(torch.cuda.is_bf16_supported()),
                       compute_capability=tuple(torch.cuda.get_device_capability(0)),
                       name=torch.cuda.get_device_name(0))


def training_speedups(facts: DeviceFacts) -> dict[str, Any]:
    """``TrainingArguments`` keyword arguments that make training faster on this device.

    Empty on the CPU: the CPU defaults are what makes runs reproducible, and bf16 autocast on a
    CPU without bf16 instructions is slower, not faster (``bench/time_to_accuracy.py --levers
    bf16`` measures it). Precision itself is :func:`hubkit.train.runner.resolve_precision`'s
    choice; this only adds what comes with a GPU.
    """
    if not facts.cuda:
        return {}
    speedups: dict[str, Any] = {"optim": "adamw_torch_fused"}
    if facts.compute_capability >= AMPERE:
        speedups["tf32"] = True
    return speedups


def attention_implementation(facts: DeviceFacts) -> str | None:
    """The attention kernels to ask the model for: ``"sdpa"`` on a GPU, else None (the model's default)."""
    return "sdpa" if facts.cuda else None


def use_attention(model, implementation: str | None) -> str | None:
    """Switch ``model`` to ``implementation`` where it supports it; returns what the model now uses.

    A model that cannot switch (a custom head without transformers' attention interface, an
    architecture without SDPA) keeps its own attention: a speed-up must never fail a run.
    """
    config = getattr(model, "config", None)
    current = getattr(config, "_attn_implementation", None)
    if implementation is None or current == implementation:
        return current
    setter = getattr(model, "set_attn_implementation", None)
    if setter is None:
        return current
    try:
        setter(implementation)
    except (ValueError, ImportError, NotImplementedError) as exc:
        log.info("keeping %s attention: %s", current, exc)
    return getattr(model.config, "_attn_implementation", current)


def speedups_record(facts: DeviceFacts, attention: str | None = None) -> dict[str, Any]:
    """What a run used, for ``results.json``: the GPU speed-ups, or an empty dict on the CPU.

    The precision is not repeated here: ``device_summary`` records the dtype the run computed in.
    """
    if not facts.cuda:
        return {}
    speedups = training_speedups(facts)
    return {"tf32": bool(speedups.get("tf32")), "optim": speedups["optim"],
            "attention": attention or attention_implementation(facts)}
