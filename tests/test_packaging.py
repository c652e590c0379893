"""An installed wheel (not only a checkout) carries every builder and metric, and finds them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from hubkit.datasets.registry import discover
from hubkit.metrics.registry import available

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("hubkit", "dataset_scripts", "metrics", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md")

LIST_FROM_WHEEL = """
import json
import hubkit
from hubkit.datasets.registry import discover
from hubkit.metrics.registry import available
from hubkit.metrics import load
print(json.dumps({"hubkit": hubkit.__file__, "builders": {n: str(r) for n, r in discover().items()},
                  "metrics": available(), "accuracy": load("accuracy").compute(predictions=[1, 0], references=[1, 1])}))
"""


def test_the_wheel_bundles_builders_and_metrics(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-w", str(wheels), str(source)], check=True, capture_output=True)
    (wheel,) = wheels.glob("hubkit-*.whl")
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)

    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBKIT_")}
    env["PYTHONPATH"] = str(installed)
    listed = subprocess.run([sys.executable, "-c", LIST_FROM_WHEEL], env=env, cwd=tmp_path,
                            capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr[-2000:]
    found = json.loads(listed.stdout)
    assert Path(found["hubkit"]).is_relative_to(installed)
    assert sorted(found["metrics"]) == sorted(available())
    assert sorted(found["builders"]) == sorted(discover())
    bundled = installed / "hubkit" / "_bundled"
    assert all(bundled.as_posix() in path for path in found["metrics"].values())
    assert found["accuracy"] == {"accuracy": 0.5}
    assert not any(p.is_symlink() for p in bundled.rglob("*")), "shared helpers must be copied as files"
