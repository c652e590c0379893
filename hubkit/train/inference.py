"""Deterministic batched inference: batches of similar length for speed, outputs in input order.

The Trainer's own ``predict`` returns rows in its sampler's order, which is length-grouped when
training is; hubkit scores predictions against references example by example, so it runs its own
loop: sort by length, pad per batch, run under ``no_grad`` in eval mode, put every output back in
the position of its example, and trim token-level outputs to the example's real length.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def predict_outputs(model, features, collator, batch_size: int, output_keys: tuple[str, ...] = ("logits",),
                    token_level: bool = False, length_column: str = "length") -> list[dict[str, np.ndarray]]:
    """Per example (in input order), the requested model outputs as float32 numpy arrays.

    With ``token_level``, outputs have one entry per token and are trimmed to the example's length.
    """
    import torch

    lengths = features[length_column] if length_column in features.column_names else [
        len(ids) for ids in features["input_ids"]]
    order = np.argsort(-np.asarray(lengths), kind="stable")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    results: list[dict[str, np.ndarray] | None] = [None] * len(order)
    try:
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                indices = order[start:start + batch_size].tolist()
                rows = [{k: v for k, v in features[i].items() if k != length_column} for i in indices]
                token_lengths = [len(r["input_ids"]) for r in rows]
                batch = collator(rows)
                batch = {k: v.to(device) for k, v in batch.items() if k != "labels" and hasattr(v, "to")}
                outputs = model(**batch)
                for key in output_keys:
                    values = getattr(outputs, key) if hasattr(outputs, key) else outputs[key]
                    values = values.float().cpu().numpy()
                    for row, (index, length) in enumerate(zip(indices, token_lengths)):
                        value = values[row]
                        if token_level:
                            value = value[:length]
                        results[index] = {**(results[index] or {}), key: value}
    finally:
        model.train(was_training)
    return results  # type: ignore[return-value]


def stack(outputs: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.stack([o[key] for o in outputs])
