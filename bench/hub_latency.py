"""Sequential request latency against ``hubkit hub serve`` on a kept-alive connection.

For each route family (whoami, model_info, tree, paths-info, resolve GET and HEAD, a one-file
commit) it sends N requests in a row through huggingface_hub's own HTTP session, the way the
client talks to a hub, and prints p50/p99. Beside each it prints the ratio to the same request
sent by curl over a fresh connection (curl's own ``time_total``, so process start-up is not
counted): a kept-alive request should be no slower than a fresh one. Last, it times
``snapshot_download`` of a 50-file repo.

With ``--baseline-source DIR`` (a checkout of another hubkit revision, e.g. ``git worktree add
../base main``) it runs the same measurements against a server of that code in the same run, one
server after the other, and prints the speed-up of each figure.

    python bench/hub_latency.py [--requests 50] [--baseline-source ../base]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from helpers.hubserver import HubProcess, create_token  # noqa: E402

SNAPSHOT_FILES = 50
SNAPSHOT_RUNS = 5


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def timed_calls(action, count: int) -> list[float]:
    action()  # opens (or warms) the connection; not counted
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return seconds


def curl_seconds(args: list[str], count: int) -> list[float]:
    """curl's own ``time_total`` for ``count`` requests, each on a fresh connection."""
    seconds = []
    for _ in range(count):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", *args],
                             capture_output=True, text=True, check=True).stdout
        seconds.append(float(out))
    return seconds


def commit_body(path: str, content: bytes) -> bytes:
    import base64

    lines = [{"key": "header", "value": {"summary": f"curl {path}", "description": ""}},
             {"key": "file", "value": {"content": base64.b64encode(content).decode(), "path": path,
                                       "encoding": "base64"}}]
    return "\n".join(json.dumps(line) for line in lines).encode()


def measure(server: HubProcess, token: str, count: int, work: Path) -> dict[str, dict]:
    """Every route family's latencies against one running server."""
    from huggingface_hub import CommitOperationAdd, HfApi, snapshot_download
    from huggingface_hub.utils import get_session

    endpoint = server.endpoint
    api = HfApi(endpoint=endpoint, token=token)
    session = get_session()
    auth = {"Authorization": f"Bearer {token}"}
    repo_id = "bench/latency"
    api.create_repo(repo_id, exist_ok=True)
    api.upload_file(path_or_fileobj=b'{"hidden_size": 8}', path_in_repo="config.json", repo_id=repo_id)
    resolve_url = f"{endpoint}/{repo_id}/resolve/main/config.json"
    counter = iter(range(10**9))

    def commit_one() -> None:
        api.create_commit(repo_id, [CommitOperationAdd(f"commits/{next(counter)}.txt", b"x")], commit_message="one")

    kinds = {
        "whoami": (lambda: session.get(f"{endpoint}/api/whoami-v2", headers=auth).raise_for_status(),
                   [f"{endpoint}/api/whoami-v2", "-H", f"Authorization: Bearer {token}"]),
        "model_info": (lambda: api.model_info(repo_id), [f"{endpoint}/api/models/{repo_id}"]),
        "tree": (lambda: list(api.list_repo_tree(repo_id)), [f"{endpoint}/api/models/{repo_id}/tree/main"]),
        "paths-info": (lambda: api.get_paths_info(repo_id, ["config.json"]),
                       [f"{endpoint}/api/models/{repo_id}/paths-info/main", "--data", "paths=config.json"]),
        "resolve GET": (lambda: session.get(resolve_url).raise_for_status(), [resolve_url]),
        "resolve HEAD": (lambda: session.head(resolve_url).raise_for_status(), ["-I", resolve_url]),
        "commit 1 file": (commit_one, None),
    }
    results: dict[str, dict] = {}
    for kind, (action, curl_args) in kinds.items():
        p50, p99 = percentiles(timed_calls(action, count))
        row = {"p50": p50, "p99": p99}
        if curl_args is not None:
            row["curl_p50"] = percentiles(curl_seconds(curl_args, count))[0]
        else:  # the same commit over a fresh connection, as raw NDJSON
            body = work / "commit.ndjson"
            body.write_bytes(commit_body("commits/curl.txt", b"y"))
            row["curl_p50"] = percentiles(curl_seconds(
                [f"{endpoint}/api/models/{repo_id}/commit/main", "-H", f"Authorization: Bearer {token}",
                 "-H", "Content-Type: application/x-ndjson", "--data-binary", f"@{body}"], count))[0]
        results[kind] = row

    snapshot_repo = "bench/fifty-files"
    api.create_repo(snapshot_repo, exist_ok=True)
    folder = work / "fifty"
    folder.mkdir(exist_ok=True)
    for i in range(SNAPSHOT_FILES):
        (folder / f"file-{i:02d}.json").write_text(json.dumps({"index": i, "pad": "x" * 200}))
    api.upload_folder(repo_id=snapshot_repo, folder_path=folder)
    # The client's default (8 download threads), and one thread: on a 2-core machine the client's own
    # thread pool costs more than the server, so the second row shows the server's share more plainly.
    for label, workers in (("", 8), (", 1 thread", 1)):
        snapshot_seconds = []
        for run in range(SNAPSHOT_RUNS):
            cache = work / f"snapshot-cache-{run}"
            start = time.perf_counter()
            snapshot_download(snapshot_repo, cache_dir=cache, endpoint=endpoint, token=token, max_workers=workers)
            snapshot_seconds.append(time.perf_counter() - start)
            shutil.rmtree(cache)
        results[f"snapshot_download ({SNAPSHOT_FILES} files{label})"] = {
            "p50": statistics.median(snapshot_seconds), "p99": max(snapshot_seconds)}
    return results


def run_server(label: str, source: Path | None, count: int, work: Path) -> dict[str, dict]:
    server = HubProcess(work / f"hub-{label}", source=source).start()
    try:
        token = create_token(server.data_dir, "bench")
        return measure(server, token, count, work)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="Requests per route family.")
    parser.add_argument("--baseline-source", type=Path, help="A checkout of the hubkit to compare with.")
    args = parser.parse_args()
    os.environ.update(HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1")
    work = Path(tempfile.mkdtemp(prefix="hubkit-latency-"))
    try:
        runs = {"current": run_server("current", None, args.requests, work)}
        if args.baseline_source:
            runs["baseline"] = run_server("baseline", args.baseline_source.resolve(), args.requests, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{args.requests} sequential requests per kind on one kept-alive huggingface_hub session")
    for label, results in runs.items():
        print(f"\n[{label} server]")
        print(f"{'kind':<32} {'p50 ms':>8} {'p99 ms':>8} {'curl fresh p50':>15} {'ratio':>6}")
        for kind, row in results.items():
            curl = row.get("curl_p50")
            curl_text = f"{curl * 1000:13.2f} {row['p50'] / curl:6.2f}" if curl else f"{'-':>13} {'-':>6}"
            print(f"{kind:<32} {row['p50'] * 1000:8.2f} {row['p99'] * 1000:8.2f}   {curl_text}")
    if "baseline" in runs:
        print("\nspeed-up, baseline p50 / current p50:")
        for kind, row in runs["current"].items():
            print(f"  {kind:<32} {runs['baseline'][kind]['p50'] / row['p50']:6.2f}x")


if __name__ == "__main__":
    main()
