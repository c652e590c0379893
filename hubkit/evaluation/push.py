"""``hubkit eval --push``: add an evaluation to the evaluated model's repo.

One commit (a pull request when the hub does not let the caller write to the repo) with: the card, its model-index
extended with this result and one marked section added (see
:func:`hubkit.cards.model_card.build_evaluation_update`), the ``.eval_results/*.yaml`` entry, the
figures, and the full record under ``evaluations/<key>/`` (``results.json`` and
``predictions.parquet``), so anyone can ``--verify`` or ``compare`` against it. The card is merged
into the card of the very commit the push lands on (see :mod:`hubkit.safe_push`), so concurrent
evaluations of one model all stay in its model-index.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hubkit.evaluation import schema
from hubkit.evaluation.errors import EvaluationError

EVALUATIONS_DIR = "evaluations"


@contextlib.contextmanager
def evaluation_records_expected() -> Iterator[None]:
    """Around a commit of ``evaluations/*/predictions.parquet`` to a model repo or a leaderboard Space.

    huggingface_hub warns about any .parquet/.arrow committed to a non-dataset repo, guessing that
    a dataset was pushed to the wrong repo type; it has no option to say otherwise. Here the Parquet
    file is an evaluation's per-example record, and it belongs with the model it scores (or the
    board that ranks it), as the hub's own .eval_results do: renaming it would lose what tells
    `datasets`, pandas and the viewer its format, and `compare`/`--verify` read it by this name. So
    this one warning, for these paths only, is silenced; any other data file still warns.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=rf"It seems that you are about to commit a data file "
                                                  rf"\({EVALUATIONS_DIR}/", category=UserWarning)
        yield


def push_evaluation(folder: Path, api: Any, create_pr: bool | None = None) -> str:
    from hubkit.cards.model_card import build_evaluation_update, evaluation_key
    from hubkit.cards.push import upload

    folder = Path(folder)
    results = schema.load_results(folder / schema.RESULTS_FILE)
    model = results["model"]
    if model.get("source") != "hub":
        raise EvaluationError("--push adds the result to the model's card on the hub; this model is a local folder "
                              "(push the model first, then evaluate it by its repo id)")
    repo_id = model["id"]
    dataset = results["dataset"]
    key = evaluation_key(dataset.get("repo_id") or dataset["name"], dataset.get("config"), dataset["split"])
    record = {f"{EVALUATIONS_DIR}/{key}/{name}": (folder / name).read_bytes()
              for name in (schema.RESULTS_FILE, results["predictions"].get("file", schema.PREDICTIONS_FILE))}

    def files_for(card: str | None) -> dict[str, bytes]:
        return {**build_evaluation_update(folder, repo_id, card).all_files(), **record}

    primary = results["task"]["primary_metric"]
    with evaluation_records_expected():
        return upload(api, repo_id, files_for, f"Add hubkit evaluation on {dataset['name']} {dataset['split']}",
                      create_pr=create_pr,
                      description=f"{primary} {results['metrics'].get(primary, float('nan')):.4f} on "
                                  f"{dataset['num_examples']} examples; model revision {model.get('revision')}")
