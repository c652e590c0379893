"""Push a training output folder (model, tokenizer, training arguments, results, card) as one commit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

IGNORED = ["checkpoints/*", "checkpoints/**", "seed-*/**", "*.lock", "__pycache__/**"]


def minimal_card(results: dict[str, Any], repo_id: str) -> str:
    """A short, valid card: what the model is, on what data, how well (until the card generator runs)."""
    from huggingface_hub import ModelCard, ModelCardData
    from huggingface_hub.repocard_data import EvalResult

    task = results["task"]
    dataset = results["dataset"]
    evals = []
    for split, scores in results["aggregate"].items():
        for name, value in scores.items():
            if name == task["primary_metric"]:
                evals.append(EvalResult(task_type=task["pipeline_tag"], dataset_type=dataset["name"],
                                        dataset_name=dataset["pretty_name"], dataset_config=dataset["config"],
                                        dataset_split=split, metric_type=name, metric_value=round(value["mean"], 4)))
    data = ModelCardData(library_name="transformers", pipeline_tag=task["pipeline_tag"], base_model=results["base_model"]["id"],
                         datasets=[dataset["name"]], tags=["hubkit"], model_name=repo_id, eval_results=evals or None)
    lines = [f"# {repo_id}", "",
             f"{results['base_model']['id']} fine-tuned on {dataset['pretty_name']} ({dataset['config']}) with hubkit.", ""]
    for split, scores in results["aggregate"].items():
        primary = scores.get(task["primary_metric"])
        if primary:
            lines.append(f"- {split} {task['primary_metric']}: {primary['mean']:.4f} ± {primary['std']:.4f} "
                         f"over {len(primary['values'])} seed(s)")
    return str(ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n\n" + "\n".join(lines) + "\n"))


def push_output(output_dir: Path, repo_id: str, private: bool = False) -> str:
    """Create the repo if needed and upload the folder in one commit; returns the commit URL."""
    from hubkit.hub_client import connect

    api = connect().api()
    results = json.loads((output_dir / "results.json").read_text())
    card_path = output_dir / "README.md"
    if not card_path.exists():
        card_path.write_text(minimal_card(results, repo_id))
    api.create_repo(repo_id, exist_ok=True, private=private)
    commit = api.upload_folder(folder_path=output_dir, repo_id=repo_id, ignore_patterns=IGNORED,
                               commit_message=f"hubkit train {results['dataset']['name']}")
    return commit.commit_url
