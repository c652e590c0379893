"""Which paths are stored with Git LFS: ``.gitattributes`` ``filter=lfs`` patterns.

New repos start with the Hub's default ``.gitattributes`` (binary and archive formats, parquet and
safetensors among them); datasets needs ``lfs`` for ``*.parquet`` (hub-api.md 3.11).
"""

from __future__ import annotations

import fnmatch
import re

DEFAULT_LFS_PATTERNS = [
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
    "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb",
    "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*",
    "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*",
]

DEFAULT_GITATTRIBUTES = "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in DEFAULT_LFS_PATTERNS)

LARGE_FILE_BYTES = 10 * 1024 * 1024


def lfs_patterns(gitattributes: str) -> list[str]:
    patterns = []
    for line in gitattributes.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            patterns.append(parts[0])
    return patterns


def _pattern_regex(pattern: str) -> re.Pattern:
    # '**/' spans directories; a lone '*' stays within one path segment.
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


def matches_lfs(path: str, patterns: list[str]) -> bool:
    """git's rule: a pattern without a slash matches the basename at any depth."""
    basename = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        if "/" in pattern.rstrip("/"):
            if _pattern_regex(pattern.lstrip("/")).match(path):
                return True
        elif fnmatch.fnmatchcase(basename, pattern):
            return True
    return False


def choose_upload_mode(path: str, size: int, sample: bytes, patterns: list[str]) -> str:
    """``lfs`` or ``regular``, the way huggingface.co decides (hub-api.md 3.11)."""
    if size == 0:
        return "regular"
    if matches_lfs(path, patterns) or size >= LARGE_FILE_BYTES or b"\x00" in sample:
        return "lfs"
    return "regular"
