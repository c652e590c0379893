"""What every task family provides to the shared training loop (:mod:`hubkit.train.runner`), and the
registry the families add themselves to.

A task adapter turns a builder's dataset (with its declared task columns) into model inputs,
builds the right model head, and turns model outputs back into predictions in the dataset's own
terms (labels, word tags, answer spans, perplexity) to score them with hubkit's metrics.

A family module decorates its adapter with :func:`register`; this module imports none of them, so
the arrows point one way (family -> task). :mod:`hubkit.train.families` loads the families hubkit
ships and those other packages declare, and looks one up for a dataset.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from hubkit.train.errors import TrainingError


def class_label_names(features, column: str) -> list[str]:
    """The names of a ``ClassLabel`` column (or of a sequence of them)."""
    feature = features[column]
    inner = getattr(feature, "feature", feature)
    names = getattr(inner, "names", None)
    if not names:
        raise TrainingError(f"column {column!r} must be a ClassLabel with label names, got {feature}")
    return list(names)


class TaskAdapter:
    family: ClassVar[str]
    pipeline_tag: ClassVar[str]
    primary_metric: ClassVar[str]
    greater_is_better: ClassVar[bool]
    # The metric the Trainer selects checkpoints on (computed by compute_metrics, or the loss).
    selection_metric: ClassVar[str | None] = None
    label_names: list[str] = []

    def __init__(self, spec, features, recipe):
        self.spec = spec
        self.features = features
        self.recipe = recipe

    def ddp_unused_parameters(self) -> bool:
        """Whether the model leaves some parameters without a gradient in a training step.

        DDP must then search the autograd graph for them after every forward pass
        (``find_unused_parameters``), which costs time on every step, so it is on only for the
        models that need it: without it, DDP raises on the first step of such a model.
        ``bench/ddp_unused_params.py`` measures the cost for each family.
        """
        return False

    def check_head(self, config, path: str) -> None:
        """Refuse a checkpoint fine-tuned for other labels: its head would be silently re-initialised."""
        labels = getattr(config, "id2label", None) or {}
        names = [labels[k] for k in sorted(labels, key=int)]
        default = all(str(n).startswith("LABEL_") for n in names)
        if names and not default and self.label_names and names != list(self.label_names):
            raise TrainingError(f"model {path} has a head for labels {names}, but the dataset's labels are "
                                f"{list(self.label_names)}; start from a base model, not a fine-tuned one")

    def load_model(self, path: str, **load_kwargs: Any):
        raise NotImplementedError

    def save_model(self, trainer, output_dir) -> None:
        """Save the trained model where users load it from (the tokenizer is saved beside it)."""
        trainer.save_model(str(output_dir))

    def tokenize(self, tokenizer, dataset, training: bool):
        raise NotImplementedError

    def collator(self, tokenizer):
        raise NotImplementedError

    def compute_metrics(self, eval_pred) -> dict[str, float]:
        return {}

    def predict(self, trainer, raw, tokenized) -> dict[str, Any]:
        raise NotImplementedError

    def score(self, predictions: dict[str, Any], n_resamples: int, seed: int) -> dict[str, Any]:
        raise NotImplementedError

    def usage_examples(self, raw, predictions: dict[str, Any], tokenizer) -> dict[str, Any] | None:
        """A few inputs of an evaluated split for the card's usage snippet, with what the model
        predicted for them (``{"inputs": [...], "outputs": [...]}``); the snippet must print exactly
        those outputs. None when the family has no snippet."""
        return None


def short_rows(lengths: list[int], n: int, limit: int) -> list[int]:
    """The first ``n`` row indices whose length is at most ``limit`` (else the ``n`` shortest of the
    first rows): card examples should be real and readable."""
    fitting = [i for i, length in enumerate(lengths) if length <= limit][:n]
    return fitting or sorted(range(len(lengths)), key=lambda i: (lengths[i], i))[:n]


_REGISTRY: dict[str, type[TaskAdapter]] = {}
AdapterClass = TypeVar("AdapterClass", bound=type[TaskAdapter])


def register(adapter: AdapterClass) -> AdapterClass:
    """Class decorator: make ``adapter`` the one adapter of its ``family``.

    A second adapter for the same family is an error naming both, not a silent replacement.
    """
    family = adapter.__dict__.get("family")
    if not isinstance(family, str) or not family:
        raise TypeError(f"{adapter.__qualname__} must set the class attribute 'family' to register")
    current = _REGISTRY.get(family)
    if current is not None and current is not adapter:
        raise TrainingError(f"task family {family!r} is registered twice: {current.__module__}.{current.__qualname__} "
                            f"and {adapter.__module__}.{adapter.__qualname__}")
    _REGISTRY[family] = adapter
    return adapter


def registered() -> dict[str, type[TaskAdapter]]:
    """The adapters registered so far, by family (a copy)."""
    return dict(_REGISTRY)
