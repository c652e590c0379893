"""``leaderboard.csv`` and the dataset repo's ``README.md`` (a markdown table and the method).

The README goes through hubkit's card machinery (:func:`hubkit.repocard.render.render_card`): the
YAML is validated offline, and the table, method and reproduce sections sit between hubkit
markers, so a person's notes in the leaderboard repo's card survive the next build.
"""

from __future__ import annotations

import csv
import io
from typing import Any

CSV_COLUMNS = ["rank", "group", "model", "revision", "score", "ci_low", "ci_high", "status", "score_source",
               "reported_value", "reported_source", "reproduced_value", "tie_method"]
SECTION_ORDER = ["leaderboard", "method", "reproduce"]
STATUS_MARK = {"reproduced": "✅ reproduced", "failed reproduction": "❌ failed reproduction",
               "self-reported": "self-reported", "evaluated": "🔬 evaluated here"}


def to_csv(doc: dict[str, Any]) -> str:
    """One row per entry, in rank order; empty cells where a value does not exist."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for e in doc["entries"]:
        ci = e["ci"] or [None, None]
        reported = e["reported"] or {}
        writer.writerow({
            "rank": e["rank"], "group": e["group"], "model": e["model"]["id"], "revision": e["model"]["revision"] or "",
            "score": _num(e["score"]), "ci_low": _num(ci[0]), "ci_high": _num(ci[1]), "status": e["status"],
            "score_source": e["score_source"], "reported_value": _num(reported.get("value")),
            "reported_source": reported.get("source") or "",
            "reproduced_value": _num((e["verification"] or {}).get("value")),
            "tie_method": (e["tie_test"] or {}).get("method", ""),
        })
    return out.getvalue()


def _num(value: Any) -> str:
    return "" if value is None else repr(float(value))


def readme(doc: dict[str, Any], existing: str | None = None) -> str:
    """The leaderboard Space's card, merged into ``existing`` (the Space's current card) when given.

    ``sdk: static`` with ``app_file: index.html`` is what makes huggingface.co serve the page; the
    card's ``models`` and ``datasets`` link the Space from the ranked models and the dataset.
    """
    from hubkit.repocard.render import render_card

    metadata: dict[str, Any] = {"title": doc["title"], "emoji": "🏆", "colorFrom": "blue", "colorTo": "indigo",
                                "sdk": "static", "app_file": "index.html", "pinned": False,
                                "tags": ["hubkit", "leaderboard"]}
    models = [e["model"]["id"] for e in doc["entries"] if _is_repo_id(e["model"]["id"])]
    if models:
        metadata["models"] = models
    if _is_repo_id(doc["dataset"]["name"]):
        metadata["datasets"] = [doc["dataset"]["name"]]
    sections = [("leaderboard", table_section(doc)), ("method", method_section(doc)),
                ("reproduce", reproduce_section(doc))]
    return render_card("space", metadata, sections, existing, order=SECTION_ORDER)


def _is_repo_id(name: str) -> bool:
    from hubkit.repocard.validate import REPO_ID

    return name.count("/") == 1 and not name.startswith((".", "/")) and REPO_ID.match(name) is not None


def table_section(doc: dict[str, Any]) -> str:
    metric = doc["metric"]["name"]
    data = doc["dataset"]
    lines = [f"# {doc['title']}", "",
             f"{len(doc['entries'])} models on **{data['name']}** (config `{data['config']}`, split `{data['split']}`), "
             f"ranked by **{metric}** ({'higher' if doc['metric']['greater_is_better'] else 'lower'} is better). "
             "Models in the same group are not significantly different from the group's first model.", "",
             f"| Rank | Group | Model | {metric} | 95% CI | Status | Reported |",
             "|---:|---:|---|---:|---|---|---:|"]
    for e in doc["entries"]:
        ci = f"[{e['ci'][0]:.4f}, {e['ci'][1]:.4f}]" if e["ci"] else "n/a"
        reported = f"{e['reported']['value']:.4f}" if e["reported"] else ""
        revision = f" `{e['model']['revision'][:10]}`" if e["model"]["revision"] else ""
        lines.append(f"| {e['rank']} | {e['group']} | {e['model']['id']}{revision} | {e['score']:.4f} | {ci} | "
                     f"{STATUS_MARK[e['status']]} | {reported} |")
    warnings = [(e["model"]["id"], w) for e in doc["entries"] for w in e["warnings"]]
    if warnings:
        lines += ["", "**Notes:**", ""] + [f"- {model}: {text}" for model, text in warnings]
    if doc["skipped"]:
        lines += ["", "**Not ranked:**", ""] + [f"- {s['model']}: {s['reason']}" for s in doc["skipped"]]
    return "\n".join(lines)


def method_lines(doc: dict[str, Any]) -> list[str]:
    """The method in plain sentences; shared by the README and the HTML page."""
    method = doc["method"]
    ties = method["ties"]
    verification = method["verification"]
    used = {"paired-bootstrap": "a paired bootstrap on the models' shared per-example predictions",
            "ci-overlap": "overlapping 95% confidence intervals (no shared per-example predictions)",
            "mixed": "a paired bootstrap where both models have per-example predictions on the same examples, "
                     "overlapping 95% intervals otherwise (each entry says which)",
            "none": "no test (a single model, or no intervals)"}[ties["method"]]
    lines = [
        f"Scores are the {doc['metric']['name']} on {doc['dataset']['name']} {doc['dataset']['split']}; intervals "
        f"are 95% percentile bootstrap intervals over the examples (from each model's hubkit evaluation, or from "
        "the interval its card reports).",
        f"Tie groups: the best model leads group 1; each next model joins the current group while it is not "
        f"significantly different from the group's leader, otherwise it leads the next group. Significance was "
        f"decided by {used} ({ties['n_resamples']} resamples, seed {ties['seed']}; tied when the 95% interval "
        "of the difference contains 0, or when the two intervals overlap).",
    ]
    mode = verification["mode"]
    if mode == "verify":
        lines.append(f"Every claim was re-run here with `hubkit eval` at the model's pinned commit: *reproduced* "
                     f"means the re-run matched the claim within {verification['tolerance']:g}; *failed "
                     "reproduction* means it did not. Ranks use the re-run scores.")
    elif mode == "evaluate":
        lines.append("Every model was evaluated here with `hubkit eval` at a pinned commit; where a model also "
                     f"claims a score, the claim is marked reproduced or failed (tolerance {verification['tolerance']:g}).")
    else:
        lines.append("Scores are *self-reported* by each model's card (model-index or .eval_results), with the exact "
                     "value and interval of the model's own hubkit evaluation record where one was pushed. Nothing "
                     "was re-run: build with `--verify` to check them.")
    return lines


def method_section(doc: dict[str, Any]) -> str:
    return "## Method\n\n" + "\n\n".join(method_lines(doc))


def reproduce_section(doc: dict[str, Any]) -> str:
    command = " ".join(_quote(arg) for arg in doc["generated"].get("command") or [])
    lines = ["## Reproduce", "", "Built with:", "", "```bash", command or "hubkit leaderboard build ...", "```", "",
             "`leaderboard.json` holds every value, interval, comparison and model commit (schema version "
             f"{doc['schema_version']}); `evaluations/<model>/` holds the evaluations run for this build, which "
             "`hubkit eval --verify` re-runs and `hubkit compare` compares."]
    return "\n".join(lines)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(str(arg))
