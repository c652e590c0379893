"""Running a builder into a ``DatasetDict``, and saving it without leaving half a folder behind.

The builder runs through ``datasets``' public ``download_and_prepare``/``as_dataset``
(:mod:`hubkit.datasets.generate`) in a scratch folder that is deleted afterwards, so no cache path
reaches the result. hubkit adds what ``datasets`` does not know: the sha256 of every source file
(the card and ``hubkit_build.json`` record them) and a fingerprint derived from those checksums.
``save`` writes ``save_to_disk`` output into a folder beside the target and renames it at the end,
so a failed run leaves nothing behind.

The known flaws the builder read past (:mod:`hubkit.datasets.anomalies`) travel with the result and
into ``hubkit_build.json``, so ``validate`` and the card read one list, also for a saved folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import datasets

from hubkit.datasets import registry
from hubkit.datasets.anomalies import Anomaly
from hubkit.datasets.builder import HubkitBuilder, downloaded_sources, watch_splits
from hubkit.datasets.errors import DatasetError, OutputExistsError
from hubkit.datasets.generate import generate, quiet
from hubkit.datasets.sources import sha256_file
from hubkit.datasets.spec import CardInfo, TaskSpec

BUILD_FILE = "hubkit_build.json"


@dataclasses.dataclass(frozen=True)
class SourceRecord:
    """One file (or downloaded URL) the data was built from, with its sha256."""

    location: str
    sha256: str


@dataclasses.dataclass
class Prepared:
    """A built dataset and what its card and push need to know about how it was built."""

    name: str
    config_name: str
    config_names: list[str]
    default_config: str
    version: str
    dataset: datasets.DatasetDict
    card: CardInfo
    task: TaskSpec
    sources: list[SourceRecord]
    options: dict[str, Any] = dataclasses.field(default_factory=dict)  # the builder options it was built with
    anomalies: list[Anomaly] = dataclasses.field(default_factory=list)  # known flaws read past, in file order

    @property
    def split_sizes(self) -> dict[str, int]:
        return {split: len(table) for split, table in self.dataset.items()}

    @property
    def features(self) -> datasets.Features:
        return next(iter(self.dataset.values())).features


def prepare(name: str, config: str | None = None, data_dir: str | Path | None = None,
            options: Mapping[str, Any] | None = None, strict: bool = False) -> Prepared:
    """Build dataset ``name`` from its original files (under ``data_dir``, else downloaded).

    Known flaws of real files are recorded in the result's ``anomalies``; ``strict`` refuses the
    first one instead, as a :class:`~hubkit.datasets.errors.SourceFileError` naming its line.
    """
    builder_class = registry.get(name).load()
    with tempfile.TemporaryDirectory(prefix="hubkit-builder-") as scratch, \
            ThreadPoolExecutor(max_workers=1) as hasher:
        builder = _instantiate(builder_class, name, config, data_dir, scratch, options or {})
        builder.anomaly_log.strict = strict
        dl_manager = datasets.DownloadManager(dataset_name=name, data_dir=builder.config.data_dir,
                                              download_config=datasets.DownloadConfig())
        # Source files are hashed on a second thread while datasets parses them (hashlib releases
        # the GIL), so provenance costs next to nothing.
        digests: dict[Path, Future[str]] = {}
        watch_splits(builder, lambda generators: digests.update(
            (path, hasher.submit(_digest, path)) for path in _source_paths(generators) if path not in digests))
        built = generate(name, builder, dl_manager, scratch)
        sources = [SourceRecord(_display_path(path, builder.data_dir), digest.result())
                   for path, digest in sorted(digests.items())]
    sources += [SourceRecord(url, sha) for url, sha in downloaded_sources(builder)]
    if not built:
        raise DatasetError(f"{name}: the builder produced no splits")
    splits = {split: datasets.Dataset(
                  dataset.data, info=dataset.info, split=dataset.split,
                  fingerprint=_fingerprint(name, builder.config.name, str(builder.config.version), split, sources))
              for split, dataset in built.items()}
    config_names = [config.name for config in builder_class.BUILDER_CONFIGS] or [builder.config.name]
    return Prepared(
        name=name, config_name=builder.config.name, config_names=config_names,
        default_config=builder_class.DEFAULT_CONFIG_NAME or config_names[0],
        version=str(builder.config.version or builder_class.VERSION), dataset=datasets.DatasetDict(splits),
        card=builder.card_info(), task=builder.task_spec(), sources=sources, options=dict(options or {}),
        anomalies=builder.anomaly_log.anomalies)


def _fingerprint(*parts: object) -> str:
    """A dataset fingerprint from what determines the data (builder, config, version, split, source
    checksums), instead of ``datasets`` hashing the whole table, which costs as much as parsing it."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _instantiate(builder_class: type[HubkitBuilder], name: str, config: str | None, data_dir: str | Path | None,
                 cache_dir: str, options: Mapping[str, Any]) -> HubkitBuilder:
    configs = [c.name for c in builder_class.BUILDER_CONFIGS]
    if config is not None and configs and config not in configs:
        raise DatasetError(f"{name}: unknown config '{config}'; choose one of {configs}")
    accepted = {field.name for field in dataclasses.fields(builder_class.BUILDER_CONFIG_CLASS)}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise DatasetError(f"{name}: this builder takes no option {', '.join(unknown)}")
    try:
        return builder_class(config_name=config, data_dir=str(data_dir) if data_dir else None,
                             cache_dir=cache_dir, **options)
    except ValueError as error:  # a config's own __post_init__ checks
        raise DatasetError(f"{name}: {error}") from error


def _source_paths(generators: list) -> set[Path]:
    """The files and folders named in the split generators' arguments: the data was built from them."""
    paths: set[Path] = set()
    for generator in generators:
        paths.update(_paths_in(generator.gen_kwargs))
    return paths


def _digest(path: Path) -> str:
    return sha256_file(path) if path.is_file() else _tree_sha256(path)


def _paths_in(value: Any) -> Iterator[Path]:
    """Existing files and folders among the arguments: path objects, or strings holding absolute paths
    (a relative string is more likely data than a path, and "" would name the working directory)."""
    if isinstance(value, os.PathLike) or (isinstance(value, str) and os.path.isabs(value)):
        path = Path(value)
        if path.exists():
            yield path.resolve()
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _paths_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _paths_in(item)


def _display_path(path: Path, data_dir: Path | None) -> str:
    """Paths relative to ``--data-dir`` (absolute local paths have no place in a published card)."""
    if data_dir is not None:
        try:
            return path.relative_to(data_dir.resolve()).as_posix() or "."
        except ValueError:
            pass
    return path.name


def _tree_sha256(folder: Path) -> str:
    """One digest for a folder: the sha256 of its sorted ``relative path, file sha256`` lines."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder).as_posix()}\t{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def save(prepared: Prepared, output: str | Path, overwrite: bool = False) -> Path:
    """Write ``save_to_disk`` format to ``output``: into a staging folder beside it, renamed at the end."""
    output = Path(output)
    with staged_folder(output, overwrite) as staging:
        with quiet():
            prepared.dataset.save_to_disk(str(staging))
        (staging / BUILD_FILE).write_text(json.dumps(build_record(prepared), indent=2) + "\n")
    return output


def build_record(prepared: Prepared) -> dict[str, Any]:
    return {"dataset": prepared.name, "config": prepared.config_name, "builder_version": prepared.version,
            "splits": prepared.split_sizes, "options": {k: list(v) if isinstance(v, tuple) else v
                                                        for k, v in prepared.options.items()},
            "sources": [dataclasses.asdict(record) for record in prepared.sources],
            "anomalies": [dataclasses.asdict(anomaly) for anomaly in prepared.anomalies]}


def load_prepared(folder: str | Path, name: str | None = None) -> Prepared:
    """A folder ``prepare --output-dir`` wrote, ready to validate and push without rebuilding.

    The card and task come from the builder named in the folder's build record (with the options
    it was built with); the data and its source checksums from the folder. ``name``, when given,
    must be that builder, so a push never publishes one dataset under another's card.
    """
    folder = Path(folder)
    record_path = folder / BUILD_FILE
    if not record_path.is_file():
        raise DatasetError(f"{folder}: not a folder `hubkit datasets prepare --output-dir` wrote (no {BUILD_FILE})")
    try:
        record = json.loads(record_path.read_text())
        built_name, config = record["dataset"], record["config"]
        anomalies = [Anomaly.from_dict(item) for item in record.get("anomalies") or []]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise DatasetError(f"{record_path}: unreadable build record ({error})") from None
    if name is not None and name != built_name:
        raise DatasetError(f"{folder} holds {built_name!r}, not {name!r}")
    builder_class = registry.get(built_name).load()
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in (record.get("options") or {}).items()}
    with tempfile.TemporaryDirectory(prefix="hubkit-builder-") as scratch:
        builder = _instantiate(builder_class, built_name, config, None, scratch, options)
    with quiet():
        dataset = datasets.load_from_disk(str(folder))
    if not isinstance(dataset, datasets.DatasetDict):
        raise DatasetError(f"{folder}: holds a single split, not the DatasetDict prepare writes")
    config_names = [c.name for c in builder_class.BUILDER_CONFIGS] or [builder.config.name]
    return Prepared(
        name=built_name, config_name=config, config_names=config_names,
        default_config=builder_class.DEFAULT_CONFIG_NAME or config_names[0],
        version=str(record.get("builder_version") or builder.config.version or builder_class.VERSION),
        dataset=dataset, card=builder.card_info(), task=builder.task_spec(),
        sources=[SourceRecord(**source) for source in record.get("sources", [])], options=options,
        anomalies=anomalies)


@contextlib.contextmanager
def staged_folder(target: Path, overwrite: bool) -> Iterator[Path]:
    """A fresh folder beside ``target`` that replaces ``target`` only when the block succeeds.

    Beside, not in /tmp, so the final rename stays on one filesystem and is atomic.
    """
    if target.exists() and not overwrite and not _is_empty_dir(target):
        raise OutputExistsError(f"{target} already exists; pass --overwrite to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / "previous")
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())
