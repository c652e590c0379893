"""Where hubkit's bundled builder and metric folders are, in a checkout and in an installed wheel.

``dataset_scripts/`` and ``metrics/`` live at the repository root, beside the ``hubkit`` package,
because contributors edit them there. A wheel has no repository root, so ``setup.py`` copies both
folders into ``hubkit/_bundled/`` at build time; this module is the one place that knows both.
"""

from __future__ import annotations

from pathlib import Path

import hubkit

BUNDLED_FOLDERS = ("dataset_scripts", "metrics")


def bundled_folder(name: str) -> Path:
    """The checkout's ``<root>/<name>`` when it exists, else the copy packed into the wheel."""
    if name not in BUNDLED_FOLDERS:
        raise ValueError(f"unknown bundled folder {name!r}; expected one of {', '.join(BUNDLED_FOLDERS)}")
    package = Path(hubkit.__file__).resolve().parent
    checkout = package.parent / name
    if checkout.is_dir():
        return checkout
    return package / "_bundled" / name
