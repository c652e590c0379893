"""A split as Parquet on disk, and the results computed from it, cached by commit sha.

Everything lives under ``<data dir>/viewer/<repo key>/<commit sha>/<digest of config and
split>/``: the converted Parquet file (for CSV, JSON Lines and Arrow splits; a Parquet split is
read from its own blobs), ``split.json`` (where each row group starts, features, sizes) and
``statistics.json``. A commit sha names fixed content, so entries never go stale, and a new
commit, having a new sha, is computed afresh. Files are written to a temporary name and renamed,
so a crash or a concurrent request never sees half an entry.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import json
import os
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from hubkit.hub.cache import BoundedCache
from hubkit.hub.repos import Repo
from hubkit.hub.state import HubState
from hubkit.hub.viewer import convert
from hubkit.hub.viewer.discovery import file_format
from hubkit.hub.viewer.errors import unreadable

CONVERTED = "data.parquet"
META = "split.json"
_LOCKS = [threading.Lock() for _ in range(64)]  # striped: one computation per entry at a time
_SPLITS = BoundedCache(1024, 16 * 1024 * 1024)


@dataclasses.dataclass(frozen=True)
class SplitData:
    """One split's Parquet files and the index of their row groups (first row of each)."""

    directory: Path
    files: tuple[Path, ...]
    row_groups: tuple[tuple[int, int, int], ...]  # (file index, row group index, first row)
    num_rows: int
    features: dict
    file_format: str
    original_bytes: int
    parquet_bytes: tuple[int, ...]
    memory_bytes: int

    @property
    def columns(self) -> list[str]:
        return list(self.features)

    def feature_list(self) -> list[dict]:
        """The features as the viewer lists them: ``feature_idx``, ``name`` and ``type``."""
        return [{"feature_idx": i, "name": name, "type": kind} for i, (name, kind) in enumerate(self.features.items())]

    def locate(self, row: int) -> int:
        """The position in :attr:`row_groups` of the row group holding ``row``."""
        return bisect.bisect_right([first for _, _, first in self.row_groups], row) - 1


def entry_dir(hub: HubState, repo: Repo, sha: str, config: str, split: str) -> Path:
    digest = hashlib.sha256(json.dumps([config, split]).encode()).hexdigest()[:32]
    return hub.data_dir / "viewer" / str(repo.key) / sha / digest


def lock_for(directory: Path) -> threading.Lock:
    return _LOCKS[hash(str(directory)) % len(_LOCKS)]


def write_json(path: Path, value) -> None:
    partial = path.with_name(path.name + f".partial-{os.getpid()}-{threading.get_ident()}")
    partial.write_text(json.dumps(value))
    os.replace(partial, path)


def load_split(hub: HubState, repo: Repo, sha: str, config: str, split: str, paths: list[str]) -> SplitData:
    """The split made of the repo files ``paths`` at commit ``sha``, converted on first use."""
    directory = entry_dir(hub, repo, sha, config, split)
    cached = _SPLITS.get(str(directory))
    if cached is not None:
        return cached
    with lock_for(directory):
        meta_path = directory / META
        if not meta_path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            write_json(meta_path, _build(hub, repo, sha, paths, directory))
        meta = json.loads(meta_path.read_text())
    files = tuple(directory / name if name == CONVERTED else hub.blobs.path(name) for name in meta["files"])
    data = SplitData(directory, files, tuple(tuple(g) for g in meta["row_groups"]), meta["num_rows"],
                     meta["features"], meta["format"], meta["original_bytes"], tuple(meta["parquet_bytes"]),
                     meta["memory_bytes"])
    _SPLITS.put(str(directory), data, len(meta_path.read_bytes()) * 2)
    return data


def _build(hub: HubState, repo: Repo, sha: str, paths: list[str], directory: Path) -> dict:
    tree = hub.repos.tree(repo, sha)
    entries = [(path, tree[path]) for path in paths]
    for path, entry in entries:
        if not hub.blobs.has(entry.sha256):
            raise unreadable(f"The content of {path} is no longer stored on this hub.")
    kind = file_format(paths[0])
    if kind == "parquet":
        names = [entry.sha256 for _, entry in entries]
        files = [hub.blobs.path(name) for name in names]
    else:
        convert.to_parquet([(path, hub.blobs.path(entry.sha256)) for path, entry in entries], kind, directory / CONVERTED)
        names, files = [CONVERTED], [directory / CONVERTED]
    row_groups, first, memory, schema = [], 0, 0, None
    for index, (file, path) in enumerate(zip(files, paths if kind == "parquet" else paths[:1])):
        try:
            metadata = pq.ParquetFile(file).metadata
            if schema is None:
                schema = pq.read_schema(file)
        except (pa.ArrowInvalid, OSError) as error:
            raise unreadable(f"Cannot read {path} as Parquet: {convert._first_line(error)}") from None
        for group in range(metadata.num_row_groups):
            row_groups.append([index, group, first])
            first += metadata.row_group(group).num_rows
            memory += metadata.row_group(group).total_byte_size
    return {"files": names, "row_groups": row_groups, "num_rows": first, "format": kind,
            "features": _features(schema), "original_bytes": sum(entry.size for _, entry in entries),
            "parquet_bytes": [os.path.getsize(file) for file in files], "memory_bytes": memory}


def _features(schema: pa.Schema) -> dict:
    """The ``datasets`` features: from the schema's ``huggingface`` metadata (class label names
    included) when the file was written by ``datasets``, else inferred from the Arrow types."""
    try:
        return Features.from_arrow_schema(schema).to_dict()
    except (ValueError, TypeError, KeyError, NotImplementedError):
        return Features.from_arrow_schema(schema.remove_metadata()).to_dict()


def cached_json(directory: Path, name: str, compute):
    """``compute()`` once per entry, kept in ``directory/name``."""
    path = directory / name
    if path.exists():
        return json.loads(path.read_text())
    with lock_for(directory):
        if not path.exists():
            write_json(path, compute())
    return json.loads(path.read_text())
