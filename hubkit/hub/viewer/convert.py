"""CSV, JSON Lines and Arrow files to one Parquet file, batch by batch.

Paging needs a file it can enter in the middle; Parquet's row groups give that. The conversion
streams: each reader yields batches of about a megabyte, each batch becomes one row group, so
a split of any size converts in bounded memory and a page later reads one small row group.
The first file's schema is the split's; a later file that does not fit it is refused, naming it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv
import pyarrow.ipc
import pyarrow.json
import pyarrow.parquet as pq

from hubkit.hub.viewer.errors import unreadable

BLOCK_BYTES = 1 << 20


def _batches(path: Path, file_format: str, name: str) -> Iterator[pa.RecordBatch]:
    if file_format == "csv":
        delimiter = "\t" if name.lower().endswith(".tsv") else ","
        reader = pyarrow.csv.open_csv(path, read_options=pyarrow.csv.ReadOptions(block_size=BLOCK_BYTES),
                                      parse_options=pyarrow.csv.ParseOptions(delimiter=delimiter))
        yield from reader
    elif file_format == "json":
        yield from pyarrow.json.open_json(path, read_options=pyarrow.json.ReadOptions(block_size=BLOCK_BYTES))
    elif file_format == "arrow":
        yield from _arrow_batches(path)
    else:
        raise ValueError(f"not a convertible format: {file_format}")


def _arrow_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """Arrow IPC, in the stream form ``datasets`` writes or the file form; memory-mapped."""
    source = pa.memory_map(str(path))
    try:
        reader = pa.ipc.open_file(source)
        for index in range(reader.num_record_batches):
            yield reader.get_batch(index)
    except pa.ArrowInvalid:
        source.seek(0)
        yield from pa.ipc.open_stream(source)


def to_parquet(sources: list[tuple[str, Path]], file_format: str, target: Path) -> None:
    """Write the rows of ``sources`` (repo path, file on disk), in order, to ``target`` atomically."""
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    writer = None
    try:
        for name, path in sources:
            try:
                for batch in _batches(path, file_format, name):
                    if writer is None:
                        writer = pq.ParquetWriter(partial, batch.schema)
                    elif batch.schema != writer.schema:
                        batch = _cast(batch, writer.schema, name)
                    writer.write_batch(batch)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OSError) as error:
                raise unreadable(f"Cannot read {name} as {file_format}: {_first_line(error)}") from None
        if writer is None:
            raise unreadable(f"No rows in {', '.join(name for name, _ in sources)}.")
        writer.close()
        writer = None
        os.replace(partial, target)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)


def _cast(batch: pa.RecordBatch, schema: pa.Schema, name: str) -> pa.RecordBatch:
    if batch.schema.names != schema.names:
        raise unreadable(f"{name} has columns {batch.schema.names}, but the split's first file has {schema.names}.")
    return batch.cast(schema)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
