"""``/viewer/rows`` at the start, the middle and the end of a 5-million-row split.

It writes a Parquet split of ``--rows`` rows (an id, a sentence of 6 to 14 words, a label) in row
groups of ``--row-group`` rows, pushes it to a fresh ``hubkit hub serve`` with huggingface_hub,
and sends ``--requests`` ``rows`` requests (length 100) at offset 0, at the middle and 100 rows
before the end, on one kept-alive connection. It prints p50/p99 of each, side by side with the
offset-0 figure as the baseline (a page deep in the split should cost what the first one does),
and the server's peak resident memory as a ratio of the split's Parquet size, beside the same
ratio for the naive approach of reading the split whole with pyarrow.

    python bench/viewer_speed.py [--rows 5000000] [--row-group 100000] [--requests 50]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from helpers.hubserver import HubProcess, create_token

SENTENCES = 50_000
WORDS = np.array(["the", "a", "film", "story", "plot", "acting", "was", "is", "really", "quite", "good", "bad", "long", "short", "funny", "dull", "moving", "bright"])


def write_split(path: Path, rows: int, row_group: int, seed: int = 0) -> None:
    """Deterministic rows, written a row group at a time (never the whole split in memory); the
    sentences are drawn from 50,000 distinct ones, so writing 5 million rows takes seconds."""
    rng = np.random.default_rng(seed)
    picks = WORDS[rng.integers(0, len(WORDS), size=(SENTENCES, 14))]
    vocabulary = pa.array([" ".join(row[: 6 + i % 9]) + f" #{i}" for i, row in enumerate(picks)])
    schema = pa.schema([("idx", pa.int64()), ("sentence", pa.string()), ("label", pa.int64())])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, row_group):
            count = min(row_group, rows - start)
            sentences = vocabulary.take(pa.array(rng.integers(0, SENTENCES, size=count)))
            writer.write_table(pa.table({"idx": np.arange(start, start + count), "sentence": sentences,
                                         "label": rng.integers(0, 2, size=count)}, schema=schema))


def peak_rss(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def current_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--row-group", type=int, default=100_000, help="Rows per Parquet row group.")
    parser.add_argument("--requests", type=int, default=50, help="Requests per offset.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="viewer-bench-") as tmp:
        tmp = Path(tmp)
        split = tmp / "train-00000-of-00001.parquet"
        start = time.perf_counter()
        write_split(split, args.rows, args.row_group)
        split_bytes = split.stat().st_size
        print(f"split: {args.rows:,} rows, {split_bytes / 2**20:.1f} MiB Parquet, row groups of "
              f"{args.row_group:,} rows (written in {time.perf_counter() - start:.1f} s)")

        server = HubProcess(tmp / "hub").start()
        token = create_token(server.data_dir, "bench")
        os.environ.update({"HF_ENDPOINT": server.endpoint, "HF_HUB_DISABLE_XET": "1", "HF_TOKEN": token,
                           "HF_HOME": str(tmp / "hf_home"), "HF_HUB_DISABLE_PROGRESS_BARS": "1"})
        from huggingface_hub import HfApi

        try:
            api = HfApi(endpoint=server.endpoint, token=token)
            repo = api.create_repo("bench/big", repo_type="dataset").repo_id
            api.upload_file(path_or_fileobj=str(split), path_in_repo="data/train-00000-of-00001.parquet",
                            repo_id=repo, repo_type="dataset")
            pid = server.process.pid
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets the peak: the upload's is not the viewer's
            idle = current_rss(pid)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)

            def rows(offset: int) -> float:
                began = time.perf_counter()
                conn.request("GET", f"/viewer/rows?dataset={repo}&config=default&split=train&offset={offset}"
                             "&length=100", headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                body = json.loads(response.read())
                elapsed = time.perf_counter() - began
                assert response.status == 200, body
                assert body["rows"][0]["row_idx"] == offset and len(body["rows"]) == 100, body["rows"][:1]
                return elapsed

            first = rows(0)  # builds the split's index (footer only, for a Parquet split); not counted
            print(f"first request (indexes the split): {first * 1000:.0f} ms")
            results = {}
            for label, offset in (("start", 0), ("middle", args.rows // 2), ("end", args.rows - 100)):
                rows(offset)
                results[label] = percentiles([rows(offset) for _ in range(args.requests)])
            peak = peak_rss(pid)
            conn.close()
        finally:
            server.stop()

        base50, base99 = results["start"]
        print(f"\n{'offset':<8}{'p50 ms':>10}{'p99 ms':>10}{'p50 vs start':>14}{'p99 vs start':>14}")
        for label, (p50, p99) in results.items():
            print(f"{label:<8}{p50 * 1000:>10.1f}{p99 * 1000:>10.1f}{p50 / base50:>13.2f}x{p99 / base99:>13.2f}x")

        whole = pq.read_table(split)
        print(f"\nserver memory: peak RSS {peak / 2**20:.0f} MiB = {peak / split_bytes:.2f}x the split's Parquet size "
              f"(idle server before the viewer: {idle / 2**20:.0f} MiB; growth {(peak - idle) / split_bytes:.2f}x)")
        print(f"baseline, the split read whole with pyarrow: {whole.nbytes / 2**20:.0f} MiB in Arrow = "
              f"{whole.nbytes / split_bytes:.2f}x the split's Parquet size")


if __name__ == "__main__":
    main()
