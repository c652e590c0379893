"""The README.md model card of a ``hubkit pretrain`` output folder.

Small on purpose: what the model is (its size or base checkpoint, the objective), what it read
(the corpus's identity: the dataset repo and commit, named in ``datasets:`` so the Hub links
them, or each source file's sha256), how much it learnt (validation perplexity before and after),
and the command that makes it again, in a form that names nothing of this machine. It goes
through :func:`hubkit.repocard.render.render_card` like every hubkit card, so it is validated
before it is written. A later ``hubkit train DATASET --model OUT`` reads the weights, not this card.
"""

from __future__ import annotations

import shlex
from typing import Any

from hubkit.cards.sections import f4, is_hub_id, model_link

OBJECTIVES = {"mlm": "masked language modelling", "clm": "causal language modelling"}


def render(results: dict[str, Any], request: Any, name: str) -> str:
    """The card text for ``results`` (what ``OUT/results.json`` holds) of the run ``request`` asked for."""
    from hubkit.repocard.render import render_card

    corpus = results["corpus"]
    metadata: dict[str, Any] = {"library_name": "transformers", "pipeline_tag": results["task"]["pipeline_tag"],
                                "tags": ["hubkit", "pretraining", results["task"]["objective"]]}
    base = (results.get("base_model") or {}).get("id")
    if is_hub_id(base):
        metadata["base_model"] = base
    if corpus.get("repo_id"):
        metadata["datasets"] = [corpus["repo_id"]]
    sections = [("summary", _summary(results, name)), ("training-data", _corpus(corpus)),
                ("results", _results(results)), ("reproduce", _reproduce(results, request))]
    return render_card("model", metadata, sections)


def _summary(results: dict[str, Any], name: str) -> str:
    objective = OBJECTIVES[results["task"]["objective"]]
    model = results["model"]
    if results["start"] == "scratch":
        start = (f"a {model['size']} `{model['model_type']}` model ({model['parameters']:,} parameters) "
                 f"pre-trained from scratch, with a tokenizer trained on the corpus,")
    else:
        base = results.get("base_model") or {}
        start = f"{model_link(base.get('id'), base.get('revision'))} after continued pre-training"
    return f"# {name}\n\nThis is {start} by {objective} on the corpus below, with hubkit (`hubkit pretrain`)."


def _corpus(corpus: dict[str, Any]) -> str:
    lines = ["## Corpus", ""]
    if corpus.get("repo_id"):
        lines.append(f"Dataset [{corpus['repo_id']}](/datasets/{corpus['repo_id']}) at commit `{corpus['revision']}`, "
                     f"config `{corpus['config']}`, split `{corpus['split']}`, column `{corpus['text_column']}`.")
    else:
        lines += ["| file | bytes | sha256 |", "|---|---:|---|"]
        lines += [f"| `{f['name']}` | {f['bytes']:,} | `{f['sha256']}` |" for f in corpus["files"]]
        if corpus.get("text_column"):
            lines += ["", f"`.jsonl` documents are the `{corpus['text_column']}` field of each line."]
    lines.append("")
    if corpus.get("validation_split"):
        lines.append(f"Validation: the repo's split `{corpus['validation_split']}`.")
    else:
        lines.append(f"Validation: the held-out end of the corpus, the last {corpus['validation_fraction']:.0%} of "
                     f"its {corpus['by']}.")
    return "\n".join(lines)


def _results(results: dict[str, Any]) -> str:
    scores = results["per_seed"][0]["metrics"]["validation"]
    return "\n".join(["## Validation perplexity", "", "| before training | after training |", "|---:|---:|",
                      f"| {f4(scores.get('perplexity_at_init'))} | {f4(scores.get('perplexity'))} |"])


def _reproduce(results: dict[str, Any], request: Any) -> str:
    return "\n".join(["## Reproduce", "", "```bash", pretrain_command(results, request), "```"])


def pretrain_command(results: dict[str, Any], request: Any) -> str:
    """The ``hubkit pretrain`` command of this run, every value explicit; local paths as placeholders."""
    corpus = results["corpus"]
    parts = ["hubkit", "pretrain"]
    if corpus.get("repo_id"):
        parts += [corpus["repo_id"], "--dataset-revision", corpus["revision"], "--text-column", corpus["text_column"]]
        if corpus.get("config") not in (None, "default"):
            parts += ["--dataset-config", corpus["config"]]
        if corpus.get("split") != "train":
            parts += ["--dataset-split", corpus["split"]]
        if corpus.get("validation_split"):
            parts += ["--validation-split", corpus["validation_split"]]
        if request.streaming:
            parts.append("--streaming")
    else:
        parts.append("CORPUS")
        if corpus.get("text_column"):
            parts += ["--text-column", corpus["text_column"]]
    parts += ["--objective", request.objective]
    if request.size:
        parts += ["--size", request.size]
    else:
        base = (results.get("base_model") or {}).get("id")
        parts += ["--from", base if is_hub_id(base) else "PATH/TO/BASE_MODEL"]
    if request.tokenizer:
        parts += ["--tokenizer", request.tokenizer if is_hub_id(request.tokenizer) else "PATH/TO/TOKENIZER"]
    elif request.train_tokenizer:
        parts += ["--train-tokenizer", "--vocab-size", str(results["tokenizer"]["vocab_size_requested"]),
                  "--tokenizer-sample-docs", str(request.tokenizer_sample_docs)]
    recipe = results["recipe"]
    # A run is as long as its --max-steps (a streamed corpus has no epochs) or its epochs, never both.
    length = (["--max-steps", str(recipe["max_steps"])] if recipe.get("max_steps")
              else ["--epochs", f"{recipe['epochs']:g}"])
    parts += ["--block-size", str(recipe["block_size"]), "--batch-size", str(recipe["batch_size"]), *length,
              "--learning-rate", f"{recipe['learning_rate']:g}",
              "--warmup-ratio", f"{recipe['warmup_ratio']:g}", "--weight-decay", f"{recipe['weight_decay']:g}"]
    if request.objective == "mlm":
        parts += ["--mlm-probability", f"{recipe['mlm_probability']:g}"]
    if request.max_train_samples is not None:
        parts += ["--max-train-samples", str(request.max_train_samples)]
    if not corpus.get("validation_split"):
        parts += ["--validation-fraction", f"{corpus['validation_fraction']:g}"]
    parts += ["--seed", str(request.seed), "--output-dir", "OUT"]
    return shlex.join(parts)
