"""Tokenized blocks kept on disk between runs, so a second run on the same corpus skips tokenization.

Tokenizing a corpus of gigabytes takes minutes to hours and gives the same blocks every time for
the same corpus, tokenizer, block size and objective; those four (and, for validation, the fixed
masks' seed and rate) are the cache key. Entries live under ``HUBKIT_HOME/cache/lm-blocks/<key>``.

An entry is built in a temporary folder beside it and renamed into place, so a crash mid-build
leaves no entry that looks complete; a file lock makes concurrent builders of one key (the ranks of
a ``torchrun`` launch, two runs at once) build it once, the others waiting and then reading it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Bumped when the block format or the cutting rules change: older entries are then not read.
FORMAT_VERSION = 1
BLOCKS_FILE = "blocks.arrow"


def cache_root() -> Path:
    from hubkit.hub_client import hubkit_home

    return hubkit_home() / "cache" / "lm-blocks"


def tokenizer_fingerprint(tokenizer) -> str:
    """sha256 over the tokenizer's saved files: two tokenizers that save the same files split text alike."""
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="hubkit-tokenizer-") as folder:
        tokenizer.save_pretrained(folder)
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cache_key(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps({"format": FORMAT_VERSION, **fields}, sort_keys=True).encode()).hexdigest()


def cached_blocks(fields: dict[str, Any], build: Callable[[Path], Path]) -> tuple[Path, bool]:
    """The blocks file for ``fields``, built by ``build(folder)`` when absent; (path, whether it was a hit)."""
    from filelock import FileLock

    key = cache_key(fields)
    root = cache_root()
    entry = root / key
    if (entry / BLOCKS_FILE).is_file():
        return entry / BLOCKS_FILE, True
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / f"{key}.lock")):
        if (entry / BLOCKS_FILE).is_file():
            return entry / BLOCKS_FILE, True
        building = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
        try:
            built = build(building)
            if built != building / BLOCKS_FILE:
                raise RuntimeError(f"block cache: the builder wrote {built}, not {building / BLOCKS_FILE}")
            (building / "key.json").write_text(json.dumps({"format": FORMAT_VERSION, **fields}, indent=1) + "\n")
            os.replace(building, entry)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return entry / BLOCKS_FILE, False
