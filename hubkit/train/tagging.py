"""Token classification (named entities, chunks, POS): one tag per word.

A word often splits into several sub-tokens. The model is trained on the FIRST sub-token of each
word only; the others get the label -100, which the loss ignores, so every word counts once
whatever its length, and predictions are read back from the same first sub-tokens, one tag per
word, in the dataset's own tag names (the unit seqeval and conlleval score). Words cut off by
``max_length`` get the "outside" tag: a tagger that never saw them predicts no entity there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hubkit.train.collators import KeepKeys
from hubkit.train.errors import TrainingError
from hubkit.train.task import TaskAdapter, class_label_names, register, short_rows

IGNORE = -100  # the label cross-entropy skips (PyTorch's default ignore_index)
NO_WORD = -1  # word index of special tokens ([CLS], [SEP]) in the stored word_ids


@register
class TaggingTask(TaskAdapter):
    family = "token-classification"
    pipeline_tag = "token-classification"
    primary_metric = "overall_f1"
    selection_metric = "overall_f1"
    greater_is_better = True

    def __init__(self, spec, features, recipe):
        super().__init__(spec, features, recipe)
        # Not called ``label_column``: fine_tune reads that name as a single-label column.
        self.tokens_column = spec.columns["tokens"]
        self.tags_column = spec.columns["tags"]
        tags = features[self.tags_column]
        if not hasattr(tags, "feature"):
            raise TrainingError(f"column {self.tags_column!r} must be a sequence of ClassLabel (one tag per word), "
                                f"got {tags}")
        self.label_names = class_label_names(features, self.tags_column)
        self.outside_tag = "O" if "O" in self.label_names else self.label_names[0]

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.label_names))

    def load_model(self, path: str, **load_kwargs: Any):
        from transformers import AutoConfig, AutoModelForTokenClassification

        self.check_head(AutoConfig.from_pretrained(path, **load_kwargs), path)
        return AutoModelForTokenClassification.from_pretrained(
            path, num_labels=len(self.label_names), id2label=self.id2label,
            label2id={n: i for i, n in self.id2label.items()}, **load_kwargs)

    def tokenize(self, tokenizer, dataset, training: bool):
        if not getattr(tokenizer, "is_fast", False):
            raise TrainingError(f"token classification needs a fast tokenizer (it maps sub-tokens to words); "
                                f"{type(tokenizer).__name__} is not one")
        tokens, tags, max_length = self.tokens_column, self.tags_column, self.recipe.max_length

        def encode(batch: dict[str, list]) -> dict[str, list]:
            encoded = tokenizer(batch[tokens], is_split_into_words=True, truncation=True, max_length=max_length)
            out = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
            if "token_type_ids" in encoded:
                out["token_type_ids"] = encoded["token_type_ids"]
            out["labels"], word_id_rows = [], []
            for row, word_tags in enumerate(batch[tags]):
                word_ids = [NO_WORD if w is None else w for w in encoded.word_ids(row)]
                out["labels"].append(first_subtoken_labels(word_ids, word_tags))
                word_id_rows.append(word_ids)
            if not training:  # kept to map token predictions back to words
                out["word_ids"] = word_id_rows
            out["length"] = [len(ids) for ids in out["input_ids"]]
            return out

        return dataset.map(encode, batched=True, remove_columns=dataset.column_names,
                           desc=f"tokenize {dataset.split or ''}".strip())

    def collator(self, tokenizer):
        from transformers import DataCollatorForTokenClassification

        return KeepKeys(DataCollatorForTokenClassification(tokenizer, label_pad_token_id=IGNORE),
                        (*tokenizer.model_input_names, "labels"))

    def compute_metrics(self, eval_pred) -> dict[str, float]:
        """Entity F1 on the labelled (first) sub-tokens, for checkpoint selection during training."""
        from hubkit import metrics

        logits, labels = eval_pred
        predicted = np.asarray(logits).argmax(-1)
        labels = np.asarray(labels)
        preds, refs = [], []
        for row_pred, row_labels in zip(predicted, labels):
            keep = row_labels != IGNORE
            preds.append([self.label_names[i] for i in row_pred[keep]])
            refs.append([self.label_names[i] for i in row_labels[keep]])
        scores = metrics.compute("seqeval", preds, refs)
        return {"overall_f1": scores["overall_f1"], "overall_precision": scores["overall_precision"],
                "overall_recall": scores["overall_recall"]}

    def predict(self, trainer, raw, tokenized) -> dict[str, Any]:
        from hubkit.train.inference import predict_outputs

        outputs = predict_outputs(trainer.model, tokenized, self.collator(trainer.processing_class),
                                  trainer.args.per_device_eval_batch_size, token_level=True)
        predictions = []
        for output, word_ids, words in zip(outputs, tokenized["word_ids"], raw[self.tokens_column]):
            ids = word_tag_ids(output["logits"].argmax(-1), word_ids, len(words))
            predictions.append([self.outside_tag if i is None else self.label_names[i] for i in ids])
        references = [[self.label_names[i] for i in row] for row in raw[self.tags_column]]
        return {"predictions": predictions, "references": references, "tokens": list(raw[self.tokens_column])}

    def usage_examples(self, raw, predictions: dict[str, Any], tokenizer) -> dict[str, Any] | None:
        words = list(raw.select(range(min(len(raw), 50)))[self.tokens_column])
        rows = short_rows([len(" ".join(w)) if w else 10 ** 6 for w in words], 2, 120)
        return {"rows": rows, "inputs": [list(words[i]) for i in rows], "outputs": [predictions["predictions"][i] for i in rows],
                "max_length": self.recipe.max_length}

    def score(self, predictions: dict[str, Any], n_resamples: int, seed: int) -> dict[str, Any]:
        from hubkit import metrics

        result = metrics.compute("seqeval", predictions["predictions"], predictions["references"], ci=True,
                                 n_resamples=n_resamples, seed=seed)
        overall = ("overall_precision", "overall_recall", "overall_f1", "overall_accuracy")
        scores: dict[str, Any] = {key: result[key] for key in overall}
        scores["f1_per_type"] = {name: value["f1"] for name, value in result.items() if isinstance(value, dict)
                                 and "f1" in value and name not in ("confidence_intervals", "bootstrap")}
        scores["confidence_intervals"] = {key: result["confidence_intervals"][key] for key in overall
                                          if key in result["confidence_intervals"]}
        return scores


def first_subtoken_labels(word_ids: list[int], word_tags: list[int]) -> list[int]:
    """The word's tag on its first sub-token; -100 on the other sub-tokens and on special tokens."""
    labels, previous = [], NO_WORD
    for word in word_ids:
        labels.append(IGNORE if word == NO_WORD or word == previous else int(word_tags[word]))
        previous = word
    return labels


def word_tag_ids(token_tags, word_ids: list[int], n_words: int) -> list[int | None]:
    """Per word, the tag predicted on its first sub-token (``None`` for a word without any token)."""
    tags: list[int | None] = [None] * n_words
    previous = NO_WORD
    for tag, word in zip(token_tags, word_ids):
        if word != NO_WORD and word != previous:
            tags[word] = int(tag)
        previous = word
    return tags

