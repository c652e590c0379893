"""Published scores each baseline is compared with, one row per dataset.

Figures come from ``published-scores.md`` of the project's research notes; each row keeps its
source so ``baselines.md`` and the model card can cite it. Values are in points (percent); a
metric hubkit reports as a fraction (accuracy, F1 of classification and tagging) is multiplied by
``scale`` before the gap is taken, SQuAD's metric is already in points.

MiniLM-L6 has published numbers for the GLUE tasks only; CoNLL-2003 compares with BERT-base
(``note`` says so), and WikiText-2 has no comparable figure (a zero-shot GPT-2 number is not one).
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Reference:
    """One published figure: ``value`` points of ``metric`` on ``split`` for ``model``, from ``source``."""

    value: float
    metric: str
    split: str
    model: str
    source: str
    scale: float = 100.0  # hubkit's metric value times this is in the reference's points
    note: str = ""

    def gap(self, score: float) -> float:
        """Our score minus the reference, in points (negative: below the reference)."""
        return score * self.scale - self.value

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


UNILM = "microsoft/unilm minilm/README.md, table 'Fine-tuning on NLU tasks' (dev)"
KAMALKRAJ = "kamalkraj/BERT-NER README.md (entity F1 on these exact eng.testa / eng.testb files)"
RUN_QA = "transformers examples/pytorch/question-answering/README.md (run_qa.py, 2 epochs, dev set)"
MRPC_NOTE = ("the README does not label MRPC's metric; the same figure is set beside our F1 (the usual MRPC "
             "headline) and our accuracy")
CONLL_NOTE = "no published MiniLM-L6 figure for CoNLL-2003; compared with BERT-base (110M parameters)"
SQUAD_NOTE = ("no published MiniLM-L6 SQuAD v1.1 figure; compared with BERT-base on the full dev set, while ours "
              "is scored on its last 10 articles after training on the first 38")

# Each dataset's published figures, one per (split, metric) they were published for. A baseline
# row gets the figure of its own split and metric, or none.
REFERENCES: dict[str, tuple[Reference, ...]] = {
    "sst2": (Reference(91.5, "accuracy", "validation", "MiniLM-L6xH384", UNILM),),
    "mrpc": (Reference(88.9, "f1", "validation", "MiniLM-L6xH384", UNILM, note=MRPC_NOTE),
             Reference(88.9, "accuracy", "validation", "MiniLM-L6xH384", UNILM, note=MRPC_NOTE)),
    "rte": (Reference(68.8, "accuracy", "validation", "MiniLM-L6xH384", UNILM),),
    "conll2003": (Reference(94.95, "overall_f1", "validation", "bert-base-cased", KAMALKRAJ, note=CONLL_NOTE),
                  Reference(91.35, "overall_f1", "test", "bert-base-cased", KAMALKRAJ, note=CONLL_NOTE)),
    "squad": (Reference(88.52, "f1", "validation", "bert-base-uncased", RUN_QA, scale=1.0, note=SQUAD_NOTE),
              Reference(81.22, "exact_match", "validation", "bert-base-uncased", RUN_QA, scale=1.0,
                        note=SQUAD_NOTE)),
    "imdb": (Reference(93.46, "accuracy", "test", "BERT-base", "Sanh et al. 2019, Table 2 (paper)",
                       note="no published MiniLM-L6 figure for IMDb; compared with BERT-base"),),
}


def references_for(dataset: str) -> tuple[Reference, ...]:
    """The published figures ``dataset``'s baseline is compared with; none for WikiText-2."""
    return REFERENCES.get(dataset, ())


def reference_for(dataset: str, split: str, metric: str) -> Reference | None:
    """The published figure for ``dataset``'s ``split`` and ``metric``, or None."""
    return next((r for r in references_for(dataset) if (r.split, r.metric) == (split, metric)), None)


def reported_metrics(dataset: str, primary: str) -> list[str]:
    """The metrics a baseline row is given for: the task's primary metric, then any other that a
    published figure is given for (MRPC's F1 beside accuracy, SQuAD's exact match beside F1)."""
    metrics = [primary]
    for reference in references_for(dataset):
        if reference.metric not in metrics:
            metrics.append(reference.metric)
    return metrics
