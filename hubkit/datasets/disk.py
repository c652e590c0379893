"""Writing a ``DatasetDict`` in ``save_to_disk`` format, fast.

``Dataset.save_to_disk`` streams every table through ``datasets``' generic writer 1,000 rows at a
time, which on SST-2 costs several times more than parsing the TSV. Our tables are final and in
memory, so each split goes through the same ``ArrowWriter`` in large batches, and the small JSON
files ``load_from_disk`` reads (``dataset_dict.json``, ``state.json``, ``dataset_info.json``) are
written with the same fields ``save_to_disk`` writes. The tests load the result with
``datasets.load_from_disk`` and compare it with the original.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets
from datasets.arrow_writer import ArrowWriter
from datasets.utils.py_utils import asdict

WRITER_BATCH_ROWS = 50_000
ARROW_FILE = "data-00000-of-00001.arrow"


def save_dataset_dict(dataset_dict: datasets.DatasetDict, folder: Path) -> None:
    """Write ``dataset_dict`` into the existing, empty ``folder`` as ``save_to_disk`` would."""
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": list(dataset_dict)}))
    for split, dataset in dataset_dict.items():
        _save_split(dataset, folder / split)


def _save_split(dataset: datasets.Dataset, folder: Path) -> None:
    folder.mkdir()
    writer = ArrowWriter(features=dataset.features, path=str(folder / ARROW_FILE),
                         writer_batch_size=WRITER_BATCH_ROWS)
    try:
        writer.write_table(dataset.data.table)
        writer.finalize()
    finally:
        writer.close()
    state = {"_data_files": [{"filename": ARROW_FILE}], "_fingerprint": dataset._fingerprint,
             "_format_columns": None, "_format_kwargs": {}, "_format_type": None, "_output_all_columns": False,
             "_split": str(dataset.split) if dataset.split is not None else None}
    (folder / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
    info = asdict(dataset.info)  # datasets' asdict: it knows how to serialize Features
    (folder / "dataset_info.json").write_text(json.dumps({key: info[key] for key in sorted(info)}, indent=2))
