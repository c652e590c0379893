"""Perplexity from per-token losses (negative log-likelihoods), with no model to download."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """
Perplexity is exp(mean negative log-likelihood per token). Rather than running a model (and
downloading one), this metric takes the per-token losses your model already produced, e.g.
`torch.nn.functional.cross_entropy(logits, labels, reduction="none")` for each sequence.
- perplexity: corpus perplexity, exp(total loss / total tokens), each token weighted equally;
- mean_perplexity: the mean of the per-sequence perplexities (what evaluate's perplexity reports);
- perplexities: one value per sequence.
Losses are in nats by default (natural log); pass `base=2` for losses in bits.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `list` of `float`): per-token losses (-log p of the true token), one
        list per sequence; each sequence needs at least one token; losses must be finite and >= 0.
    base (`float`, default e): the base of the logarithm the losses were computed with.

Returns:
    perplexity (`float`): corpus perplexity, in [1, inf).
    mean_perplexity (`float`): mean of per-sequence perplexities, in [1, inf).
    perplexities (`list` of `float`): per-sequence perplexities.

Examples:
    >>> perplexity = evaluate.load("metrics/perplexity")
    >>> result = perplexity.compute(predictions=[[0.0, 0.0], [1.0]])
    >>> round(result["perplexity"], 4), round(result["mean_perplexity"], 4)
    (1.3956, 1.8591)
"""

_CITATION = """
@article{jelinek1977perplexity,
  title={Perplexity -- a measure of the difficulty of speech recognition tasks},
  author={Jelinek, Fred and Mercer, Robert L. and Bahl, Lalit R. and Baker, James K.},
  journal={The Journal of the Acoustical Society of America}, volume={62}, number={S1}, pages={S63}, year={1977}
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Perplexity(evaluate.Metric):
    """Perplexity from summed losses and token counts, so that it can be bootstrapped over sequences."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Sequence(datasets.Value("float64"))}),
            reference_urls=["https://huggingface.co/docs/transformers/perplexity"])

    def decompose(self, predictions: Sequence[Sequence[float]], base: float = np.e
                  ) -> tuple[np.ndarray, Callable, dict[str, Any]]:
        """One row per sequence: [loss in nats, tokens, sequence perplexity, 1]."""
        if len(predictions) == 0:
            raise ValueError("predictions are empty; perplexity over no sequences is undefined")
        if not base > 0 or base == 1:
            raise ValueError(f"base must be positive and not 1, got {base}")
        rows = np.zeros((len(predictions), 4))
        for index, losses in enumerate(predictions):
            losses = np.asarray(losses, dtype=float)
            if losses.ndim != 1 or len(losses) == 0:
                raise ValueError(f"sequence {index} has no token losses; give a non-empty list per sequence")
            if not np.all(np.isfinite(losses)) or np.any(losses < 0):
                raise ValueError(f"sequence {index} has a loss that is negative, NaN or infinite; "
                                 "losses are -log p and must be finite and >= 0")
            nats = losses.sum() * np.log(base)
            rows[index] = nats, len(losses), np.exp(nats / len(losses)), 1.0

        def scores(totals: np.ndarray) -> dict[str, np.ndarray]:
            return {"perplexity": np.exp(totals[..., 0] / totals[..., 1]),
                    "mean_perplexity": totals[..., 2] / totals[..., 3]}

        return rows, scores, {"perplexities": rows[:, 2].tolist()}

    def _compute(self, predictions, base=np.e):
        rows, scores, extras = self.decompose(predictions, base)
        return {**{key: float(value) for key, value in scores(rows.sum(0)).items()}, **extras}
