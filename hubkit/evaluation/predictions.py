"""Per-example predictions as Parquet, written so that the same predictions give the same bytes.

Rows are in the split's order; ``row`` is the position in the split and ``example_sha256`` the
hash of the example's content, which is what ``hubkit compare`` pairs two results by. Language
models score token blocks rather than rows: there a row is a block and the hash is the block's. The other
columns are whatever the task adapter's ``predict`` returned per example (``predictions``,
``references``, ``prediction_labels`` for classification), so the file covers every task family.
A column whose values Arrow cannot type consistently is stored as JSON text. No pandas metadata,
no timestamps: the bytes depend on the values alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hubkit.evaluation.errors import EvaluationError


def predictions_table(predictions: dict[str, Any], hashes: list[str]) -> pa.Table:
    columns: dict[str, pa.Array] = {"row": pa.array(range(len(hashes)), pa.int64()),
                                    "example_sha256": pa.array(hashes, pa.string())}
    for key, values in predictions.items():
        if not isinstance(values, list):
            continue
        if len(values) != len(hashes):
            raise EvaluationError(f"the task adapter returned {len(values)} {key!r} for {len(hashes)} examples")
        columns[key] = _column(values)
    return pa.table(columns)


def _column(values: list) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array([json.dumps(v, sort_keys=True, default=str) for v in values], pa.string())


def write_predictions(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd", write_statistics=False, store_schema=True)


def read_predictions(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as error:
        raise EvaluationError(f"{path}: cannot read predictions ({error})") from None
