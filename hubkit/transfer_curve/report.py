"""The curve's files: ``curve.json`` (everything), ``curve.csv`` (one row per run), ``curve.png``,
and the model-card section ``card_sections/transfer_curve.md`` with its image.

``curve.csv`` is tidy, one fine-tuning run per row, so a spreadsheet or pandas can regroup it any
way; the means and standard deviations the plot draws are in ``curve.json`` under ``curve`` and in
the card's table. The card section links its image relatively, as ``hubkit card`` expects of
anything in ``card_sections/`` (see ``docs/results-schema.md``).
"""

from __future__ import annotations

import csv
import json
import shlex
import shutil
from pathlib import Path
from typing import Any

from hubkit.transfer_curve.plot import draw_curve, short_model_name
from hubkit.transfer_curve.variants import DOMAIN_ADAPTED, PRETRAINED, RANDOM_INIT

SECTION = "transfer_curve"


def write_outputs(record: dict[str, Any], folder: Path) -> None:
    """Write every output file of the curve into ``folder``."""
    (folder / "curve.json").write_text(json.dumps(record, indent=2) + "\n")
    write_csv(record, folder / "curve.csv")
    draw_curve(record, folder / "curve.png")
    sections = folder / "card_sections"
    sections.mkdir(exist_ok=True)
    shutil.copyfile(folder / "curve.png", sections / f"{SECTION}.png")
    (sections / f"{SECTION}.md").write_text(card_section(record), encoding="utf-8")


def write_csv(record: dict[str, Any], path: Path) -> None:
    runs = record["runs"]
    metric_keys = list(runs[0]["metrics"]) if runs else []
    labels = record["dataset"]["labels"]
    header = (["variant", "train_examples", "seed", "subset_digest"] + [f"n_{label}" for label in labels]
              + metric_keys + ["train_loss", "train_runtime_s"])
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for run in runs:
            subset = record["subsets"][str(run["seed"])][str(run["train_examples"])]
            writer.writerow([run["variant"], run["train_examples"], run["seed"], subset["digest"]]
                            + [subset["label_counts"][label] for label in labels]
                            + [run["metrics"].get(key) for key in metric_keys]
                            + [run["train_loss"], round(run["train_runtime_s"], 3)])


def card_section(record: dict[str, Any]) -> str:
    """Markdown for the model card: the picture, a table of means ± std, and how it was made."""
    metric, dataset, recipe = record["metric"], record["dataset"], record["recipe"]
    model = short_model_name(record["base_model"]["id"])
    names = [v["name"] for v in record["variants"]]
    labels = {v["name"]: v["label"] for v in record["variants"]}
    n_seeds = len(record["seeds"])
    lines = ["## Transfer learning curve", "",
             f"![Validation {metric} against training examples, per starting point]"
             f"(card_sections/{SECTION}.png)", "",
             f"`{model}` fine-tuned on stratified subsets of the {dataset['name']} training split, "
             f"{n_seeds} seed{'s' if n_seeds != 1 else ''} per size, against the same architecture from random "
             "initialisation" + (" and the model after domain-adaptive masked-LM training"
                                 if DOMAIN_ADAPTED in names else "")
             + f", all with one recipe (learning rate {recipe['learning_rate']:g}, {_epochs(recipe['epochs'])}, "
               f"batch size {recipe['batch_size']}, at least {record['protocol']['min_steps']} optimizer steps: "
               "smaller subsets are cycled through more often per epoch). Each run is scored once on the full validation split "
               f"({dataset['validation_examples']} examples) after its last epoch; no checkpoint is selected on it. "
             "Cells are mean ± standard deviation over seeds.", ""]
    header = ["training examples"] + [labels[n] for n in names]
    if PRETRAINED in names and RANDOM_INIT in names:
        header.append("pre-trained − random")
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    gaps = {g["train_examples"]: g["difference"] for g in record["comparison"]["pretrained_minus_random_init"]}
    for i, size in enumerate(record["sizes"]):
        cells = [str(size)] + [_cell(record["curve"][n][i]) for n in names]
        if size in gaps and len(header) > len(cells):
            cells.append(f"{gaps[size]:+.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if "majority_baseline" in dataset and metric == "accuracy":
        lines.append(f"Always predicting the majority class scores {dataset['majority_baseline']:.3f}.")
    verdict = "better" if record["comparison"]["pretrained_better_at_every_size"] else "not better"
    lines.append(f"The pre-trained model is {verdict} than random initialisation at every size.")
    pretrain = record.get("pretrain")
    if pretrain:
        lines.append(f"Domain adaptation: masked-LM perplexity on the corpus's held-out end went from "
                     f"{pretrain['validation_perplexity_before']:.2f} to {pretrain['validation_perplexity_after']:.2f}.")
    lines += ["", "Reproduce with:", "", "```bash", reproduce_command(record), "```"]
    return "\n".join(lines) + "\n"


def reproduce_command(record: dict[str, Any]) -> str:
    """The command line that redraws this curve, with the recipe spelled out (defaults may change)."""
    dataset, recipe = record["dataset"], record["recipe"]
    parts = ["hubkit", "transfer-curve", dataset["name"]]
    if dataset.get("config") and dataset["config"] != "default":
        parts += ["--config", dataset["config"]]
    if dataset.get("data_dir"):
        parts += ["--data-dir", "SRC"]
    parts += ["--model", record["base_model"]["id"], "--sizes", ",".join(map(str, record["sizes"])),
              "--seeds", str(len(record["seeds"])), "--epochs", f"{recipe['epochs']:g}",
              "--learning-rate", f"{recipe['learning_rate']:g}", "--batch-size", str(recipe["batch_size"]),
              "--max-length", str(recipe["max_length"]), "--min-steps", str(record["protocol"]["min_steps"])]
    if record.get("pretrain"):
        parts += ["--pretrain-corpus", "CORPUS", "--pretrain-epochs", f"{record['pretrain']['recipe']['epochs']:g}"]
    parts += ["--output", "OUT"]
    return shlex.join(parts)


def _cell(point: dict[str, Any]) -> str:
    return f"{point['mean']:.3f} ± {point['std']:.3f}"


def _epochs(epochs: float) -> str:
    return f"{epochs:g} epoch{'' if epochs == 1 else 's'}"
