"""hubkit: share the transfer-learning cycle (datasets, metrics, models, cards) on the Hugging Face Hub.

Importing :mod:`hubkit` must stay cheap and must not import ``huggingface_hub``, ``datasets``,
``evaluate`` or ``transformers``: those libraries read ``HF_ENDPOINT`` and ``HF_HUB_DISABLE_XET``
at import time, and :mod:`hubkit.hub_client` has to set them first.
"""

__version__ = "0.1.0"
