"""The second way to classify a pair of texts: one shared encoder applied to each text.

A cross-encoder reads ``[CLS] a [SEP] b [SEP]`` and lets every token of ``a`` attend to ``b``;
a bi-encoder encodes ``a`` and ``b`` separately (the same weights, "duplicated"), mean-pools each
into ``u`` and ``v`` and classifies ``(u, v, |u - v|)`` (Sentence-BERT's classification
objective). It is weaker on pair tasks but its text vectors can be cached and searched.

The model is a ``PreTrainedModel``, so it saves and loads with ``save_pretrained`` /
``from_pretrained`` like any other; its config records the encoder's config.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput


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
        config = BiEncoderConfig(encoder=encoder.config.to_dict(), id2label=id2label,
                                 label2id={v: k for k, v in id2label.items()})
        model = cls(config, encoder=encoder)
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
