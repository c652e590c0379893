"""What the tests check in every file hubkit publishes: nothing that names the machine that ran it.

Every file of each repo is downloaded and searched (as bytes, so model weights, Parquet and
pickles count too) for the absolute paths this test session used, the home folder, the working
directory, the checkout and the virtual environment, the user name where it shows in a path,
and the host name.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
import sys
import tempfile
from pathlib import Path

from huggingface_hub import HfApi, snapshot_download

ROOT = Path(__file__).resolve().parents[2]  # the checkout (this file is tests/helpers/…)


def machine_markers(extra_paths: list[Path]) -> list[bytes]:
    """Byte strings that would reveal this machine: its paths and names."""
    user = getpass.getuser()
    paths = {str(Path(p).resolve()) for p in extra_paths} | {str(p) for p in extra_paths}
    paths |= {os.getcwd(), str(ROOT), sys.prefix, tempfile.gettempdir() + "/", str(Path.home()) + "/"}
    markers = [p.encode() for p in paths if len(p) > 1]
    markers += [f"/{user}/".encode(), f"pytest-of-{user}".encode()]
    return markers


def hostname_pattern() -> re.Pattern[bytes]:
    return re.compile(rb"(?<![A-Za-z0-9_])" + re.escape(socket.gethostname().encode()) + rb"(?![A-Za-z0-9_])")


def assert_nothing_machine_local(repos: list[tuple[str, str]], extra_paths: list[Path]) -> None:
    """Fail naming the repo, file and marker when any published file mentions this machine."""
    markers = machine_markers(extra_paths)
    host = hostname_pattern()
    checked = 0
    for repo_type, repo_id in repos:
        folder = Path(snapshot_download(repo_id, repo_type=repo_type,
                                        revision=HfApi().repo_info(repo_id, repo_type=repo_type).sha))
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            content = path.read_bytes()
            checked += 1
            for marker in markers:
                assert marker not in content, f"{repo_type} {repo_id}: {path.relative_to(folder)} contains {marker!r}"
            if len(socket.gethostname()) >= 4:  # a two-letter host name matches ordinary words
                assert not host.search(content), f"{repo_id}: {path.relative_to(folder)} names the host"
    assert checked
