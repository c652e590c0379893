"""Entity-level precision, recall and F1 for sequence labelling (NER), overall and per entity type."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import datasets
import evaluate
import numpy as np

from ._chunks import SCHEMES, TaggedCorpus, conlleval_chunks, strict_chunks
from ._classification import check_zero_division, divide

_DESCRIPTION = """
Scores predicted entity spans against reference spans: an entity counts as correct only if its
type, first token and last token all match. Precision, recall and F1 are reported overall
(micro-averaged over entities, as conlleval and seqeval do) and per entity type, together with
token-level accuracy.

Two readings of the tags:
- mode="default" (conlleval-compatible): chunks are read the way conlleval.pl reads them, which
  repairs ill-formed sequences (an I- tag after O starts a new entity; a type change mid-entity
  splits it). Works for IOB1, IOB2 and IOBES without being told which.
- mode="strict" (needs `scheme`): only entities well formed under the scheme count; ill-formed
  pieces are dropped (seqeval's mode="strict").
When `scheme` is given, tags whose prefix the scheme does not allow are an error, and the result
reports `ill_formed_entities`: how many conlleval entities are not well formed under the scheme,
i.e. how many the default mode repaired or the strict mode dropped.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `list` of `str`): predicted tags, one list per sentence.
    references (`list` of `list` of `str`): reference tags; same number of sentences, same lengths.
    mode (`str`, default `"default"`): `"default"` (conlleval) or `"strict"`.
    scheme (`str`, optional): `"IOB1"`, `"IOB2"` or `"IOBES"`; required with `mode="strict"`.
    zero_division (`0` or `1`, default `0`): value of a score whose denominator is 0
        (e.g. precision when nothing is predicted).

Tags are `O` or `B-`, `I-`, `E-`, `S-` followed by a type; anything else raises `ValueError`.

Returns:
    overall_precision, overall_recall, overall_f1 (`float`): in [0, 1], micro-averaged over entities.
    overall_accuracy (`float`): token accuracy in [0, 1].
    <TYPE> (`dict`): `precision`, `recall`, `f1` in [0, 1] and `number` (reference entities of that type).
    ill_formed_entities (`dict`, only with `scheme`): counts for `predictions` and `references`.

Examples:
    >>> seqeval = evaluate.load("metrics/seqeval")
    >>> seqeval.compute(predictions=[["B-PER", "I-PER", "O", "B-LOC"]],
    ...                 references=[["B-PER", "I-PER", "O", "B-ORG"]])["overall_f1"]
    0.5
"""

_CITATION = """
@inproceedings{tjong-kim-sang-de-meulder-2003-introduction,
  title={Introduction to the {C}o{NLL}-2003 Shared Task: Language-Independent Named Entity Recognition},
  author={Tjong Kim Sang, Erik F. and De Meulder, Fien}, booktitle={Proceedings of CoNLL-2003},
  pages={142--147}, year={2003}
}
@misc{seqeval, title={{seqeval}: A Python framework for sequence labeling evaluation},
  author={Hiroki Nakayama}, year={2018}, url={https://github.com/chakki-works/seqeval}}
"""

MODES = ("default", "strict")


def _check_inputs(predictions: Sequence, references: Sequence) -> None:
    if len(predictions) != len(references):
        raise ValueError(f"predictions and references differ in number of sentences: "
                         f"{len(predictions)} vs {len(references)}")
    if len(predictions) == 0:
        raise ValueError("predictions and references are empty; a score over no sentences is undefined")
    for index, (predicted, reference) in enumerate(zip(predictions, references)):
        if isinstance(predicted, str) or isinstance(reference, str):
            raise ValueError(f"sentence {index} is a string; give each sentence as a list of tags")
        if len(predicted) != len(reference):
            raise ValueError(f"sentence {index} has {len(predicted)} predicted tags but "
                             f"{len(reference)} reference tags")


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Seqeval(evaluate.Metric):
    """Entity scores from per-sentence counts, so that they can be bootstrapped over sentences."""

    def _info(self) -> evaluate.MetricInfo:
        tags = datasets.Sequence(datasets.Value("string"))
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": tags, "references": tags}),
            reference_urls=["https://www.clips.uantwerpen.be/conll2002/ner/bin/conlleval.txt"])

    def decompose(self, predictions: Sequence, references: Sequence, mode: str = "default",
                  scheme: str | None = None, zero_division: float = 0
                  ) -> tuple[np.ndarray, Callable, dict[str, Any]]:
        """One row per sentence: per-type true / predicted / correct entity counts, then token counts."""
        zero_division = check_zero_division(zero_division)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
        if scheme is not None and scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {list(SCHEMES)} or None, got {scheme!r}")
        if mode == "strict" and scheme is None:
            raise ValueError("mode='strict' needs a scheme: 'IOB1', 'IOB2' or 'IOBES'")
        _check_inputs(predictions, references)
        type_ids: dict[str, int] = {}
        corpora = {what: TaggedCorpus(sentences, type_ids, what, scheme)
                   for what, sentences in (("references", references), ("predictions", predictions))}
        size = len(corpora["references"].prefix)
        chunks, extras = {}, {}
        for what, corpus in corpora.items():
            loose = conlleval_chunks(corpus)
            if scheme is not None:
                strict = strict_chunks(corpus, scheme)
                well_formed = np.isin(_key(*loose, size), _key(*strict, size))
                extras.setdefault("ill_formed_entities", {})[what] = int(np.sum(~well_formed))
                chunks[what] = strict if mode == "strict" else loose
            else:
                chunks[what] = loose
        names = sorted(type_ids)
        order = np.empty(len(names), dtype=np.int64)  # type id (order of appearance) -> alphabetical rank
        for rank, name in enumerate(names):
            order[type_ids[name]] = rank
        rows = self._sentence_rows(corpora, chunks, order, len(names), size, predictions, references)
        used = np.flatnonzero(rows[:, :2 * len(names)].reshape(len(rows), 2, -1).sum(axis=(0, 1)) > 0)
        names = [names[i] for i in used]
        all_types = len(order)
        keep = np.concatenate([used, all_types + used, 2 * all_types + used, [3 * all_types, 3 * all_types + 1]])
        rows = rows[:, keep]
        n_types = len(names)

        def scores(totals: np.ndarray) -> dict[str, np.ndarray]:
            true, pred, hit = (totals[..., i * n_types:(i + 1) * n_types] for i in range(3))
            correct_tokens, tokens = totals[..., 3 * n_types], totals[..., 3 * n_types + 1]
            return {
                "overall_precision": divide(hit.sum(-1), pred.sum(-1), zero_division),
                "overall_recall": divide(hit.sum(-1), true.sum(-1), zero_division),
                "overall_f1": divide(2 * hit.sum(-1), true.sum(-1) + pred.sum(-1), zero_division),
                "overall_accuracy": divide(correct_tokens, tokens, zero_division),
                "precision": divide(hit, pred, zero_division),
                "recall": divide(hit, true, zero_division),
                "f1": divide(2 * hit, true + pred, zero_division),
                "number": true,
            }

        return rows, scores, {"types": names, **extras}

    @staticmethod
    def _sentence_rows(corpora, chunks, order, n_types, size, predictions, references) -> np.ndarray:
        starts = corpora["references"].starts
        n = len(starts)
        rows = np.zeros((n, 3 * n_types + 2))

        def add(column_offset: int, kinds: np.ndarray, first: np.ndarray) -> None:
            sentence = np.searchsorted(starts, first, side="right") - 1
            np.add.at(rows, (sentence, column_offset + order[kinds]), 1.0)

        true_kinds, true_first, true_last = chunks["references"]
        pred_kinds, pred_first, pred_last = chunks["predictions"]
        add(0, true_kinds, true_first)
        add(n_types, pred_kinds, pred_first)
        hit = np.isin(_key(pred_kinds, pred_first, pred_last, size), _key(true_kinds, true_first, true_last, size))
        add(2 * n_types, pred_kinds[hit], pred_first[hit])
        same = corpora["predictions"].prefix == corpora["references"].prefix
        same &= corpora["predictions"].type == corpora["references"].type
        token_sentence = np.searchsorted(starts, np.arange(size), side="right") - 1
        is_token = np.ones(size, bool)
        is_token[np.cumsum([len(s) + 1 for s in references]) - 1] = False  # the separators
        rows[:, 3 * n_types] = np.bincount(token_sentence[is_token & same], minlength=n)
        rows[:, 3 * n_types + 1] = np.bincount(token_sentence[is_token], minlength=n)
        return rows

    @staticmethod
    def present(scores: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
        """The familiar evaluate/seqeval layout: one dict per entity type, then the overall scores."""
        result: dict[str, Any] = {}
        for index, name in enumerate(extras["types"]):
            result[name] = {"precision": float(scores["precision"][index]), "recall": float(scores["recall"][index]),
                            "f1": float(scores["f1"][index]), "number": int(scores["number"][index])}
        for key in ("overall_precision", "overall_recall", "overall_f1", "overall_accuracy"):
            result[key] = float(scores[key])
        if "ill_formed_entities" in extras:
            result["ill_formed_entities"] = extras["ill_formed_entities"]
        return result

    def _compute(self, predictions, references, mode="default", scheme=None, zero_division=0):
        rows, scores, extras = self.decompose(predictions, references, mode, scheme, zero_division)
        return self.present(scores(rows.sum(0)), extras)


def _key(kinds: np.ndarray, first: np.ndarray, last: np.ndarray, size: int) -> np.ndarray:
    """One integer per entity: equal keys mean same type, same first and same last token."""
    return (kinds * size + first) * size + last
