"""Sequence classification of single texts and of text pairs.

Pairs are handled the two ways transfer learning knows: concatenation into one input for a
cross-encoder (the default, what BERT was pre-trained for with next-sentence prediction), or the
bi-encoder of :mod:`hubkit.train.bi_encoder` (``--pair-mode bi-encoder``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hubkit.train.errors import TrainingError
from hubkit.train.task import TaskAdapter, class_label_names, register, short_rows


@register
class ClassificationTask(TaskAdapter):
    family = "text-classification"
    pipeline_tag = "text-classification"
    primary_metric = "accuracy"
    selection_metric = "accuracy"
    greater_is_better = True

    def __init__(self, spec, features, recipe):
        super().__init__(spec, features, recipe)
        self.text_column = spec.columns["text"]
        self.pair_column = spec.columns.get("text_pair")
        self.label_column = spec.columns["label"]
        self.label_names = class_label_names(features, self.label_column)
        self.pair_mode = recipe.pair_mode if self.pair_column else "single"
        if self.pair_mode not in ("single", "cross-encoder", "bi-encoder"):
            raise TrainingError(f"--pair-mode must be cross-encoder or bi-encoder, got {recipe.pair_mode!r}")

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.label_names))

    def ddp_unused_parameters(self) -> bool:
        """The bi-encoder mean-pools the encoder's hidden states, so the encoder's own pooler (BERT's
        ``pooler.dense``) never gets a gradient and DDP must look for it; a cross-encoder or single
        text classifier uses every parameter."""
        return self.pair_mode == "bi-encoder"

    def load_model(self, path: str, **load_kwargs: Any):
        if self.pair_mode == "bi-encoder":
            from hubkit.train.bi_encoder import BiEncoderConfig, BiEncoderForPairClassification, load_bi_encoder
            from transformers import AutoConfig

            model = load_bi_encoder(path, **load_kwargs)
            if model is None and isinstance(AutoConfig.from_pretrained(path, **load_kwargs), BiEncoderConfig):
                model = BiEncoderForPairClassification.from_pretrained(path, **load_kwargs)  # hubkit's earlier format
            if model is not None:
                self.check_head(model.config, path)
                return model
            return BiEncoderForPairClassification.from_encoder(path, self.id2label, **load_kwargs)
        from transformers import AutoConfig, AutoModelForSequenceClassification

        config = AutoConfig.from_pretrained(path, **load_kwargs)
        self.check_head(config, path)
        return AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=len(self.label_names), id2label=self.id2label,
            label2id={n: i for i, n in self.id2label.items()}, **load_kwargs)

    def save_model(self, trainer, output_dir: Path) -> None:
        """A bi-encoder is saved as a sentence-transformers model plus its head (see bi_encoder)."""
        if self.pair_mode != "bi-encoder":
            return super().save_model(trainer, output_dir)
        from hubkit.train.bi_encoder import save_sentence_transformer

        save_sentence_transformer(trainer.model, trainer.processing_class, output_dir, self.recipe.max_length)

    def tokenize(self, tokenizer, dataset, training: bool):
        max_length = self.recipe.max_length
        text, pair, label = self.text_column, self.pair_column, self.label_column

        def encode(batch: dict[str, list]) -> dict[str, list]:
            if self.pair_mode == "bi-encoder":
                a = tokenizer(batch[text], truncation=True, max_length=max_length)
                b = tokenizer(batch[pair], truncation=True, max_length=max_length)
                out = {"input_ids": a["input_ids"], "attention_mask": a["attention_mask"],
                       "input_ids_b": b["input_ids"], "attention_mask_b": b["attention_mask"]}
                out["length"] = [len(x) + len(y) for x, y in zip(a["input_ids"], b["input_ids"])]
            else:
                args = (batch[text], batch[pair]) if pair else (batch[text],)
                out = dict(tokenizer(*args, truncation=True, max_length=max_length))
                out["length"] = [len(ids) for ids in out["input_ids"]]
            out["labels"] = batch[label]
            return out

        return dataset.map(encode, batched=True, remove_columns=dataset.column_names,
                           desc=f"tokenize {dataset.split or ''}".strip())

    def collator(self, tokenizer):
        if self.pair_mode == "bi-encoder":
            return PairCollator(tokenizer)
        from transformers import DataCollatorWithPadding

        return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=None)

    def compute_metrics(self, eval_pred) -> dict[str, float]:
        logits, labels = eval_pred
        predictions = np.asarray(logits).argmax(-1)
        return {"accuracy": float((predictions == np.asarray(labels)).mean())}

    def predict(self, trainer, raw, tokenized) -> dict[str, Any]:
        from hubkit.train.inference import predict_outputs, stack

        outputs = predict_outputs(trainer.model, tokenized, self.collator(trainer.processing_class),
                                  trainer.args.per_device_eval_batch_size)
        predicted = stack(outputs, "logits").argmax(-1).tolist()
        return {"predictions": predicted, "references": list(raw[self.label_column]),
                "prediction_labels": [self.label_names[i] for i in predicted]}

    def usage_examples(self, raw, predictions: dict[str, Any], tokenizer) -> dict[str, Any] | None:
        head = raw.select(range(min(len(raw), 50)))
        texts = list(head[self.text_column])
        pairs = list(head[self.pair_column]) if self.pair_column else [""] * len(texts)
        rows = short_rows([len(a) + len(b) for a, b in zip(texts, pairs)], 3, 240)
        inputs = [{"text": texts[i], "text_pair": pairs[i]} if self.pair_column else texts[i] for i in rows]
        return {"rows": rows, "inputs": inputs, "outputs": [predictions["prediction_labels"][i] for i in rows],
                "max_length": self.recipe.max_length}

    def score(self, predictions: dict[str, Any], n_resamples: int, seed: int) -> dict[str, Any]:
        from hubkit import metrics

        preds, refs = predictions["predictions"], predictions["references"]
        labels = list(range(len(self.label_names)))
        scores: dict[str, Any] = {}
        accuracy = metrics.compute("accuracy", preds, refs, ci=True, n_resamples=n_resamples, seed=seed)
        scores["accuracy"] = accuracy["accuracy"]
        intervals = {"accuracy": accuracy["confidence_intervals"]["accuracy"]}
        average = "binary" if len(labels) == 2 else "macro"
        f1 = metrics.compute("f1", preds, refs, ci=True, n_resamples=n_resamples, seed=seed, average=average,
                             labels=labels)
        scores[f"f1_{average}" if average != "binary" else "f1"] = f1["f1"]
        intervals[f"f1_{average}" if average != "binary" else "f1"] = f1["confidence_intervals"]["f1"]
        per_class = metrics.compute("f1", preds, refs, average=None, labels=labels)["f1"]
        scores["f1_per_class"] = dict(zip(self.label_names, np.asarray(per_class).tolist()))
        scores["matthews_correlation"] = metrics.compute("matthews_correlation", preds, refs)["matthews_correlation"]
        scores["confidence_intervals"] = intervals
        return scores


class PairCollator:
    """Pads both sides of a bi-encoder batch, each to its own longest text."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def __call__(self, features: list[dict]) -> dict:
        import torch

        a = self.tokenizer.pad([{"input_ids": f["input_ids"], "attention_mask": f["attention_mask"]} for f in features],
                               return_tensors="pt")
        b = self.tokenizer.pad([{"input_ids": f["input_ids_b"], "attention_mask": f["attention_mask_b"]}
                                for f in features], return_tensors="pt")
        return {"input_ids": a["input_ids"], "attention_mask": a["attention_mask"], "input_ids_b": b["input_ids"],
                "attention_mask_b": b["attention_mask"], "labels": torch.tensor([f["labels"] for f in features])}
