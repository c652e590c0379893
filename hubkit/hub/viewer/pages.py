"""Rows of a split, by position or by index, read one row group at a time, as JSON.

A page reads only the row groups that hold its rows, and within a row group only batches up to
its last row, so serving a page costs about one row group, whatever the split's size.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import math
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hubkit.hub.viewer.store import SplitData

BATCH_ROWS = 1024


def _batches(split: SplitData, group: int, columns: list[str] | None = None) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(first row, batch) over row group number ``group`` of the split."""
    file_index, row_group, first = split.row_groups[group]
    parquet = pq.ParquetFile(split.files[file_index])
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=[row_group], columns=columns):
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
        for first, batch in _batches(split, group):
            last = first + batch.num_rows
            if last <= offset:
                continue
            if first >= end:
                break
            start = max(offset, first)
            piece = batch.slice(start - first, min(end, last) - start)
            rows += [_row(start + i, row) for i, row in enumerate(piece.to_pylist())]
    return rows


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
