"""The GPU speed-ups are chosen from device facts passed in, so every branch runs on a CPU-only machine."""

from __future__ import annotations

import pytest

from hubkit.train.device import (
    DeviceFacts,
    attention_implementation,
    speedups_record,
    training_speedups,
    use_attention,
)

CPU = DeviceFacts(cuda=False)
H200 = DeviceFacts(cuda=True, bf16_supported=True, compute_capability=(9, 0), name="NVIDIA H200")
T4 = DeviceFacts(cuda=True, bf16_supported=False, compute_capability=(7, 5), name="Tesla T4")


def test_the_cpu_gets_nothing_so_its_runs_stay_as_they_were():
    assert training_speedups(CPU) == {}
    assert attention_implementation(CPU) is None
    assert speedups_record(CPU) == {}


def test_an_ampere_or_newer_gpu_gets_tf32_and_fused_adamw():
    assert training_speedups(H200) == {"optim": "adamw_torch_fused", "tf32": True}
    assert attention_implementation(H200) == "sdpa"
    assert speedups_record(H200, "sdpa") == {"tf32": True, "optim": "adamw_torch_fused", "attention": "sdpa"}


def test_a_gpu_before_ampere_gets_no_tf32_which_it_cannot_run():
    # TrainingArguments(tf32=True) raises on such a GPU, so asking for it would fail the run.
    assert training_speedups(T4) == {"optim": "adamw_torch_fused"}
    assert speedups_record(T4)["tf32"] is False


def test_the_fused_optimizer_is_one_transformers_knows():
    from transformers.training_args import OptimizerNames

    assert OptimizerNames(training_speedups(H200)["optim"]) == OptimizerNames.ADAMW_TORCH_FUSED


def test_a_bert_is_switched_to_sdpa_attention(tiny_bert):
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(tiny_bert, num_labels=2, attn_implementation="eager")
    assert model.config._attn_implementation == "eager"
    assert use_attention(model, "sdpa") == "sdpa"
    assert model.config._attn_implementation == "sdpa"
    # None (the CPU's choice) leaves the model as loaded.
    model.set_attn_implementation("eager")
    assert use_attention(model, None) == "eager"


def test_a_model_that_cannot_switch_keeps_its_attention():
    import torch

    class Head(torch.nn.Module):
        """A custom module without transformers' attention interface."""

    assert use_attention(Head(), "sdpa") is None


def test_training_arguments_on_the_cpu_are_transformers_defaults(tmp_path):
    """On this machine (no GPU) hubkit's arguments carry no tf32 and transformers' own default optimizer."""
    import torch
    from transformers import TrainingArguments

    from hubkit.recipes import recipe_for
    from hubkit.train.runner import training_arguments

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")

    class Adapter:
        selection_metric, greater_is_better = "accuracy", True

        def ddp_unused_parameters(self):
            return False

    args = training_arguments(Adapter(), recipe_for("sst2"), 42, tmp_path, 480, has_validation=True, save=True,
                              progress=False)
    default = TrainingArguments(output_dir=str(tmp_path / "default"), use_cpu=True)
    assert args.tf32 is None and args.optim == default.optim
    assert (args.bf16, args.fp16) == (False, False)


def _bench(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("device, peak", [("NVIDIA H100 PCIe", 756.0), ("NVIDIA H100 80GB HBM3", 989.0),
                                          ("NVIDIA H200", 989.0), ("NVIDIA A10G", 70.0), ("NVIDIA A10", 125.0),
                                          ("NVIDIA L4", 121.0), ("NVIDIA GeForce GTX 1080", None)])
def test_the_mfu_peak_is_looked_up_by_the_most_specific_gpu_name(device, peak):
    assert _bench("train_speed").peak_tflops(device) == peak


def test_the_gpu_check_names_a_missing_data_folder_and_writes_nothing_else(tmp_path):
    import os
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "bench" / "gpu_check.sh"
    usage = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and usage.stderr.startswith("usage: bash bench/gpu_check.sh OUTDIR")
    out = tmp_path / "out"
    result = subprocess.run(["bash", str(script), str(out)], capture_output=True, text=True, check=False,
                            env={**os.environ, "HUBKIT_DATA": str(tmp_path / "nothing")})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nothing'}/glue/SST-2 not found; set HUBKIT_DATA to the folder holding glue/"]
    assert list(out.iterdir()) == []
