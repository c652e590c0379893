"""``--push-to NAMESPACE``: each dataset as a benchmark repo, its best seed as a model repo, and a leaderboard Space.

The order is the one ``hubkit run`` follows, for the same reason: the dataset (with its carved
splits) is pushed with ``eval.yaml`` *before* training and the units read it back at that commit,
so the model card names data anyone can load, and its ``.eval_results`` (written from the card's
scores: the mean over seeds, the best seed's interval in the notes) attach to that benchmark's
leaderboard on the hub. The leaderboard Space then ranks what the hub's models report for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def push_benchmark(prepared: Any, namespace: str, tag: str) -> tuple[str, str]:
    """Validate and push ``prepared`` as benchmark ``NAMESPACE/{name}-{config}[-{tag}]``; the repo id and commit."""
    from hubkit.datasets.errors import DatasetError
    from hubkit.datasets.push import push
    from hubkit.datasets.validate import validate
    from hubkit.hub_client import connect
    from hubkit.pipeline import repo_name

    report = validate(prepared)
    if not report.ok:
        raise DatasetError(f"{prepared.name} failed validation: {report.errors[0]}")
    repo_id = f"{namespace}/{repo_name(prepared.name, prepared.config_name, tag or None)}"
    pushed = push(prepared, report, connect().api(), repo_id, private=prepared.card.private_only, benchmark=True)
    return repo_id, pushed.commit


def model_repo_id(namespace: str, model: str, dataset: str) -> str:
    """``NAMESPACE/{model-name}-{dataset}``: the model's last path part, as the issue names it."""
    from hubkit.pipeline import repo_name

    return f"{namespace}/{repo_name(model.rstrip('/').split('/')[-1], dataset)}"


def publish_dataset(namespace: str, dataset: str, model: str, model_dir: Path, rows: list[dict[str, Any]],
                    say=lambda line: None) -> dict[str, str]:
    """Push the best seed (card with every seed's mean ± std) and the benchmark's leaderboard Space; their URLs."""
    import json

    from hubkit.hub_client import connect
    from hubkit.leaderboard.build import BuildRequest, build
    from hubkit.train.publish import push_output

    results = json.loads((model_dir / "results.json").read_text())
    repo_id = model_repo_id(namespace, model, dataset)
    pushed = push_output(model_dir, repo_id, private=False)
    say(f"{dataset}: pushed {repo_id}")
    for row in rows:
        row["model_repo"] = repo_id
    benchmark = results["dataset"].get("repo_id")
    links = {"model": pushed.repo_url}
    if benchmark:
        api = connect().api()
        space = f"{namespace}/{benchmark.split('/')[-1]}-leaderboard"
        built = build(BuildRequest(dataset=benchmark, output=model_dir.parent / "leaderboard", push_to=space,
                                   overwrite=True, title=f"{dataset} baselines"), api)
        links.update({"benchmark": f"{api.endpoint}/datasets/{benchmark}", "space": built.page_url or space})
        say(f"{dataset}: leaderboard {built.page_url}")
    return links
