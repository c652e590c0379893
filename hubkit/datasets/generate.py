"""Running a builder through ``datasets``' public API: ``download_and_prepare`` then ``as_dataset``.

The Arrow files go to a scratch folder the caller owns and deletes; the splits come back in memory,
so nothing that is returned points into that folder. ``datasets`` wraps whatever the builder raises
in a ``DatasetGenerationError``; a hubkit error (a file, line and field the user must fix) is raised
again as it was, and a value ``datasets`` cannot encode (a class id outside its ``ClassLabel``)
becomes a :class:`~hubkit.datasets.errors.DatasetError` naming the dataset, so commands still print
one line. Anything else is a bug in the builder and keeps its traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import datasets
from datasets.exceptions import DatasetGenerationError

from hubkit.datasets.errors import DatasetError


def generate(name: str, builder: datasets.DatasetBuilder, dl_manager: datasets.DownloadManager,
             scratch: str | Path) -> datasets.DatasetDict:
    """Every split of ``builder`` (registered as ``name``), built under ``scratch``, returned in memory."""
    with quiet(), _unwrapped(name):
        builder.download_and_prepare(output_dir=str(Path(scratch) / "arrow"), dl_manager=dl_manager)
    return datasets.DatasetDict({split: _split(builder, split, info.num_examples)
                                 for split, info in builder.info.splits.items()})


def _split(builder: datasets.DatasetBuilder, name: str, rows: int) -> datasets.Dataset:
    """One split in memory. ``as_dataset`` refuses a split without rows, but an empty split is a
    finding ``hubkit datasets validate`` reports, not a reason to stop, so it is built empty here."""
    if rows:
        return builder.as_dataset(split=name, in_memory=True)
    features = builder.info.features
    return datasets.Dataset.from_dict({column: [] for column in features}, features=features,
                                      info=builder.info.copy(), split=datasets.NamedSplit(name))


@contextlib.contextmanager
def _unwrapped(name: str) -> Iterator[None]:
    try:
        yield
    except DatasetGenerationError as error:
        cause = error.__cause__
        if isinstance(cause, DatasetError):
            raise cause.with_traceback(cause.__traceback__) from None
        if isinstance(cause, (ValueError, TypeError)):  # pyarrow.ArrowInvalid is a ValueError
            raise DatasetError(f"{name}: datasets rejected what the builder yielded: "
                               f"{type(cause).__name__}: {cause}") from cause
        raise


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No progress bars: commands print results on stdout and errors as one line on stderr."""
    if not datasets.are_progress_bars_disabled():
        datasets.disable_progress_bars()
        try:
            yield
        finally:
            datasets.enable_progress_bars()
    else:
        yield
