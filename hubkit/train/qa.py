"""Extractive question answering (SQuAD): the answer is a span of the context, found by scoring
every token as a possible start and as a possible end.

- Contexts longer than ``max_length`` are read in overlapping windows (``[CLS] question [SEP]
  part of the context [SEP]``), consecutive windows sharing ``doc_stride`` tokens, so an answer
  cut by one window's edge lies whole in the next.
- A training window is labelled with the answer's first and last token, or with [CLS] when the
  answer is not wholly inside it: the model learns to point at [CLS] for "not here", and such a
  window never wins at prediction time because [CLS] is not a context token.
- Evaluation windows keep their example id and the character offsets of their context tokens
  (``None`` elsewhere), so that the best span over all windows of a question can be sliced from
  the original context text: n-best start and end tokens per window, spans of at most
  ``max_answer_length`` tokens, scored by start logit + end logit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hubkit.train.collators import KeepKeys
from hubkit.train.errors import TrainingError
from hubkit.train.task import TaskAdapter, register, short_rows

POSITION_KEYS = ("start_positions", "end_positions")


@register
class QuestionAnsweringTask(TaskAdapter):
    family = "question-answering"
    pipeline_tag = "question-answering"
    primary_metric = "f1"
    # Span post-processing needs the raw examples, which the Trainer's compute_metrics never sees:
    # checkpoints are selected on the validation loss instead.
    selection_metric = None
    greater_is_better = True

    def __init__(self, spec, features, recipe):
        super().__init__(spec, features, recipe)
        columns = spec.columns
        self.id_column, self.question_column = columns["id"], columns["question"]
        self.context_column, self.answers_column = columns["context"], columns["answers"]
        answers = features[self.answers_column]
        if not isinstance(answers, Mapping) or not {"text", "answer_start"} <= set(answers):
            raise TrainingError(f"column {self.answers_column!r} must hold SQuAD answers "
                                f"{{text: [...], answer_start: [...]}}, got {answers}")
        if not 0 <= recipe.doc_stride < recipe.max_length:
            raise TrainingError(f"doc_stride ({recipe.doc_stride}) must be smaller than max_length "
                                f"({recipe.max_length}): it is the overlap between consecutive windows")
        if recipe.max_answer_length < 1 or recipe.n_best < 1:
            raise TrainingError(f"max_answer_length and n_best must be at least 1, got {recipe.max_answer_length} "
                                f"and {recipe.n_best}")

    def check_head(self, config, path: str) -> None:
        """A head fine-tuned for named labels is a classifier, not a span extractor."""
        labels = getattr(config, "id2label", None) or {}
        names = [str(labels[k]) for k in sorted(labels, key=int)]
        if names and not all(n.startswith("LABEL_") for n in names):
            raise TrainingError(f"model {path} has a classification head for labels {names}, not a question-"
                                "answering head; start from a base model, not a fine-tuned one")

    def load_model(self, path: str, **load_kwargs: Any):
        from transformers import AutoConfig, AutoModelForQuestionAnswering

        self.check_head(AutoConfig.from_pretrained(path, **load_kwargs), path)
        return AutoModelForQuestionAnswering.from_pretrained(path, **load_kwargs)

    def tokenize(self, tokenizer, dataset, training: bool):
        self._check_tokenizer(tokenizer)
        check_answers(dataset[self.id_column], dataset[self.context_column], dataset[self.answers_column])
        self._check_questions_fit(tokenizer, dataset)
        ids, questions, contexts, answers = (self.id_column, self.question_column, self.context_column,
                                             self.answers_column)
        recipe = self.recipe

        def encode(batch: dict[str, list]) -> dict[str, list]:
            # Some SQuAD questions start with runs of spaces that would only waste window room.
            encoded = tokenizer([q.lstrip() for q in batch[questions]], batch[contexts], truncation="only_second",
                                max_length=recipe.max_length, stride=recipe.doc_stride,
                                return_overflowing_tokens=True, return_offsets_mapping=True)
            out: dict[str, list] = {key: encoded[key] for key in tokenizer.model_input_names if key in encoded}
            out.update({"start_positions": [], "end_positions": [], "length": []})
            if not training:
                out.update({"example_id": [], "offset_mapping": []})
            for window, offsets in enumerate(encoded["offset_mapping"]):
                example = encoded["overflow_to_sample_mapping"][window]
                sequence_ids = encoded.sequence_ids(window)
                input_ids = encoded["input_ids"][window]
                cls_index = input_ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in input_ids else 0
                answer = batch[answers][example]
                start_char = answer["answer_start"][0]
                span = answer_token_span(offsets, sequence_ids, start_char, start_char + len(answer["text"][0]))
                start, end = span if span is not None else (cls_index, cls_index)
                out["start_positions"].append(start)
                out["end_positions"].append(end)
                out["length"].append(len(input_ids))
                if not training:
                    out["example_id"].append(batch[ids][example])
                    out["offset_mapping"].append([list(o) if s == 1 else None for o, s in zip(offsets, sequence_ids)])
            return out

        return dataset.map(encode, batched=True, remove_columns=dataset.column_names,
                           desc=f"tokenize {dataset.split or ''}".strip())

    def collator(self, tokenizer):
        from transformers import DataCollatorWithPadding

        return KeepKeys(DataCollatorWithPadding(tokenizer), (*tokenizer.model_input_names, *POSITION_KEYS))

    def predict(self, trainer, raw, tokenized) -> dict[str, Any]:
        from hubkit.train.inference import predict_outputs

        tokenizer = trainer.processing_class
        # No positions at prediction time: the answer is what we are looking for.
        collator = KeepKeys(self.collator(tokenizer), tuple(tokenizer.model_input_names))
        outputs = predict_outputs(trainer.model, tokenized, collator, trainer.args.per_device_eval_batch_size,
                                  output_keys=("start_logits", "end_logits"), token_level=True)
        contexts = dict(zip(raw[self.id_column], raw[self.context_column]))
        answers = best_answers(contexts, tokenized["example_id"], tokenized["offset_mapping"],
                               [o["start_logits"] for o in outputs], [o["end_logits"] for o in outputs],
                               n_best=self.recipe.n_best, max_answer_length=self.recipe.max_answer_length)
        ids = list(raw[self.id_column])
        return {"predictions": [{"id": i, "prediction_text": answers[i]} for i in ids],
                "references": [{"id": i, "answers": {"text": list(a["text"]), "answer_start": list(a["answer_start"])}}
                               for i, a in zip(ids, raw[self.answers_column])]}

    def usage_examples(self, raw, predictions: dict[str, Any], tokenizer) -> dict[str, Any] | None:
        """One question with a short context (one window where one is found), to keep the card readable."""
        head = raw.select(range(min(len(raw), 50)))
        questions = [q.lstrip() for q in head[self.question_column]]
        contexts = list(head[self.context_column])
        room = self.recipe.max_length - tokenizer.num_special_tokens_to_add(pair=True)
        sizes = [len(ids) for ids in tokenizer(questions, contexts, add_special_tokens=False)["input_ids"]]
        rows = short_rows([len(c) if size <= room else 10 ** 6 for c, size in zip(contexts, sizes)], 1, 600)
        return {"rows": rows, "inputs": [{"question": questions[i], "context": contexts[i]} for i in rows],
                "outputs": [predictions["predictions"][i]["prediction_text"] for i in rows],
                "max_length": self.recipe.max_length, "doc_stride": self.recipe.doc_stride,
                "max_answer_length": self.recipe.max_answer_length, "n_best": self.recipe.n_best}

    def score(self, predictions: dict[str, Any], n_resamples: int, seed: int) -> dict[str, Any]:
        from hubkit import metrics

        result = metrics.compute("squad", predictions["predictions"], predictions["references"], ci=True,
                                 n_resamples=n_resamples, seed=seed)
        return {"exact_match": result["exact_match"], "f1": result["f1"],
                "confidence_intervals": {k: result["confidence_intervals"][k] for k in ("exact_match", "f1")}}

    @staticmethod
    def _check_tokenizer(tokenizer) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise TrainingError(f"question answering needs a fast tokenizer (for character offsets); "
                                f"{type(tokenizer).__name__} is not one")
        if tokenizer.padding_side != "right":
            # Left padding would shift every labelled token position within the batch.
            raise TrainingError(f"question answering needs a tokenizer that pads on the right, not "
                                f"{tokenizer.padding_side!r}")

    def _check_questions_fit(self, tokenizer, dataset) -> None:
        """A question must leave more than ``doc_stride`` tokens of the window to the context, or the
        windows cannot advance (the tokenizer fails with a message that names neither)."""
        room = self.recipe.max_length - tokenizer.num_special_tokens_to_add(pair=True) - self.recipe.doc_stride
        questions = [q.lstrip() for q in dataset[self.question_column]]
        lengths = [len(ids) for ids in tokenizer(questions, add_special_tokens=False)["input_ids"]]
        longest = int(np.argmax(lengths)) if lengths else 0
        if lengths and lengths[longest] >= room:
            raise TrainingError(f"question {dataset[longest][self.id_column]!r} has {lengths[longest]} tokens, too "
                                f"long for windows of max_length {self.recipe.max_length} with doc_stride "
                                f"{self.recipe.doc_stride}; raise --max-length or lower doc_stride (--recipe-file)")


def check_answers(ids: Sequence[str], contexts: Sequence[str], answers: Sequence[Mapping]) -> None:
    """Every question has a unique id and at least one answer, each found at its ``answer_start``."""
    seen: set[str] = set()
    for question, context, answer in zip(ids, contexts, answers):
        if question in seen:
            raise TrainingError(f"question id {question!r} appears twice; SQuAD ids must be unique")
        seen.add(question)
        texts, starts = answer["text"], answer["answer_start"]
        if not texts or len(texts) != len(starts):
            raise TrainingError(f"question {question!r} needs at least one answer with one answer_start per text "
                                f"(unanswerable SQuAD v2 questions are not supported), got {dict(answer)}")
        for text, start in zip(texts, starts):
            if not text or context[start:start + len(text)] != text:
                raise TrainingError(f"question {question!r}: answer {text!r} is not at answer_start {start} of its "
                                    f"context (found {context[start:start + len(text)]!r})")


def answer_token_span(offsets: Sequence[Sequence[int]], sequence_ids: Sequence[int | None], start_char: int,
                      end_char: int) -> tuple[int, int] | None:
    """The first and last context token of the characters ``[start_char, end_char)``, or ``None``
    when the answer is not wholly inside this window's part of the context."""
    context = [i for i, s in enumerate(sequence_ids) if s == 1]
    if not context or offsets[context[0]][0] > start_char or offsets[context[-1]][1] < end_char:
        return None
    start = max(i for i in context if offsets[i][0] <= start_char)
    end = min(i for i in context if i >= start and offsets[i][1] >= end_char)
    return start, end


def best_answers(contexts: Mapping[str, str], example_ids: Sequence[str],
                 offsets: Sequence[Sequence[Sequence[int] | None]], start_logits: Sequence[np.ndarray],
                 end_logits: Sequence[np.ndarray], n_best: int, max_answer_length: int) -> dict[str, str]:
    """Per question id, the context text of its best-scoring span over all its windows.

    In each window, the ``n_best`` highest start and end logits are paired; a pair is a candidate
    when both tokens are context tokens (offsets not ``None``), the end is not before the start,
    and the span has at most ``max_answer_length`` tokens. The highest start + end logit wins;
    a question without any candidate gets the empty answer.
    """
    best: dict[str, tuple[float, str]] = {}
    for example_id, window_offsets, starts, ends in zip(example_ids, offsets, start_logits, end_logits):
        starts, ends = np.asarray(starts), np.asarray(ends)
        if len(starts) != len(window_offsets) or len(ends) != len(window_offsets):
            raise ValueError(f"window of {example_id!r}: {len(window_offsets)} offsets but {len(starts)} start and "
                             f"{len(ends)} end logits")
        top_starts = np.argsort(-starts, kind="stable")[:n_best]
        top_ends = np.argsort(-ends, kind="stable")[:n_best]
        for s in top_starts:
            if window_offsets[s] is None:
                continue
            for e in top_ends:
                if window_offsets[e] is None or e < s or e - s + 1 > max_answer_length:
                    continue
                score = float(starts[s] + ends[e])
                if example_id not in best or score > best[example_id][0]:
                    text = contexts[example_id][window_offsets[s][0]:window_offsets[e][1]]
                    best[example_id] = (score, text)
    return {question: best[question][1] if question in best else "" for question in contexts}
