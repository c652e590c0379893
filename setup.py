"""Packs ``dataset_scripts/`` and ``metrics/`` into the wheel as ``hubkit/_bundled/``.

Everything else is declared in pyproject.toml. The two folders are not Python packages (each builder
and metric is a standalone module loaded by path, as ``datasets`` and ``evaluate`` expect), so
package discovery does not see them; without this step ``pip install hubkit`` would have no
builders and no metrics. Symlinked shared helpers are copied as files.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED_FOLDERS = ("dataset_scripts", "metrics")  # hubkit.bundled.BUNDLED_FOLDERS


class BuildPyWithBundledFolders(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for name in BUNDLED_FOLDERS:
            target = Path(self.build_lib) / "hubkit" / "_bundled" / name
            shutil.copytree(root / name, target, symlinks=False, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithBundledFolders})
