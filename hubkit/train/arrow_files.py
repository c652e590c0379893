"""Reading a whole on-disk dataset once, front to back, without its memory map.

``datasets`` opens Arrow files as memory maps. Every page of a map that a process has read stays
in its resident set (as file-backed pages) until the map is closed, which for a dataset is never:
one pass over a 2 GB corpus leaves a process 2 GB "larger", and although the kernel can drop
those pages under pressure, peak-RSS figures, ``top`` and memory limits of schedulers all count
them. The sequential passes of pre-training (measuring the corpus, cutting token ids into
blocks) therefore read the files with ordinary reads, one record batch in memory at a time.
Opening a file reads every record batch's header through the map, and the kernel maps pages
around each one it faults in, so hubkit writes its corpus, token-id and block files in large
record batches.

Random access has it worse. A file that was just written sits in the page cache in large folios
(with the 8 MB readahead of many virtual disks, up to megabytes each), and a fault maps the whole
folio: 50 training steps of 16 random blocks left 466 MB of a 545 MB block file resident. So
training reads its blocks through :class:`ArrowFileRows`, one ``pread`` per column of a row.

Tokenising with ``datasets.map`` has the same effect in its workers, which read their shard
through the map; :func:`map_in_slices` bounds that by mapping a slice of the corpus at a time,
each slice with fresh workers.
"""

from __future__ import annotations

import bisect
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


class ArrowFileRows:
    """The rows of one Arrow stream file, each read on demand with ``os.pread``: random access that
    leaves none of the file in the process's resident set, whatever its size.

    Opening the file reads it once, front to back with ordinary reads, to note where each record
    batch's buffers lie; a row is then one small read per scalar column and two per list column
    (its offsets, then its values). Columns must be integers or lists of integers without nulls,
    as hubkit's block files are. It is a map-style dataset for a ``DataLoader`` (or the Trainer),
    and safe to fork: each process opens the file for itself.
    """

    def __init__(self, path: str | Path) -> None:
        import numpy as np
        import pyarrow as pa

        self.path = str(path)
        self._starts: list[int] = []
        # Per record batch, per column: (numpy dtype, file position of the offsets or None, of the values).
        self._layouts: list[dict[str, tuple[Any, int | None, int]]] = []
        rows = 0
        with pa.OSFile(self.path) as source:
            reader = pa.ipc.MessageReader.open_stream(source)
            schema = pa.ipc.read_schema(reader.read_next_message())
            self.column_names: list[str] = schema.names
            for message in reader:
                body = message.body
                body_at = source.tell() - body.size
                batch = pa.ipc.read_record_batch(message, schema)
                layout = {}
                for name, column in zip(schema.names, batch.columns):
                    if column.null_count or column.offset:
                        raise ValueError(f"{self.path}: column {name!r} has nulls or an offset; "
                                         "rows cannot be read from the file as they lie")
                    buffers = column.buffers()
                    if pa.types.is_list(column.type) and pa.types.is_integer(column.type.value_type):
                        offsets, values = buffers[1], buffers[3]
                        dtype = np.dtype(column.type.value_type.to_pandas_dtype())
                        layout[name] = (dtype, body_at + offsets.address - body.address,
                                        body_at + values.address - body.address)
                    elif pa.types.is_integer(column.type):
                        dtype = np.dtype(column.type.to_pandas_dtype())
                        layout[name] = (dtype, None, body_at + buffers[1].address - body.address)
                    else:
                        raise ValueError(f"{self.path}: column {name!r} is {column.type}; only integers "
                                         "and lists of integers can be read a row at a time")
                self._starts.append(rows)
                self._layouts.append(layout)
                rows += batch.num_rows
        self._rows = rows
        self._fd: int | None = None
        self._fd_pid: int | None = None

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, index: int) -> dict[str, Any]:
        import numpy as np

        if index < 0:
            index += self._rows
        if not 0 <= index < self._rows:
            raise IndexError(f"row {index} of a file of {self._rows}")
        batch = bisect.bisect_right(self._starts, index) - 1
        local = index - self._starts[batch]
        row: dict[str, Any] = {}
        for name, (dtype, offsets_at, values_at) in self._layouts[batch].items():
            if offsets_at is None:
                row[name] = np.frombuffer(self._read(values_at + local * dtype.itemsize, dtype.itemsize),
                                          dtype)[0].item()
                continue
            start, end = np.frombuffer(self._read(offsets_at + 4 * local, 8), np.int32)
            values = np.empty(int(end - start), dtype)  # read straight into a writable array
            self._read_into(values, values_at + int(start) * dtype.itemsize)
            row[name] = values
        return row

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[index] for index in range(self._rows))

    def _file(self) -> int:
        if self._fd is None or self._fd_pid != os.getpid():
            self._fd, self._fd_pid = os.open(self.path, os.O_RDONLY), os.getpid()
        return self._fd

    def _read(self, position: int, size: int) -> bytes:
        data = os.pread(self._file(), size, position)
        if len(data) != size:
            raise ValueError(f"{self.path}: {size} bytes at {position} run past the end of the file")
        return data

    def _read_into(self, array: Any, position: int) -> None:
        if array.nbytes and os.preadv(self._file(), [array], position) != array.nbytes:
            raise ValueError(f"{self.path}: {array.nbytes} bytes at {position} run past the end of the file")

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fd": None, "_fd_pid": None}

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None and self._fd_pid == os.getpid():
            os.close(self._fd)
