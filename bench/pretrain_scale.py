"""Memory and speed of ``hubkit pretrain`` against the corpus size (issue 19, item 4).

For each size, a synthetic corpus is written (WikiText-2 and Tiny Shakespeare lines, repeated and
shuffled with a fixed seed, one document per line) and the real command runs on it in a child
process, so its peak RSS is its own (``os.wait4``, and anonymous memory sampled from /proc):
``hubkit pretrain CORPUS --objective clm --size tiny --max-steps N`` with a fresh HUBKIT_HOME, so the
blocks are built, not read from the cache. Training tokens/s come from its results.json.

Tokenisation throughput is a property of the code, not of the corpus size, so it is measured once, on
a corpus of ``--compare-size``: the corpus loaded by ``datasets``' text builder (Arrow on disk), then
cut into blocks by hubkit's block builder, beside the baseline a person writes by hand:
``dataset.map`` with the same fast tokenizer, batched, same ``num_proc``. Tokens/s of both and their
ratio. (Running the hand-written baseline over 2 GB would take most of a day on 2 cores.)

It prints one row per size and RSS(largest) - RSS(smallest), the figure the issue asks to stay under
100 MB between 200 MB and 2 GB of text. Full run (53 minutes on a 2-core CPU here, ~15 GB of disk):

    python bench/pretrain_scale.py --data-root ../shared/data --sizes 200MB,1GB,2GB

Quick check: ``--sizes 20MB,100MB --steps 20``. ``--memory-limit 1GiB`` runs each pretrain in a memory
cgroup of that size (page cache included): a run that finishes under a cap smaller than its corpus
does not need memory that grows with it, whatever ru_maxrss says of the file pages it mapped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOURCES = ("wikitext-2/wiki.*.tokens", "tinyshakespeare/input.txt")
UNITS = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "MIB": 2**20, "GIB": 2**30}
VALIDATION_BYTES = 50_000  # held out per corpus: a fixed amount, so evaluation costs the same at every size


def parse_size(text: str) -> int:
    if text.strip() == "0":
        return 0
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|MIB|GIB)\s*", text.upper())
    if not match:
        raise argparse.ArgumentTypeError(f"size {text!r}: write it as 20MB, 1GB, ...")
    return int(float(match.group(1)) * UNITS[match.group(2)])


def source_lines(data_root: Path) -> list[str]:
    lines: list[str] = []
    for pattern in SOURCES:
        files = sorted(data_root.glob(pattern))
        if not files:
            sys.exit(f"no {pattern} under {data_root}; pass --data-root (the shared data folder) or set HUBKIT_REAL_DATA")
        for file in files:
            lines += [line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def write_corpus(path: Path, lines: list[str], size: int, seed: int) -> None:
    """``size`` bytes of the source lines, reshuffled on each pass (never the whole corpus in memory)."""
    rng = random.Random(seed)
    written = 0
    with open(path, "w", encoding="utf-8") as handle:
        while written < size:
            order = lines[:]
            rng.shuffle(order)
            for line in order:
                data = line + "\n"
                handle.write(data)
                written += len(data.encode("utf-8"))
                if written >= size:
                    break


def anonymous_rss(pid: int) -> int:
    """Anonymous resident memory of a process and its children, in bytes (0 once it is gone).

    ``ru_maxrss`` also counts the pages of memory-mapped Arrow files that were read, which grow with
    the corpus but are page cache the kernel takes back under pressure; anonymous memory is what the
    processes really hold. Proportional (Pss_Anon): forked tokenizer workers share their parent's
    pages, which a plain sum would count once per worker."""
    import psutil

    total = 0
    try:
        processes = [psutil.Process(pid)] + psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            status = Path(f"/proc/{process.pid}/smaps_rollup").read_text()
        except OSError:
            continue
        match = re.search(r"^Pss_Anon:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) * 1024 if match else 0
    return total


class MemoryCgroup:
    """A cgroup-v1 memory group that caps a child and its workers, page cache included.

    ru_maxrss counts the pages of memory-mapped Arrow files a process has read; the kernel drops
    those under pressure, so they say little about the memory a run *needs*. Running under a cap
    smaller than the corpus answers that directly: the run finishes, or the kernel's OOM killer
    stops it (and the bench fails). Needs root and a writable /sys/fs/cgroup/memory (Linux, cgroup v1).
    """

    ROOT = Path("/sys/fs/cgroup/memory")

    def __init__(self, limit: int, name: str) -> None:
        self.path = self.ROOT / f"pretrain-scale-{os.getpid()}-{name}"
        try:
            self.path.mkdir()
            (self.path / "memory.limit_in_bytes").write_text(str(limit))
        except OSError as error:
            sys.exit(f"--memory-limit: cannot create a memory cgroup under {self.ROOT} ({error}); "
                     "it needs root and cgroup v1")

    def enter(self) -> None:
        """Run in the child between fork and exec: it and everything it starts are capped."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def figures(self) -> dict[str, int]:
        """Peak usage (page cache included) and how often the cap was hit and memory reclaimed."""
        return {"cgroup_peak": int((self.path / "memory.max_usage_in_bytes").read_text()),
                "cgroup_limit_hits": int((self.path / "memory.failcnt").read_text())}

    def close(self) -> None:
        self.path.rmdir()


def run_child(command: list[str], env: dict[str, str],
              cgroup: MemoryCgroup | None = None) -> tuple[int, int, float, str]:
    """(peak RSS, peak anonymous RSS sampled every 50 ms, seconds, output) of one child process."""
    import threading

    started = time.perf_counter()
    peak_anon = 0
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
                                   preexec_fn=cgroup.enter if cgroup else None)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_anon
            while not done.wait(0.05):
                peak_anon = max(peak_anon, anonymous_rss(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command[:6])} ... failed:\n{text[-3000:]}")
    return usage.ru_maxrss * 1024, peak_anon, time.perf_counter() - started, text


def tokenize_child(corpus: str, tokenizer_dir: str, block_size: int, num_proc: int) -> None:
    """In a child process: blocks by hubkit vs a hand-written ``datasets.map``; prints one JSON line."""
    import datasets
    from transformers import AutoTokenizer

    from hubkit.train.lm_blocks import build_block_file

    datasets.disable_progress_bars()
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    with tempfile.TemporaryDirectory(prefix="scale-tok-") as work:
        work = Path(work)
        corpus_ds = datasets.load_dataset("text", data_files=corpus, split="train", cache_dir=str(work / "cache"))
        started = time.perf_counter()
        path = build_block_file(corpus_ds, tokenizer, "text", "clm", block_size, work, num_proc=num_proc)
        ours_s = time.perf_counter() - started
        blocks = datasets.Dataset.from_file(str(path))
        tokens = int(sum(batch["length"].to_numpy().sum()
                         for batch in blocks.with_format("arrow").iter(batch_size=100_000)))
        started = time.perf_counter()
        baseline = corpus_ds.map(lambda batch: tokenizer(batch["text"]), batched=True,
                                 num_proc=num_proc if num_proc > 1 else None,
                                 remove_columns=["text"], cache_file_name=str(work / "baseline.arrow"))
        baseline_s = time.perf_counter() - started
        baseline_tokens = int(sum(len(ids) for batch in baseline.iter(batch_size=100_000)
                                  for ids in batch["input_ids"]))
    print(json.dumps({"tokens": tokens, "ours_s": ours_s, "baseline_tokens": baseline_tokens,
                      "baseline_s": baseline_s}))


def pretrain_command(corpus: Path, out: Path, size: int, args) -> list[str]:
    return [sys.executable, "-m", "hubkit.cli", "pretrain", str(corpus), "--objective", "clm", "--size", "tiny",
            "--max-steps", str(args.steps), "--block-size", str(args.block_size), "--batch-size",
            str(args.batch_size), "--tokenizer-sample-docs", str(args.tokenizer_sample_docs),
            "--validation-fraction", f"{min(0.05, VALIDATION_BYTES / size):.6g}", "--output-dir", str(out),
            "--no-progress", "--bootstrap-resamples", "0"]


def measure(size: int, lines: list[str], args, work: Path) -> dict:
    """Peak memory, wall time and training tokens/s of ``hubkit pretrain`` on a corpus of ``size`` bytes."""
    corpus = work / f"corpus-{size}.txt"
    write_corpus(corpus, lines, size, args.seed)
    out = work / f"out-{size}"
    env = {**os.environ, "HUBKIT_HOME": str(work / f"home-{size}"), "TOKENIZERS_PARALLELISM": "false"}
    cgroup = MemoryCgroup(args.memory_limit, str(size)) if args.memory_limit else None
    pretrain_rss, pretrain_anon, pretrain_s, _ = run_child(pretrain_command(corpus, out, size, args), env, cgroup)
    capped = cgroup.figures() if cgroup else {}
    if cgroup:
        cgroup.close()
    results = json.loads((out / "results.json").read_text())
    # The Trainer's runtime includes its evaluations; training throughput leaves them out.
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    train_s = results["per_seed"][0]["train_runtime_s"] - sum(row.get("eval_runtime", 0.0) for row in log)
    if not args.keep:
        corpus.unlink()
    return {"size": size, "pretrain_rss": pretrain_rss, "pretrain_anon": pretrain_anon, "pretrain_s": pretrain_s,
            "train_tokens_per_s": args.steps * args.batch_size * args.block_size / train_s,
            "documents": results["corpus"]["documents"], **capped}


def compare_tokenization(lines: list[str], args, work: Path, tokenizer_dir: Path) -> dict:
    """hubkit's block builder against a hand-written ``datasets.map``, on one corpus of ``--compare-size``."""
    corpus = work / "corpus-compare.txt"
    write_corpus(corpus, lines, args.compare_size, args.seed)
    env = {**os.environ, "HUBKIT_HOME": str(work / "home-compare"), "TOKENIZERS_PARALLELISM": "false"}
    rss, anon, _, text = run_child([sys.executable, __file__, "--tokenize-child", str(corpus), str(tokenizer_dir),
                                    str(args.block_size), str(args.num_proc)], env)
    figures = json.loads(text.strip().splitlines()[-1])
    corpus.unlink()
    return {"rss": rss, "anon": anon, "tokens": figures["tokens"],
            "ours_tokens_per_s": figures["tokens"] / figures["ours_s"],
            "baseline_tokens_per_s": figures["baseline_tokens"] / figures["baseline_s"]}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--tokenize-child":
        corpus, tokenizer_dir, block_size, num_proc = sys.argv[2:6]
        tokenize_child(corpus, tokenizer_dir, int(block_size), int(num_proc))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=Path(os.environ.get("HUBKIT_REAL_DATA", "../shared/data")))
    parser.add_argument("--sizes", default="200MB,1GB,2GB", help="corpus sizes, smallest first (e.g. 20MB,100MB)")
    parser.add_argument("--steps", type=int, default=50, help="training steps per size")
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--tokenizer-sample-docs", type=int, default=100_000)
    parser.add_argument("--num-proc", type=int, default=1,
                        help="tokenization processes of the comparison, the same for hubkit's and the baseline")
    parser.add_argument("--compare-size", type=parse_size, default=parse_size("20MB"),
                        help="corpus size of the tokenization comparison, run once (0: skip it)")
    parser.add_argument("--memory-limit", type=parse_size,
                        help="run each pretrain under a memory cgroup of this size, page cache included (Linux, root); "
                             "it must finish, or the bench fails")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work-dir", type=Path, help="where corpora and runs go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the corpora")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    lines = source_lines(args.data_root)
    if args.work_dir:
        Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pretrain-scale-", dir=args.work_dir) as work:
        rows = []
        print("RSS: peak resident set of the main process (ru_maxrss) / peak anonymous memory of it and its "
              "workers (Pss_Anon, sampled), in MB", flush=True)
        print(f"{'corpus':>8} {'documents':>11} {'pretrain RSS':>14} {'train tok/s':>12} {'wall':>7}", flush=True)
        for size in sizes:
            row = measure(size, lines, args, Path(work))
            rows.append(row)
            capped = (f"  under a {args.memory_limit / 2**20:.0f} MB cap: peak {row['cgroup_peak'] / 2**20:.0f} MB, "
                      f"cap reached {row['cgroup_limit_hits']:,} times" if args.memory_limit else "")
            print(f"{size / 1e6:>6.0f}MB {row['documents']:>11,} {row['pretrain_rss'] / 2**20:>7.0f}/"
                  f"{row['pretrain_anon'] / 2**20:<6.0f} {row['train_tokens_per_s']:>12,.0f} "
                  f"{row['pretrain_s']:>6.0f}s{capped}", flush=True)
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            for key, name in (("rss", "peak RSS"), ("anon", "peak anonymous RSS")):
                print(f"{name}({last['size'] / 1e6:.0f}MB) - {name}({first['size'] / 1e6:.0f}MB): "
                      f"{(last['pretrain_' + key] - first['pretrain_' + key]) / 2**20:+.0f} MB (goal: < 100 MB)",
                      flush=True)
        if args.compare_size:
            # The tokenizer the first run trained: both sides of the comparison use the same one.
            figures = compare_tokenization(lines, args, Path(work), Path(work) / f"out-{sizes[0]}")
            print(f"tokenization on {args.compare_size / 1e6:.0f} MB ({figures['tokens']:,} tokens, "
                  f"num_proc {args.num_proc}): hubkit blocks {figures['ours_tokens_per_s']:,.0f} tok/s, "
                  f"datasets.map by hand {figures['baseline_tokens_per_s']:,.0f} tok/s, ratio "
                  f"{figures['ours_tokens_per_s'] / figures['baseline_tokens_per_s']:.2f}x; peak RSS "
                  f"{figures['rss'] / 2**20:.0f}/{figures['anon'] / 2**20:.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
