"""Paths and command lines as they may be published: nothing of the machine that ran them.

Cards, ``results.json``, ``.eval_results`` and leaderboards are pushed to a hub for anyone to
read. An absolute path in them tells the world the runner's user name, home layout and temporary
folders, and helps no reader: the path does not exist on their machine. So what hubkit writes
names local files relative to a folder the record sits beside, or by a placeholder (``DATA_DIR``,
``OUT``) that the card's reproduce commands explain.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

# Flags whose value is a local path, and the placeholder a published command shows instead.
PATH_FLAGS: dict[str, str] = {
    "--data-dir": "DATA_DIR", "--output-dir": "OUT", "--output": "OUT", "--recipe-file": "RECIPE_FILE",
    "--pretrain-corpus": "CORPUS", "--verify": "RESULTS.json", "--scripts-dir": "SCRIPTS_DIR",
    "--tests-dir": "TESTS_DIR",
}
LOCAL_PLACEHOLDER = "PATH"
MODEL_PLACEHOLDER = "PATH/TO/MODEL"


def looks_local(value: str) -> bool:
    """True for an absolute or home-relative path, or a relative one that exists here."""
    if not value or value.startswith("-"):
        return False
    if os.path.isabs(value) or value.startswith("~"):
        return True
    return (value.startswith(".") or os.sep in value) and os.path.exists(value) and value.count("/") != 1


def command(argv: Sequence[str]) -> list[str]:
    """``argv`` as it may be published: ``hubkit ...``, with every local path a placeholder."""
    args = [str(a) for a in argv]
    if args and Path(args[0]).name in ("hubkit", "__main__.py", "__main__"):
        args[0] = "hubkit"
    elif args and looks_local(args[0]):
        args[0] = Path(args[0]).name
    out = args[:1]
    for index, arg in enumerate(args[1:], start=1):
        flag, equals, value = arg.partition("=")
        if equals and flag in PATH_FLAGS:
            out.append(f"{flag}={PATH_FLAGS[flag]}")
            continue
        previous = args[index - 1]
        if previous in PATH_FLAGS and not arg.startswith("-"):
            name, is_named, _ = arg.partition("=")
            # `hubkit baselines --data-dir sst2=PATH` names the dataset a path is for: keep the name.
            named = is_named and name.isidentifier() and not looks_local(name)
            out.append(f"{name}={PATH_FLAGS[previous]}" if named else PATH_FLAGS[previous])
        elif looks_local(arg):
            out.append(MODEL_PLACEHOLDER if previous == "--model" or Path(arg).is_dir() else LOCAL_PLACEHOLDER)
        else:
            out.append(arg)
    return out


def relative_path(path: str | os.PathLike, start: str | os.PathLike, placeholder: str) -> str:
    """``path`` relative to the folder ``start``, when they share a folder below the file-system root
    and the home folder's parent; else ``placeholder`` (a relative path then would climb through
    the names of the machine's top-level folders or its users)."""
    target, base = Path(path).resolve(), Path(start).resolve()
    try:
        common = Path(os.path.commonpath([target, base]))
    except ValueError:  # different drives
        return placeholder
    if common in (Path(common.anchor), Path.home().parent) or len(common.parts) < 3:
        return placeholder
    return Path(os.path.relpath(target, base)).as_posix()
