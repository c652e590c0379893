"""Rows per second of ``hubkit datasets prepare`` on SST-2 train, against reading the same TSV with
``pyarrow.csv`` straight into a ``datasets.Dataset``; prints the ratio (target: at least 0.5).

    python bench/prepare_speed.py [PATH/TO/glue/SST-2] [--repeat 7]

The SST-2 folder defaults to ``$HUBKIT_REAL_DATA/glue/SST-2`` (``../shared/data`` beside the repo).
Only ``train.tsv`` is measured: dev and test are replaced by header-only files, so both sides handle
the same 67,349 rows. ``prepare`` is timed as the command runs it, in process: parse and check the
file, build the DatasetDict, hash the sources, and write ``save_to_disk`` output. The baseline does
no checking and writes nothing. Each side runs ``--repeat`` times after one warm-up, interleaved so
both see the same machine load; the ratio compares the fastest runs (as ``timeit`` advises: slower
runs measure other processes on a shared machine), and the medians are printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def default_sst2() -> Path:
    root = Path(os.environ.get("HUBKIT_REAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    return root / "glue" / "SST-2"


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sst2", nargs="?", type=Path, default=default_sst2())
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    train = args.sst2 / "train.tsv"
    if not train.is_file():
        print(f"no SST-2 train.tsv at {train}; pass the GLUE SST-2 folder", file=sys.stderr)
        return 2

    import datasets
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from hubkit.datasets.prepare import prepare, save

    datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory(prefix="hubkit-bench-") as work:
        work = Path(work)
        data = work / "SST-2"
        data.mkdir()
        os.symlink(train.resolve(), data / "train.tsv")
        (data / "dev.tsv").write_text("sentence\tlabel\n")
        (data / "test.tsv").write_text("index\tsentence\n")
        runs = iter(range(10_000))

        def hubkit_prepare() -> int:
            prepared = prepare("sst2", data_dir=data)
            save(prepared, work / f"out-{next(runs)}")
            return len(prepared.dataset["train"])

        def pyarrow_baseline() -> int:
            table = pacsv.read_csv(train, parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
                                   convert_options=pacsv.ConvertOptions(
                                       column_types={"sentence": pa.string(), "label": pa.int64()}))
            return len(datasets.Dataset(table))

        rows = hubkit_prepare()
        assert rows == pyarrow_baseline(), "both sides must read the same rows"
        ours, baseline = [], []
        for _ in range(args.repeat):
            ours.append(timed(hubkit_prepare))
            baseline.append(timed(pyarrow_baseline))

    print(f"rows: {rows:,} (SST-2 train), {args.repeat} runs each")
    for label, times in (("hubkit prepare (parse, check, build, save_to_disk)", ours),
                         ("pyarrow.csv -> Dataset (no checks, no write)", baseline)):
        print(f"{label:<52} best {rows / min(times):>10,.0f} rows/s ({min(times) * 1000:5.1f} ms), "
              f"median {rows / statistics.median(times):>10,.0f} rows/s")
    ratio = min(baseline) / min(ours)
    print(f"ratio prepare/baseline: {ratio:.2f} best, "
          f"{statistics.median(baseline) / statistics.median(ours):.2f} median (target >= 0.5)")
    return 0 if ratio >= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
