"""Upload and download of one large file through huggingface_hub against ``hubkit hub serve``.

Prints MB/s for each direction, the ratio to a plain local file copy of the same file measured in
the same run (the ceiling for a server on the same disk), and the server's peak resident memory,
which must stay far below the file size because the server streams.

    python bench/hub_transfer.py [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from helpers.hubserver import HubProcess, create_token  # noqa: E402


def write_file(path: Path, size_mib: int) -> None:
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as handle:
        for i in range(size_mib):
            handle.write(block[:-8] + i.to_bytes(8, "big"))


class PeakMemory(threading.Thread):
    """Samples a process's resident memory every 20 ms and keeps the maximum."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except Exception:
                return
            time.sleep(0.02)


def timed(label: str, action) -> float:
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    print(f"  {label}: {seconds:.2f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hubkit-bench-"))
    try:
        source = work / "big.safetensors"
        write_file(source, args.size_mib)
        server = HubProcess(work / "hub").start()
        token = create_token(server.data_dir, "bench")
        os.environ.update(HF_ENDPOINT=server.endpoint, HF_TOKEN=token, HF_HUB_DISABLE_XET="1",
                          HF_HOME=str(work / "hf_home"), HF_HUB_DISABLE_PROGRESS_BARS="1")
        from huggingface_hub import HfApi, hf_hub_download

        api = HfApi()
        api.create_repo("bench/big")
        memory = PeakMemory(server.process.pid)
        memory.start()
        size_mb = source.stat().st_size / 1e6
        print(f"file: {size_mb:.0f} MB")
        copy_s = timed("plain local copy", lambda: shutil.copyfile(source, work / "copy.bin"))
        (work / "copy.bin").unlink()
        up_s = timed("upload (hash + LFS PUT + commit)", lambda: api.upload_file(
            path_or_fileobj=str(source), path_in_repo="big.safetensors", repo_id="bench/big"))
        down_s = timed("download (hf_hub_download)", lambda: hf_hub_download(
            "bench/big", "big.safetensors", local_dir=work / "down"))
        memory.running = False
        memory.join()
        assert (work / "down" / "big.safetensors").stat().st_size == source.stat().st_size
        print(f"upload:   {size_mb / up_s:8.1f} MB/s  ratio to local copy {copy_s / up_s:.2f}")
        print(f"download: {size_mb / down_s:8.1f} MB/s  ratio to local copy {copy_s / down_s:.2f}")
        print(f"server peak RSS: {memory.peak / 1e6:.0f} MB ({memory.peak / source.stat().st_size:.1%} of the file)")
        server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
