"""The second way to classify a pair of texts: one shared encoder applied to each text.

A cross-encoder reads ``[CLS] a [SEP] b [SEP]`` and lets every token of ``a`` attend to ``b``;
a bi-encoder encodes ``a`` and ``b`` separately (the same weights, "duplicated"), mean-pools each
into ``u`` and ``v`` and classifies ``(u, v, |u - v|)`` (Sentence-BERT's classification
objective). It is weaker on pair tasks but its text vectors can be cached and searched.

During training the model is a ``PreTrainedModel``, so the Trainer checkpoints and resumes it like
any other. The finished model is saved the way its users load it (issue 14: plain transformers
cannot load a custom model type): a sentence-transformers model (the encoder plus mean pooling,
``SentenceTransformer(folder_or_repo)`` gives the vectors ``u`` and ``v``) and, in files of their
own, the linear head over ``(u, v, |u - v|)`` (``pair_classifier.safetensors``) and its labels
(``pair_classifier.json``). hubkit reads that layout back with :func:`load_bi_encoder`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

HEAD_WEIGHTS = "pair_classifier.safetensors"
HEAD_CONFIG = "pair_classifier.json"
POOLING_DIR = "1_Pooling"


class BiEncoderConfig(PretrainedConfig):
    model_type = "hubkit-bi-encoder"

    def __init__(self, encoder: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder or {}


class BiEncoderForPairClassification(PreTrainedModel):
    config_class = BiEncoderConfig
    base_model_prefix = "encoder"

    def __init__(self, config: BiEncoderConfig, encoder: PreTrainedModel | None = None):
        super().__init__(config)
        if encoder is None:
            encoder_config = AutoConfig.for_model(**config.encoder)
            encoder = AutoModel.from_config(encoder_config)
        self.encoder = encoder
        hidden = self.encoder.config.hidden_size
        self.classifier = nn.Linear(3 * hidden, config.num_labels)
        self.post_init()

    @classmethod
    def from_encoder(cls, encoder_path: str, id2label: dict[int, str], **load_kwargs) -> "BiEncoderForPairClassification":
        encoder = AutoModel.from_pretrained(encoder_path, **load_kwargs)
        model = cls(_config(encoder, id2label), encoder=encoder)
        nn.init.normal_(model.classifier.weight, std=encoder.config.initializer_range)
        nn.init.zeros_(model.classifier.bias)
        return model

    def _init_weights(self, module: nn.Module) -> None:
        if module is getattr(self, "classifier", None):
            nn.init.normal_(module.weight, std=0.02)
            nn.init.zeros_(module.bias)

    def _pool(self, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    def forward(self, input_ids=None, attention_mask=None, input_ids_b=None, attention_mask_b=None, labels=None,
                **_unused) -> SequenceClassifierOutput:
        u = self._pool(input_ids, attention_mask)
        v = self._pool(input_ids_b, attention_mask_b)
        logits = self.classifier(torch.cat([u, v, (u - v).abs()], dim=-1))
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


AutoConfig.register(BiEncoderConfig.model_type, BiEncoderConfig, exist_ok=True)


def _config(encoder: PreTrainedModel, id2label: dict[int, str]) -> BiEncoderConfig:
    return BiEncoderConfig(encoder=encoder.config.to_dict(), id2label=id2label,
                           label2id={v: k for k, v in id2label.items()})


def save_sentence_transformer(model: BiEncoderForPairClassification, tokenizer, folder: Path,
                              max_seq_length: int) -> None:
    """Write ``model`` as a sentence-transformers folder plus its head files (see the module doc).

    The files are those sentence-transformers has read since version 2 (modules.json, one folder
    per module), written here so that training does not need the library; the pooling is the
    plain attention-masked mean that :meth:`BiEncoderForPairClassification._pool` computes, with
    no normalisation, so the vectors are exactly the ones the head was trained on.
    """
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    hidden = model.encoder.config.hidden_size
    positions = getattr(model.encoder.config, "max_position_embeddings", None) or max_seq_length
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": POOLING_DIR, "type": "sentence_transformers.models.Pooling"}])
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": min(max_seq_length, positions),
                                                       "do_lower_case": False})
    _write_json(folder / POOLING_DIR / "config.json", {
        "word_embedding_dimension": hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False})
    _write_json(folder / "config_sentence_transformers.json", {
        "model_type": "SentenceTransformer", "prompts": {}, "default_prompt_name": None,
        "__version__": {"transformers": _version("transformers"), "pytorch": torch.__version__}})
    head = model.classifier
    save_file({"weight": head.weight.detach().cpu().contiguous(), "bias": head.bias.detach().cpu().contiguous()},
              str(folder / HEAD_WEIGHTS))
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    _write_json(folder / HEAD_CONFIG, {
        "labels": labels, "in_features": 3 * hidden, "features": ["u", "v", "|u - v|"],
        "description": "logits = concat(u, v, |u - v|) @ weight.T + bias, where u and v are the "
                       "SentenceTransformer embeddings of the two texts; the label is labels[argmax]"})


def load_bi_encoder(path: str, **load_kwargs: Any) -> BiEncoderForPairClassification | None:
    """A bi-encoder saved by :func:`save_sentence_transformer` (a folder or a hub repo); None when
    ``path`` has no head file (a plain encoder, or a model in hubkit's earlier format)."""
    from safetensors.torch import load_file
    from transformers.utils import cached_file

    options = {"_raise_exceptions_for_missing_entries": False, **load_kwargs}
    head_config = cached_file(path, HEAD_CONFIG, **options)
    if head_config is None:
        return None
    head_weights = cached_file(path, HEAD_WEIGHTS, **load_kwargs)
    labels = json.loads(Path(head_config).read_text(encoding="utf-8"))["labels"]
    encoder = AutoModel.from_pretrained(path, **load_kwargs)
    model = BiEncoderForPairClassification(_config(encoder, dict(enumerate(labels))), encoder=encoder)
    model.classifier.load_state_dict(load_file(head_weights))
    return model


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


def _version(package: str) -> str:
    import importlib.metadata as md

    try:
        return md.version(package)
    except md.PackageNotFoundError:
        return "unknown"
