"""Many clients at once against ``hubkit hub serve``: errors, lost commits, throughput, latency.

``--clients`` clients (default 50) run for ``--seconds`` (default 20), each on its own kept-alive
connection, each picking at random (seeded) among:

- metadata reads (70%): model_info, tree, paths-info, whoami;
- small downloads (15%): a 20-byte ``config.json``;
- large downloads (5%): a 20 MB LFS file, read to the end;
- commits (10%): one small file committed to ``main`` of one shared repo, so every client is a
  writer on the same branch.

Afterwards it reads the branch's tree and counts acknowledged commits whose file is missing
(lost). The load generator runs as a separate process in its own process group (``asyncio`` +
``aiohttp``), so its CPU time can be told apart from the server's; both are printed, as a share
of the machine's cores, because on a small machine the generator competes with the server and
its own queueing shows up in the latencies it measures.

With ``--baseline-source DIR`` (a checkout of another hubkit revision) the same load runs against
a server of that code too, one after the other, in the same run.

    python bench/hub_load.py [--clients 50] [--seconds 20] [--baseline-source ../base]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from helpers.hubserver import HubProcess, create_token  # noqa: E402

META_REPO, BIG_REPO, WRITE_REPO = "load/meta", "load/big", "load/writes"
BIG_MB = 20
MIX = [("metadata", 0.70), ("small download", 0.15), ("large download", 0.05), ("commit", 0.10)]


# ----- the load generator (runs in its own process) -----
async def one_client(index: int, endpoint: str, token: str, deadline: float, out: dict) -> None:
    import aiohttp

    rng = random.Random(index)
    auth = {"Authorization": f"Bearer {token}"}
    meta_urls = [f"{endpoint}/api/models/{META_REPO}", f"{endpoint}/api/models/{META_REPO}/tree/main",
                 f"{endpoint}/api/whoami-v2"]
    connector = aiohttp.TCPConnector(limit=1)  # one kept-alive connection per client
    async with aiohttp.ClientSession(connector=connector, headers=auth) as session:
        sequence = 0
        while time.monotonic() < deadline:
            kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
            start = time.perf_counter()
            try:
                if kind == "metadata":
                    if rng.random() < 0.25:
                        request = session.post(f"{endpoint}/api/models/{META_REPO}/paths-info/main",
                                               data={"paths": "config.json"})
                    else:
                        request = session.get(rng.choice(meta_urls))
                elif kind == "small download":
                    request = session.get(f"{endpoint}/{META_REPO}/resolve/main/config.json")
                elif kind == "large download":
                    request = session.get(f"{endpoint}/{BIG_REPO}/resolve/main/big.bin")
                else:
                    sequence += 1
                    path = f"w/{index}/{sequence}.txt"
                    lines = [{"key": "header", "value": {"summary": f"client {index} #{sequence}"}},
                             {"key": "file", "value": {"content": base64.b64encode(path.encode()).decode(),
                                                       "path": path, "encoding": "base64"}}]
                    request = session.post(f"{endpoint}/api/models/{WRITE_REPO}/commit/main",
                                           data="\n".join(json.dumps(x) for x in lines),
                                           headers={"Content-Type": "application/x-ndjson"})
                async with request as response:
                    async for _ in response.content.iter_chunked(1 << 20):
                        pass
                    ok = response.status < 400
                if ok and kind == "commit":
                    out["acknowledged"].append(path)
            except Exception as exc:  # counted, not raised: the run goes on
                ok = False
                out["exceptions"].append(repr(exc)[:200])
            out["latency"].setdefault(kind, []).append(time.perf_counter() - start)
            if not ok:
                out["errors"][kind] = out["errors"].get(kind, 0) + 1


async def generate(endpoint: str, token: str, clients: int, seconds: float) -> dict:
    out: dict = {"latency": {}, "errors": {}, "exceptions": [], "acknowledged": []}
    deadline = time.monotonic() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(one_client(i, endpoint, token, deadline, out) for i in range(clients)))
    out["wall"] = time.perf_counter() - start
    return out


# ----- the driver -----
def prepare(server: HubProcess, token: str, work: Path) -> None:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=server.endpoint, token=token)
    for repo in (META_REPO, BIG_REPO, WRITE_REPO):
        api.create_repo(repo, exist_ok=True)
    api.upload_file(path_or_fileobj=b'{"hidden_size": 8}\n', path_in_repo="config.json", repo_id=META_REPO)
    big = work / "big.bin"
    big.write_bytes(os.urandom(BIG_MB * 1024 * 1024))
    api.upload_file(path_or_fileobj=str(big), path_in_repo="big.bin", repo_id=BIG_REPO)


def lost_commits(server: HubProcess, token: str, acknowledged: list[str]) -> int:
    from huggingface_hub import HfApi

    files = set(HfApi(endpoint=server.endpoint, token=token).list_repo_files(WRITE_REPO))
    return sum(1 for path in acknowledged if path not in files)


def run_load(label: str, source: Path | None, args: argparse.Namespace, work: Path) -> dict:
    import psutil

    serve_args = ("--workers", str(args.workers)) if args.workers and source is None else ()
    server = HubProcess(work / f"hub-{label}", source=source, serve_args=serve_args).start()
    try:
        token = create_token(server.data_dir, "load")
        prepare(server, token, work)
        server_ps = [psutil.Process(server.process.pid), *psutil.Process(server.process.pid).children(recursive=True)]
        server_cpu_before = sum(sum(p.cpu_times()[:2]) for p in server_ps)
        generator = subprocess.run(
            [sys.executable, __file__, "--generate", server.endpoint, token, str(args.clients), str(args.seconds)],
            capture_output=True, text=True, start_new_session=True, check=True)
        server_cpu = sum(sum(p.cpu_times()[:2]) for p in server_ps) - server_cpu_before
        result = json.loads(generator.stdout.strip().splitlines()[-1])
        result["server_cpu_s"] = server_cpu
        result["lost"] = lost_commits(server, token, result["acknowledged"])
        return result
    finally:
        server.stop()


def report(label: str, result: dict, cores: int) -> None:
    wall = result["wall"]
    total = sum(len(v) for v in result["latency"].values())
    errors = sum(result["errors"].values())
    print(f"\n[{label} server] {total} requests in {wall:.1f} s: {total / wall:.0f} req/s, "
          f"{errors} errors, {len(result['acknowledged'])} commits acknowledged, {result['lost']} lost")
    print(f"  CPU over the run: server {result['server_cpu_s'] / wall / cores:.0%}, load generator "
          f"{result['generator_cpu_s'] / wall / cores:.0%} of {cores} cores")
    print(f"  {'kind':<16} {'count':>7} {'p50 ms':>9} {'p99 ms':>9}")
    for kind, _ in MIX:
        seconds = sorted(result["latency"].get(kind, []))
        if seconds:
            p99 = seconds[min(len(seconds) - 1, round(0.99 * (len(seconds) - 1)))]
            print(f"  {kind:<16} {len(seconds):7d} {statistics.median(seconds) * 1000:9.1f} {p99 * 1000:9.1f}")
    for exc in sorted(set(result["exceptions"]))[:5]:
        print(f"  exception: {exc}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--generate":
        endpoint, token, clients, seconds = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
        cpu_before = time.process_time()
        result = asyncio.run(generate(endpoint, token, clients, seconds))
        result["generator_cpu_s"] = time.process_time() - cpu_before
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--baseline-source", type=Path, help="A checkout of the hubkit to compare with.")
    parser.add_argument("--workers", type=int, help="`hub serve --workers` for the current server (default: its own).")
    args = parser.parse_args()
    os.environ.update(HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1")
    work = Path(tempfile.mkdtemp(prefix="hubkit-load-"))
    cores = os.cpu_count() or 1
    try:
        runs = {"current": run_load("current", None, args, work)}
        if args.baseline_source:
            runs["baseline"] = run_load("baseline", args.baseline_source.resolve(), args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.clients} clients for {args.seconds:g} s, mix: " + ", ".join(f"{k} {w:.0%}" for k, w in MIX))
    for label, result in runs.items():
        report(label, result, cores)


if __name__ == "__main__":
    main()
