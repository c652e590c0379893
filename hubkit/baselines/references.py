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

REFERENCES: dict[str, Reference] = {
    "sst2": Reference(91.5, "accuracy", "validation", "MiniLM-L6xH384", UNILM),
    "mrpc": Reference(88.9, "accuracy", "validation", "MiniLM-L6xH384", UNILM,
                      note="the README does not label MRPC's metric; compared with accuracy"),
    "rte": Reference(68.8, "accuracy", "validation", "MiniLM-L6xH384", UNILM),
    "conll2003": Reference(91.35, "overall_f1", "test", "bert-base-cased",
                           "kamalkraj/BERT-NER README.md (test entity F1; dev 94.95)",
                           note="no published MiniLM-L6 figure for CoNLL-2003; compared with BERT-base"),
    "squad": Reference(88.52, "f1", "validation", "bert-base-uncased",
                       "transformers examples/pytorch/question-answering/README.md (run_qa.py, dev F1)", scale=1.0,
                       note="no published MiniLM-L6 SQuAD v1.1 figure; compared with BERT-base on the full dev set, "
                            "while ours is scored on its last 10 articles"),
    "imdb": Reference(93.46, "accuracy", "test", "BERT-base", "Sanh et al. 2019, Table 2 (paper)",
                      note="no published MiniLM-L6 figure for IMDb; compared with BERT-base"),
}


def reference_for(dataset: str) -> Reference | None:
    """The published figure ``dataset``'s baseline is compared with; None where there is none (WikiText-2)."""
    return REFERENCES.get(dataset)
