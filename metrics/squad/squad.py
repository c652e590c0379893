"""SQuAD v1.1 exact match and F1, with the official answer normalisation."""

from __future__ import annotations

import collections
import re
import string
from typing import Any, Callable, Sequence

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """
The official SQuAD v1.1 scores. Answers are normalised (lower-cased; punctuation removed; the
articles a, an, the removed; whitespace collapsed), then each prediction is compared with every
gold answer of its question and the best match counts:
- exact_match: 100 if the normalised strings are equal, else 0;
- f1: token-overlap F1 between the normalised strings, times 100.
Both are averaged over the questions in `references`. A question with no prediction scores 0,
as in the official script, and the result then reports how many with `unanswered`.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `dict`): `{"id": str, "prediction_text": str}` per answered question.
    references (`list` of `dict`): `{"id": str, "answers": {"text": [str, ...], "answer_start": [int, ...]}}`
        per question, with at least one gold answer.

Returns:
    exact_match (`float`): in [0, 100].
    f1 (`float`): in [0, 100].
    unanswered (`int`, only when > 0): questions in `references` without a prediction.

Prediction ids missing from `references`, duplicate ids and questions without gold answers raise `ValueError`.

Examples:
    >>> squad = evaluate.load("metrics/squad")
    >>> squad.compute(predictions=[{"id": "q1", "prediction_text": "the Eiffel Tower"}],
    ...               references=[{"id": "q1", "answers": {"text": ["Eiffel tower"], "answer_start": [0]}}])
    {'exact_match': 100.0, 'f1': 100.0}
"""

_CITATION = """
@inproceedings{rajpurkar-etal-2016-squad,
  title={{SQ}u{AD}: 100,000+ Questions for Machine Comprehension of Text},
  author={Rajpurkar, Pranav and Zhang, Jian and Lopyrev, Konstantin and Liang, Percy},
  booktitle={Proceedings of EMNLP 2016}, pages={2383--2392}, year={2016}
}
"""

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation, drop articles, collapse whitespace (official v1.1 order)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, gold: str) -> float:
    """Bag-of-tokens F1 of two answers after normalisation (0 when they share no token)."""
    predicted_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    shared = sum((collections.Counter(predicted_tokens) & collections.Counter(gold_tokens)).values())
    if shared == 0:
        return 0.0
    precision, recall = shared / len(predicted_tokens), shared / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _answers_by_id(references: Sequence[dict]) -> dict[str, list[str]]:
    gold: dict[str, list[str]] = {}
    for reference in references:
        question, answers = reference["id"], list(reference["answers"]["text"])
        if question in gold:
            raise ValueError(f"question id {question!r} appears twice in references")
        if not answers:
            raise ValueError(f"question {question!r} has no gold answer (SQuAD v2 unanswerable?); "
                             "v1.1 scoring needs at least one")
        gold[question] = answers
    return gold


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Squad(evaluate.Metric):
    """Per-question best-match scores, so that the averages can be bootstrapped over questions."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({
                "predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string")},
                "references": {"id": datasets.Value("string"),
                               "answers": datasets.Sequence({"text": datasets.Value("string"),
                                                             "answer_start": datasets.Value("int32")})},
            }),
            reference_urls=["https://rajpurkar.github.io/SQuAD-explorer/"])

    def decompose(self, predictions: Sequence[dict], references: Sequence[dict]
                  ) -> tuple[np.ndarray, Callable, dict[str, Any]]:
        """One row per reference question: [exact match, F1] against its best gold answer."""
        if len(references) == 0:
            raise ValueError("references are empty; a score over no questions is undefined")
        gold = _answers_by_id(references)
        predicted: dict[str, str] = {}
        for prediction in predictions:
            question = prediction["id"]
            if question not in gold:
                raise ValueError(f"prediction for question {question!r}, which is not in references")
            if question in predicted:
                raise ValueError(f"question id {question!r} appears twice in predictions")
            predicted[question] = prediction["prediction_text"]
        rows = np.zeros((len(gold), 2))
        for row, (question, answers) in enumerate(gold.items()):
            if question in predicted:
                text = predicted[question]
                normalized = normalize_answer(text)
                rows[row, 0] = max(float(normalized == normalize_answer(answer)) for answer in answers)
                rows[row, 1] = max(token_f1(text, answer) for answer in answers)
        unanswered = len(gold) - len(predicted)

        def scores(totals: np.ndarray) -> dict[str, np.ndarray]:
            return {"exact_match": 100.0 * totals[..., 0] / len(gold), "f1": 100.0 * totals[..., 1] / len(gold)}

        return rows, scores, ({"unanswered": unanswered} if unanswered else {})

    def _compute(self, predictions, references):
        rows, scores, extras = self.decompose(predictions, references)
        return {**{key: float(value) for key, value in scores(rows.sum(0)).items()}, **extras}
