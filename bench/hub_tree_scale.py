"""Cost of a large repo: a 10,000-file commit, listings, and one small commit on top of it.

Issue 12 measured a 10,000-file commit at 45 s and a recursive listing at 9 s, and each later
1-byte commit stored the whole tree again (1.4 MB). Trees are now stored per directory; this
prints, for the current server and (with ``--baseline-source``) another checkout's, side by side
in one run:

- the 10,000-file commit, the recursive listing and the listing of one folder of 100 files;
- a one-file commit on top: its time, and the bytes of tree it added to the database.

    python bench/hub_tree_scale.py [--files 10000] [--baseline-source ../base]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from helpers.hubserver import HubProcess, create_token  # noqa: E402


def stored_tree_bytes(data_dir: Path) -> int:
    """Tree bytes in the database, whichever layout it has (flat JSON per commit, or nodes)."""
    conn = sqlite3.connect(f"file:{data_dir / 'hub.sqlite3'}?mode=ro", uri=True)
    try:
        total = conn.execute("SELECT COALESCE(SUM(LENGTH(tree)), 0) FROM commits").fetchone()[0]
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'tree_nodes'").fetchone():
            total += conn.execute("SELECT COALESCE(SUM(LENGTH(entries)), 0) FROM tree_nodes").fetchone()[0]
        return total
    finally:
        conn.close()


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def measure(label: str, source: Path | None, files: int, work: Path) -> dict:
    from huggingface_hub import CommitOperationAdd, HfApi

    server = HubProcess(work / f"hub-{label}", source=source).start()
    try:
        api = HfApi(endpoint=server.endpoint, token=create_token(server.data_dir, "scale"))
        repo = "scale/big-tree"
        api.create_repo(repo)
        operations = [CommitOperationAdd(f"d{i % 100}/f{i}.txt", str(i).encode()) for i in range(files)]
        result = {"commit": timed(lambda: api.create_commit(repo, operations, commit_message="many"))[0]}
        result["list all"], listed = timed(lambda: list(api.list_repo_tree(repo, recursive=True)))
        assert sum(1 for item in listed if item.path.endswith(".txt")) == files
        result["list one folder"] = timed(lambda: list(api.list_repo_tree(repo, path_in_repo="d7")))[0]
        before = stored_tree_bytes(server.data_dir)
        result["one more file"] = timed(lambda: api.upload_file(path_or_fileobj=b"x", path_in_repo="d7/new.txt",
                                                                repo_id=repo))[0]
        result["tree bytes added"] = stored_tree_bytes(server.data_dir) - before
        return result
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--baseline-source", type=Path, help="A checkout of the hubkit to compare with.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {"current": measure("current", None, args.files, Path(tmp))}
        if args.baseline_source:
            runs["baseline"] = measure("baseline", args.baseline_source.resolve(), args.files, Path(tmp))
    print(f"{args.files} files in 100 folders")
    print(f"{'':<18}" + "".join(f"{label:>14}" for label in runs) + ("  baseline/current" if len(runs) == 2 else ""))
    for key in runs["current"]:
        values = [runs[label][key] for label in runs]
        unit = " B" if key == "tree bytes added" else " s"
        cells = "".join(f"{v:>12.0f}{unit}" if unit == " B" else f"{v:>12.2f}{unit}" for v in values)
        ratio = f"{values[1] / values[0]:>11.1f}x" if len(values) == 2 and values[0] else ""
        print(f"{key:<18}{cells}{ratio}")


if __name__ == "__main__":
    import os

    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    main()
