"""The documents of a local corpus in one Arrow file on disk, written once per corpus identity.

The file sits under ``datasets``' cache (``HF_DATASETS_CACHE``), named by the hash of the files'
names and sha256 and the document rules, so a second run, or another process of the same run,
opens it instead of reading the text again; an edited file is a new identity and a new Arrow file.

Rows are written in batches bounded by count and by characters, through ``datasets``' own
``ArrowWriter``: memory holds one batch, whatever the corpus size. (``Dataset.from_generator``
does the same one row at a time, about three times slower: its per-row feature encoding was most
of the time of reading a 20 MB corpus.) The file is written under a temporary name and renamed
when complete, so a failed or interrupted read leaves no half-corpus to be taken for a whole one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Rows per record batch, bounded by count and by characters. Large batches on purpose: opening the
# file reads each batch's header through the memory map, and the kernel maps the pages around each
# header with it (fault-around, 64 kB), so small batches would leave much of the file resident.
BATCH_ROWS = 100_000
BATCH_CHARACTERS = 16_000_000
CACHE_FOLDER = "hubkit_corpora"


def arrow_dataset(fingerprint: str, rows: Iterable[dict[str, str]]) -> Any:
    """The ``datasets.Dataset`` (memory-mapped) of ``rows``, read from the cache when it is there."""
    import datasets

    folder = Path(datasets.config.HF_DATASETS_CACHE) / CACHE_FOLDER
    path = folder / f"{fingerprint}.arrow"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        _write(path, rows)
    return datasets.Dataset.from_file(str(path))


def _write(path: Path, rows: Iterable[dict[str, str]]) -> None:
    import datasets
    from datasets.arrow_writer import ArrowWriter

    features = datasets.Features({"text": datasets.Value("string")})
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".partial")
    os.close(handle)
    try:
        writer = ArrowWriter(features=features, path=partial, writer_batch_size=BATCH_ROWS)
        try:
            batch: list[str] = []
            characters = 0
            for row in rows:
                batch.append(row["text"])
                characters += len(row["text"])
                if len(batch) >= BATCH_ROWS or characters >= BATCH_CHARACTERS:
                    writer.write_batch({"text": batch})
                    batch, characters = [], 0
            if batch:
                writer.write_batch({"text": batch})
            writer.finalize()
        finally:
            writer.close()
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
