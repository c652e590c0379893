"""The base class every hubkit dataset builder derives from.

A :class:`HubkitBuilder` is an ordinary ``datasets.GeneratorBasedBuilder``, and a
:class:`HubkitTableBuilder` an ordinary ``datasets.ArrowBasedBuilder``: hubkit prepares both through
``download_and_prepare`` and ``as_dataset`` like any other builder. Both add three class attributes
hubkit reads without running the builder:

- ``DOWNLOADS``: role -> :class:`~hubkit.datasets.spec.Download`, the canonical files and checksums;
- ``CARD``: :class:`~hubkit.datasets.spec.CardInfo`, the facts the dataset card needs;
- ``TASK``: :class:`~hubkit.datasets.spec.TaskSpec`, the task family and its columns;

and ``LAYOUT``, one line describing the files ``--data-dir`` accepts.

Builders take real files as distributed: a known flaw (a stray ``-DOCSTART-``, a duplicated id, a
minority tag-scheme start, ...) goes to :attr:`HubkitBuilder.anomaly_log` and loading goes on, while
a line that cannot be read still raises :class:`~hubkit.datasets.errors.SourceFileError`.

Builders whose files are tables derive from :class:`HubkitTableBuilder` and implement
``_generate_tables`` (yielding ``(key, pyarrow.Table)`` with columns already encoded, e.g. class ids):
``datasets`` then writes whole tables instead of encoding one example at a time, which on SST-2 is
four times faster (``bench/prepare_speed.py``).

Every builder reports the split generators it returns (:func:`watch_splits`), so ``prepare`` can
hash the files they name while ``datasets`` parses them, without calling the builder's private
methods itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import datasets
import pyarrow as pa

from hubkit.datasets.anomalies import AnomalyLog
from hubkit.datasets.errors import DatasetError, SourceFileError
from hubkit.datasets.sources import verify_sha256
from hubkit.datasets.spec import CardInfo, Download, TaskSpec


class HubkitBuilder(datasets.GeneratorBasedBuilder):
    """A ``GeneratorBasedBuilder`` that knows its downloads, card facts and task."""

    DOWNLOADS: ClassVar[Mapping[str, Download]] = {}
    CARD: ClassVar[CardInfo]
    TASK: ClassVar[TaskSpec]
    LAYOUT: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Wrap each ``_split_generators`` a subclass defines so that it reports what it returns."""
        super().__init_subclass__(**kwargs)
        own = vars(cls).get("_split_generators")
        if own is not None and not hasattr(own, "_hubkit_reports"):
            cls._split_generators = _reporting(own)

    # Per-config overrides; multi-config builders (e.g. one per language) override these.
    def card_info(self) -> CardInfo:
        return self.CARD

    def task_spec(self) -> TaskSpec:
        return self.TASK

    @property
    def data_dir(self) -> Path | None:
        return Path(self.config.data_dir) if self.config.data_dir else None

    @property
    def anomaly_log(self) -> AnomalyLog:
        """Where this run records the known flaws it reads past (see :mod:`hubkit.datasets.anomalies`);
        ``prepare`` makes it strict for ``--strict`` and stores what it holds with the build."""
        if not hasattr(self, "_hubkit_anomaly_log"):
            self._hubkit_anomaly_log = AnomalyLog(self.data_dir)
        return self._hubkit_anomaly_log

    def source(self, dl_manager: datasets.DownloadManager, role: str) -> Path:
        """The local path of the source ``role``: under ``--data-dir`` when given, else downloaded.

        A download is checked against its pinned sha256 before it is unpacked or read.
        """
        download = self.DOWNLOADS[role]
        if self.data_dir is not None:
            if not self.data_dir.is_dir():
                raise SourceFileError(self.data_dir, f"--data-dir is not a folder (expected {self.LAYOUT})")
            return self.data_dir if download.is_archive else self.data_dir / download.local
        if download.sha256 is None:
            raise DatasetError(
                f"{self.name}: no pinned sha256 is known for {download.url}, so hubkit will not download "
                f"it; fetch it yourself and pass --data-dir (layout: {self.LAYOUT})")
        path = Path(dl_manager.download(download.url))
        verify_sha256(path, download.url, download.sha256)
        downloaded_sources(self).append((download.url, download.sha256))
        if download.is_archive:
            return Path(dl_manager.extract(str(path))) / download.archive_root
        return path

    def glue_split_generators(self, dl_manager: datasets.DownloadManager, role: str = "glue"
                              ) -> list[datasets.SplitGenerator]:
        """The GLUE folder layout shared by its tasks: labelled ``train.tsv`` and ``dev.tsv``, and a
        ``test.tsv`` without labels (GLUE withholds them). Each split gets ``path`` and ``labelled``."""
        from hubkit.datasets.sources import require_file

        root = self.source(dl_manager, role)
        files = {datasets.Split.TRAIN: ("train.tsv", True), datasets.Split.VALIDATION: ("dev.tsv", True),
                 datasets.Split.TEST: ("test.tsv", False)}
        return [datasets.SplitGenerator(split, gen_kwargs={
                    "path": require_file(root / name, f"expected {self.LAYOUT}"), "labelled": labelled})
                for split, (name, labelled) in files.items()]

    def _generate_tables(self, **kwargs: Any) -> Iterator[tuple[str, pa.Table]]:
        raise NotImplementedError

    def _generate_examples(self, **kwargs: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        # A HubkitBuilder written against the older contract (tables on a GeneratorBasedBuilder) still
        # works, one row at a time; HubkitTableBuilder is the fast way.
        for key, table in self._generate_tables(**kwargs):
            for index, row in enumerate(table.to_pylist()):
                yield f"{key}:{index}", row


class HubkitTableBuilder(datasets.ArrowBasedBuilder, HubkitBuilder):
    """A hubkit builder whose ``_generate_tables`` yields whole, encoded ``pyarrow`` tables.

    ``ArrowBasedBuilder`` comes first so that ``datasets`` writes the tables as they are; the
    ``_generate_examples`` inherited from :class:`HubkitBuilder` stays available and gives the same rows.
    """


SplitWatcher = Callable[[list[datasets.SplitGenerator]], None]


def watch_splits(builder: datasets.DatasetBuilder, watcher: SplitWatcher) -> None:
    """Call ``watcher`` with the split generators ``builder`` returns once ``datasets`` asks for them."""
    _watchers(builder).append(watcher)


def _watchers(builder: datasets.DatasetBuilder) -> list[SplitWatcher]:
    if not hasattr(builder, "_hubkit_split_watchers"):
        builder._hubkit_split_watchers = []
    return builder._hubkit_split_watchers


def _reporting(method: Callable[..., list[datasets.SplitGenerator]]) -> Callable[..., list[datasets.SplitGenerator]]:
    @functools.wraps(method)
    def split_generators(self: HubkitBuilder, dl_manager: Any, *args: Any, **kwargs: Any
                         ) -> list[datasets.SplitGenerator]:
        generators = method(self, dl_manager, *args, **kwargs)
        for watcher in _watchers(self):
            watcher(generators)
        return generators

    split_generators._hubkit_reports = True
    return split_generators


def downloaded_sources(builder: datasets.DatasetBuilder) -> list[tuple[str, str]]:
    """The ``(url, sha256)`` pairs this builder instance downloaded (recorded for the card)."""
    if not hasattr(builder, "_hubkit_downloads"):
        builder._hubkit_downloads = []
    return builder._hubkit_downloads


def check_builder_class(cls: object, origin: str) -> None:
    """Raise when ``cls`` does not honour the contract hubkit relies on."""
    from hubkit.datasets.errors import BuilderLoadError

    if not (isinstance(cls, type) and issubclass(cls, HubkitBuilder)):
        raise BuilderLoadError(f"{origin}: {cls!r} is not a hubkit.datasets.builder.HubkitBuilder subclass")
    for attribute, kind in (("CARD", CardInfo), ("TASK", TaskSpec)):
        if not isinstance(getattr(cls, attribute, None), kind):
            raise BuilderLoadError(f"{origin}: {cls.__name__}.{attribute} must be a {kind.__name__}")
