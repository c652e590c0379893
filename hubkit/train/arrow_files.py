"""Reading a whole on-disk dataset once, front to back, without its memory map.

``datasets`` opens Arrow files as memory maps. Every page of a map that a process has read stays
in its resident set (as file-backed pages) until the map is closed, which for a dataset is never:
one pass over a 2 GB corpus leaves a process 2 GB "larger", and although the kernel can drop
those pages under pressure, peak-RSS figures, ``top`` and memory limits of schedulers all count
them. The sequential passes of pre-training (measuring the corpus, cutting token ids into
blocks) therefore read the files with ordinary reads, one record batch in memory at a time.
Random access (training batches) still goes through the map, as it should. Opening a file reads
every record batch's header through the map, and the kernel maps up to 64 kB around each page it
faults in, so hubkit writes its corpus, token-id and block files in large record batches.

Tokenising with ``datasets.map`` has the same effect in its workers, which read their shard
through the map; :func:`map_in_slices` bounds that by mapping a slice of the corpus at a time,
each slice with fresh workers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Text per datasets.map call when tokenising in slices: what each worker's map can come to hold
# is this divided by the number of workers.
SLICE_BYTES = 128 * 2**20
# Rows per batch when a dataset that is not whole files is read through ``datasets`` instead.
FALLBACK_BATCH_ROWS = 10_000


def whole_files(dataset: Any) -> list[str] | None:
    """The Arrow files whose rows, in order, are exactly ``dataset``'s rows, or None when the
    dataset is a selection, a slice or in memory (its rows cannot be read from files as they are)."""
    files = [entry["filename"] for entry in dataset.cache_files]
    if not files or getattr(dataset, "_indices", None) is not None:
        return None
    table = dataset.data
    blocks = [block for row in getattr(table, "blocks", None) or [[table]] for block in row]
    # A memory-mapped table records what was done to it since loading ("replays"); only new schema
    # metadata leaves its rows and columns those of the file.
    if any(operation[0] != "replace_schema_metadata" for block in blocks
           for operation in getattr(block, "replays", None) or []):
        return None
    return files


def record_batches(dataset: Any, columns: list[str]) -> Iterator[Any]:
    """``dataset``'s ``columns``, record batch by record batch, read with ordinary file reads when
    :func:`whole_files` allows it (else from the dataset's own table)."""
    import pyarrow as pa

    files = whole_files(dataset)
    if files is None:
        for table in dataset.select_columns(columns).with_format("arrow").iter(batch_size=FALLBACK_BATCH_ROWS):
            yield from table.to_batches()
        return
    rows = 0
    for path in files:
        with pa.OSFile(path) as source:
            for batch in pa.ipc.open_stream(source):
                rows += batch.num_rows
                yield batch.select(columns)
    if rows != len(dataset):
        raise RuntimeError(f"read {rows} rows from {len(files)} Arrow file(s) of a dataset of {len(dataset)}")


def map_in_slices(dataset: Any, function: Callable[[dict], dict], folder: Path, num_proc: int,
                  **map_kwargs: Any) -> Iterator[Any]:
    """``dataset.map(function, batched=True, num_proc=num_proc)`` one slice of about ``SLICE_BYTES`` of
    the dataset's files at a time, each slice's result (in ``folder/part-NNNNN*.arrow``) yielded in
    order and deleted, files and map, once the caller asks for the next.

    The slices are contiguous, so the results follow the dataset's order; and as no slice's result
    outlives the next, neither disk nor memory maps grow with the dataset."""
    size = sum(os.path.getsize(entry["filename"]) for entry in dataset.cache_files)
    rows_in_files = sum(_rows_in(entry["filename"]) for entry in dataset.cache_files) or 1
    rows_per_slice = max(1, int(SLICE_BYTES / max(size / rows_in_files, 1)))
    for index in range(math.ceil(len(dataset) / rows_per_slice)):
        part = dataset.select(range(index * rows_per_slice, min((index + 1) * rows_per_slice, len(dataset))))
        mapped = part.map(function, batched=True, num_proc=num_proc if len(part) > 1 else None,
                          cache_file_name=str(folder / f"part-{index:05d}.arrow"),
                          new_fingerprint=f"hubkit-slice-{index}", **map_kwargs)
        files = [entry["filename"] for entry in mapped.cache_files]
        yield mapped
        del mapped  # closes its memory maps
        for name in files:
            Path(name).unlink(missing_ok=True)


def _rows_in(path: str) -> int:
    """Rows of an Arrow stream file, from its batch headers (the data pages are not read)."""
    import pyarrow as pa

    with pa.memory_map(path) as source:
        return sum(batch.num_rows for batch in pa.ipc.open_stream(source))
