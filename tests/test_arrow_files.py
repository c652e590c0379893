"""Whole-dataset passes read Arrow files with ordinary reads, and tokenising maps a slice at a time:
the same rows as the memory-mapped way, in the same order, without the mapped pages that would
make a process's resident set grow with the corpus."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import datasets
import pytest

from hubkit.train import arrow_files


def write_dataset(folder: Path, rows: int, text_bytes: int = 40, batch_rows: int = 1000) -> datasets.Dataset:
    """A memory-mapped dataset of one Arrow file, as ``hubkit pretrain`` opens a local corpus."""
    from datasets.arrow_writer import ArrowWriter

    path = folder / "corpus.arrow"
    writer = ArrowWriter(features=datasets.Features({"text": datasets.Value("string")}), path=str(path),
                         writer_batch_size=batch_rows)
    for start in range(0, rows, batch_rows):
        end = min(start + batch_rows, rows)
        writer.write_batch({"text": [f"{i:08d} " + "x" * (text_bytes - 9) for i in range(start, end)]})
    writer.finalize()
    writer.close()
    return datasets.Dataset.from_file(str(path))


def texts(batches) -> list[str]:
    return [text for batch in batches for text in batch.column(0).to_pylist()]


def test_whole_files_are_read_as_they_are_and_a_selection_through_the_dataset(tmp_path):
    dataset = write_dataset(tmp_path, 2500)
    assert arrow_files.whole_files(dataset) == [str(tmp_path / "corpus.arrow")]
    assert texts(arrow_files.record_batches(dataset, ["text"])) == list(dataset["text"])
    part = dataset.select(range(100, 1200))  # a slice of the file: its rows are not the file's
    assert arrow_files.whole_files(part) is None
    assert texts(arrow_files.record_batches(part, ["text"])) == list(dataset["text"])[100:1200]
    shuffled = dataset.shuffle(seed=0)  # an indices mapping
    assert arrow_files.whole_files(shuffled) is None
    assert texts(arrow_files.record_batches(shuffled, ["text"])) == list(shuffled["text"])


def test_mapping_in_slices_equals_one_map_in_order_and_leaves_no_files(tmp_path, monkeypatch):
    dataset = write_dataset(tmp_path, 3000)
    monkeypatch.setattr(arrow_files, "SLICE_BYTES", 20_000)  # a few hundred rows a slice
    out = tmp_path / "out"
    out.mkdir()

    def lengths(batch: dict) -> dict:
        return {"n": [int(text[:8]) for text in batch["text"]]}

    numbers, files_seen = [], set()
    for part in arrow_files.map_in_slices(dataset, lengths, out, num_proc=2, remove_columns=["text"]):
        files = {path.name for path in out.iterdir()}
        assert len(files) == 2, files  # this slice's two workers' files, the previous slice's are gone
        files_seen |= files
        numbers += [row for batch in arrow_files.record_batches(part, ["n"]) for row in batch.column(0).to_pylist()]
    assert numbers == list(range(3000))
    assert len(files_seen) >= 2 * 5 and list(out.iterdir()) == []  # several slices, and nothing left behind


def mapped_kb(path: Path) -> int:
    """Resident kB of this process's memory maps of ``path`` (from /proc/self/smaps)."""
    total = 0
    for mapping in re.split(r"\n(?=[0-9a-f]+-[0-9a-f]+ )", Path("/proc/self/smaps").read_text()):
        if mapping.splitlines()[0].endswith(str(path)):
            total += int(re.search(r"^Rss:\s+(\d+) kB", mapping, re.MULTILINE).group(1))
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_a_pass_over_the_files_leaves_no_mapped_pages_behind(tmp_path):
    """A pass through the dataset's memory map leaves the file's pages resident in this process; the
    same pass by :func:`record_batches` leaves the map as it was."""
    dataset = write_dataset(tmp_path, 400_000, text_bytes=100, batch_rows=50_000)
    path = tmp_path / "corpus.arrow"
    size_kb = path.stat().st_size // 1024
    before = mapped_kb(path)
    assert before < size_kb // 10, (before, size_kb)  # opening it maps only the pages around batch headers
    rows = sum(len(batch.column(0).to_pylist()) for batch in arrow_files.record_batches(dataset, ["text"]))
    assert rows == 400_000
    assert mapped_kb(path) - before < size_kb // 10, (mapped_kb(path), before, size_kb)
    for batch in dataset.data.to_batches():
        batch.column(0).to_pylist()  # the same pass, through the map: the measurement can see it
    assert mapped_kb(path) > size_kb * 0.9, (mapped_kb(path), size_kb)


def write_blocks_file(path: Path, count: int) -> list[list[int]]:
    """A block file as hubkit writes one, several record batches long, with rows of varied lengths."""
    import numpy as np

    from hubkit.train import lm_blocks

    rng = np.random.default_rng(0)
    blocks = [rng.integers(0, 30_000, size=int(rng.integers(1, 40)), dtype=np.int32) for _ in range(count)]
    lm_blocks.write_blocks(iter(blocks), path)
    return [block.tolist() for block in blocks]


def test_rows_read_one_at_a_time_are_the_files_rows(tmp_path, monkeypatch):
    from hubkit.train import lm_blocks

    monkeypatch.setattr(lm_blocks, "BLOCK_BATCH_TOKENS", 500)  # several record batches
    monkeypatch.setattr(lm_blocks, "BLOCK_CHUNK", 16)
    path = tmp_path / "blocks.arrow"
    blocks = write_blocks_file(path, 700)
    rows = arrow_files.ArrowFileRows(path)
    assert len(rows._starts) > 5  # the rows really span many batches
    assert len(rows) == 700 and rows.column_names == ["input_ids", "length"]
    for index in (0, 1, 699, -1, 123, 450):
        row = rows[index]
        assert row["input_ids"].tolist() == blocks[index] and row["length"] == len(blocks[index])
    assert [row["input_ids"].tolist() for row in rows] == blocks
    with pytest.raises(IndexError):
        rows[700]
    import pickle

    assert pickle.loads(pickle.dumps(rows))[5]["input_ids"].tolist() == blocks[5]  # a forked worker reopens it


def test_a_file_with_another_kind_of_column_is_refused_by_name(tmp_path):
    write_dataset(tmp_path, 10)
    with pytest.raises(ValueError, match="corpus.arrow: column 'text' is string"):
        arrow_files.ArrowFileRows(tmp_path / "corpus.arrow")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_random_rows_leave_nothing_of_the_file_resident(tmp_path):
    """Training draws blocks at random: through the dataset's map that leaves pages (up to whole
    folios, megabytes, on a file just written) resident; one row at a time by pread maps nothing."""
    import random

    path = tmp_path / "blocks.arrow"
    blocks = write_blocks_file(path, 200_000)
    rows = arrow_files.ArrowFileRows(path)
    draw = random.Random(0)
    picks = [draw.randrange(len(rows)) for _ in range(2000)]
    assert all(rows[i]["input_ids"].tolist() == blocks[i] for i in picks)
    assert mapped_kb(path) == 0
    mapped = datasets.Dataset.from_file(str(path))
    assert all(mapped[i]["input_ids"] == blocks[i] for i in picks)
    assert mapped_kb(path) > 0  # the same draws through the map: the measurement can see them
