"""``hubkit datasets prepare`` through ``datasets``' public API against the private path it replaced.

    python bench/prepare_speed.py [--data DIR] [--repeat 3] [--only sst2,conll2003]

Issue 13 allows the public path (``download_and_prepare`` + ``as_dataset`` + ``save_to_disk``) unless
it is more than 1.5x slower than the path hubkit used until then, which called the builder's
private ``_split_generators`` and ``_generate_tables``/``_generate_examples``, encoded whole columns
and wrote the ``save_to_disk`` layout with ``ArrowWriter`` (``PrivatePath`` below, condensed from
commit 08d454b). Both sides build every split from the real files under ``--data`` (default
``$HUBKIT_REAL_DATA``), hash the sources and write ``save_to_disk`` output; they must give the same
tables. Runs are interleaved so both sides see the same load on a shared machine, and the medians
are compared. For SST-2, reading ``train.tsv`` with ``pyarrow.csv`` is timed too, as the floor an
earlier issue measured prepare against. Exits 1 when a ratio public/private exceeds 1.5.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LIMIT = 1.5
ENCODE_BATCH = 10_000
# name -> (config, folder under the real-data root)
CASES = {"sst2": (None, "glue/SST-2"), "conll2003": (None, "conll2003"), "squad": (None, "squad-v1.1")}


class PrivatePath:
    """The path hubkit used before issue 13, driving the builder through its private methods."""

    def __init__(self, name: str, config: str | None, data_dir: Path, scratch: str) -> None:
        from hubkit.datasets import registry

        self.name = name
        self.builder = registry.get(name).load()(config_name=config, data_dir=str(data_dir), cache_dir=scratch)

    def build(self):
        import datasets

        from hubkit.datasets.prepare import _digest, _source_paths

        builder = self.builder
        dl_manager = datasets.DownloadManager(dataset_name=self.name, data_dir=builder.config.data_dir,
                                              download_config=datasets.DownloadConfig())
        generators = builder._split_generators(dl_manager)
        with ThreadPoolExecutor(max_workers=1) as hasher:
            digests = [hasher.submit(_digest, path) for path in _source_paths(generators)]
            splits = {str(g.split_info.name): datasets.Dataset(self._table(g.gen_kwargs), info=builder.info.copy(),
                                                               split=g.split_info.name)
                      for g in generators}
            [digest.result() for digest in digests]
        return datasets.DatasetDict(splits)

    def _table(self, gen_kwargs: dict):
        import datasets
        import pyarrow as pa

        features = self.builder.info.features
        schema = features.arrow_schema
        if isinstance(self.builder, datasets.ArrowBasedBuilder):
            tables = [table.select(schema.names).cast(schema)
                      for _, table in self.builder._generate_tables(**gen_kwargs)]
        else:
            examples = [example for _, example in self.builder._generate_examples(**gen_kwargs)]
            tables = [pa.Table.from_pydict(features.encode_batch(
                          {column: [example[column] for example in examples[start:start + ENCODE_BATCH]]
                           for column in features}), schema=schema)
                      for start in range(0, len(examples), ENCODE_BATCH)]
        return pa.concat_tables(tables).combine_chunks() if tables else schema.empty_table()

    @staticmethod
    def save(dataset_dict, folder: Path) -> None:
        """The ``save_to_disk`` layout written by hand, as ``hubkit/datasets/disk.py`` did."""
        from datasets.arrow_writer import ArrowWriter
        from datasets.utils.py_utils import asdict

        folder.mkdir(parents=True)
        (folder / "dataset_dict.json").write_text(json.dumps({"splits": list(dataset_dict)}))
        for split, dataset in dataset_dict.items():
            (folder / split).mkdir()
            writer = ArrowWriter(features=dataset.features, path=str(folder / split / "data-00000-of-00001.arrow"),
                                 writer_batch_size=50_000)
            writer.write_table(dataset.data.table)
            writer.finalize()
            writer.close()
            state = {"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_fingerprint": dataset._fingerprint,
                     "_format_columns": None, "_format_kwargs": {}, "_format_type": None,
                     "_output_all_columns": False, "_split": split}
            (folder / split / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
            info = asdict(dataset.info)
            (folder / split / "dataset_info.json").write_text(json.dumps(dict(sorted(info.items())), indent=2))


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(name: str, config: str | None, data_dir: Path, work: Path, repeat: int) -> tuple[list[float], list[float]]:
    from hubkit.datasets.prepare import prepare, save

    def public():
        save(prepare(name, config=config, data_dir=data_dir), work / "public")

    def private():
        with tempfile.TemporaryDirectory(dir=work) as scratch:
            PrivatePath.save(PrivatePath(name, config, data_dir, scratch).build(), work / "private")

    def fresh(function):
        shutil.rmtree(work / "public", ignore_errors=True)
        shutil.rmtree(work / "private", ignore_errors=True)
        return timed(function)

    ours = prepare(name, config=config, data_dir=data_dir).dataset
    with tempfile.TemporaryDirectory(dir=work) as scratch:
        theirs = PrivatePath(name, config, data_dir, scratch).build()
    assert list(ours) == list(theirs), f"{name}: splits differ"
    for split in ours:
        assert ours[split].data.table.equals(theirs[split].data.table), f"{name}: split {split} differs"
    public_times, private_times = [], []
    for _ in range(repeat):
        private_times.append(fresh(private))
        public_times.append(fresh(public))
    return public_times, private_times


def pyarrow_floor(train: Path) -> float:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return timed(lambda: pacsv.read_csv(train, parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
                                        convert_options=pacsv.ConvertOptions(
                                            column_types={"sentence": pa.string(), "label": pa.int64()})))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("HUBKIT_REAL_DATA", "../shared/data")))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=",".join(CASES), help="comma-separated names among " + ", ".join(CASES))
    args = parser.parse_args()

    import datasets

    datasets.disable_progress_bars()
    worst = 0.0
    print(f"{'dataset':<10} {'private (s)':>11} {'public (s)':>10} {'public/private':>14}   (medians of {args.repeat})")
    with tempfile.TemporaryDirectory(prefix="hubkit-bench-") as work:
        for name in args.only.split(","):
            config, folder = CASES[name]
            if not (args.data / folder).exists():
                print(f"{name:<10} skipped: no {args.data / folder}")
                continue
            public, private = measure(name, config, args.data / folder, Path(work), args.repeat)
            ratio = statistics.median(public) / statistics.median(private)
            worst = max(worst, ratio)
            print(f"{name:<10} {statistics.median(private):>11.3f} {statistics.median(public):>10.3f} {ratio:>14.2f}"
                  f"   all runs: private {', '.join(f'{t:.3f}' for t in private)}; "
                  f"public {', '.join(f'{t:.3f}' for t in public)}")
            if name == "sst2":
                print(f"{'':<10} pyarrow.csv read of train.tsv alone: {pyarrow_floor(args.data / folder / 'train.tsv'):.3f} s")
    print(f"worst ratio {worst:.2f} (limit {LIMIT})")
    return 0 if worst <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
