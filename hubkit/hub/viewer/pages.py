"""Rows of a split, by position or by index, read one row group at a time, as JSON.

A page reads only the row groups that hold its rows, and within a row group only batches up to
its last row, so serving a page costs about one row group, whatever the split's size.

A page's JSON is also bounded (:data:`MAX_PAGE_BYTES`, the real service's figure for
``first-rows``): where cells would exceed it, the largest are cut to their first bytes, as the
service does, and named in the row's ``truncated_cells``. A repo holding a few huge cells must not
make each request for a page of 100 rows answer gigabytes.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import math
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hubkit.hub.viewer.store import SplitData

BATCH_ROWS = 1024
READ_BUFFER = 1 << 20
MAX_BATCH_ROWS = 131_072  # a page deep in a row group decodes up to it in one batch, not in many
MAX_PAGE_BYTES = 1_000_000
MIN_CELL_BYTES = 100  # no cell is cut shorter than this, however many cells a page has


def _batches(split: SplitData, group: int, columns: list[str] | None = None,
             batch_rows: int = BATCH_ROWS) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(first row, batch) over row group number ``group`` of the split."""
    file_index, row_group, first = split.row_groups[group]
    # buffered reads: a column chunk is read page by page as batches need it, never whole
    parquet = pq.ParquetFile(split.files[file_index], buffer_size=READ_BUFFER, pre_buffer=False)
    for batch in parquet.iter_batches(batch_size=batch_rows, row_groups=[row_group], columns=columns):
        yield first, batch
        first += batch.num_rows


def scan(split: SplitData, columns: list[str]) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(first row, batch) over the whole split, reading only ``columns``."""
    for group in range(len(split.row_groups)):
        yield from _batches(split, group, columns)


def read_range(split: SplitData, offset: int, length: int) -> list[dict]:
    """Rows ``offset`` to ``offset + length`` (fewer at the end), each as the viewer shows it."""
    end = min(offset + length, split.num_rows)
    if offset >= end:
        return []
    rows: list[dict] = []
    for group in range(split.locate(offset), len(split.row_groups)):
        if split.row_groups[group][2] >= end:
            break
        needed = end - split.row_groups[group][2]  # rows from the group's start to the page's end
        for first, batch in _batches(split, group, batch_rows=min(max(needed, BATCH_ROWS), MAX_BATCH_ROWS)):
            last = first + batch.num_rows
            if last <= offset:
                continue
            if first >= end:
                break
            start = max(offset, first)
            piece = batch.slice(start - first, min(end, last) - start)
            rows += [_row(start + i, row) for i, row in enumerate(piece.to_pylist())]
    return bounded(rows)


def read_indices(split: SplitData, indices: np.ndarray) -> list[dict]:
    """The rows at the sorted positions ``indices``."""
    rows: list[dict] = []
    position = 0
    while position < len(indices):
        before = position
        group = split.locate(int(indices[position]))
        group_end = split.row_groups[group + 1][2] if group + 1 < len(split.row_groups) else split.num_rows
        for first, batch in _batches(split, group):
            last = first + batch.num_rows
            wanted = []
            while position < len(indices) and indices[position] < last:
                wanted.append(int(indices[position]))
                position += 1
            if wanted:
                piece = batch.take(pa.array([i - first for i in wanted]))
                rows += [_row(i, row) for i, row in zip(wanted, piece.to_pylist())]
            if position >= len(indices) or indices[position] >= group_end:
                break
        if position == before:  # past the last row: nothing more to read
            break
    return bounded(rows)


def bounded(rows: list[dict], limit: int = MAX_PAGE_BYTES) -> list[dict]:
    """``rows`` with their largest cells cut until the page's JSON fits in about ``limit`` bytes.

    Each cell gets an equal share of the limit (at least :data:`MIN_CELL_BYTES`); a cell over its
    share becomes the first bytes of its JSON text (its own text, for a string) and is listed in
    ``truncated_cells``, as the dataset viewer marks cut cells.
    """
    sizes = [{name: len(json.dumps(value, ensure_ascii=False)) for name, value in row["row"].items()} for row in rows]
    if sum(sum(cells.values()) for cells in sizes) <= limit:
        return rows
    cells = sum(len(cell) for cell in sizes) or 1
    share = max(MIN_CELL_BYTES, limit // cells)
    for row, cell_sizes in zip(rows, sizes):
        for name, size in cell_sizes.items():
            if size > share:
                value = row["row"][name]
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                row["row"][name] = text.encode("utf-8")[:share].decode("utf-8", errors="ignore")
                row["truncated_cells"].append(name)
    return rows


def _row(index: int, values: dict) -> dict:
    return {"row_idx": index, "row": {name: jsonable(value) for name, value in values.items()}, "truncated_cells": []}


def jsonable(value):
    """A cell as strict JSON: no NaN or infinity, dates as ISO text, bytes as base64."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (datetime.date, datetime.time, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value
