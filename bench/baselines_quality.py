"""Quality of the default recipes: ``hubkit baselines`` on the real datasets, our score beside the
published one and the gap, row by row (the figures for the closing note of issue 16).

Runs the real sweep (all-MiniLM-L6-v2, the recipes of ``hubkit/recipes.py``, three seeds) into
``--output-dir`` and prints its ``baselines.md``; kill it at any point and rerun: it resumes. On a
machine with several GPUs it runs one dataset per GPU. The full sweep takes hours on a CPU;
``--max-train-samples N`` gives a quick, meaningless-for-quality check of the whole path.

    python bench/baselines_quality.py --data ../shared/data --output-dir runs/baselines [--seeds 1,2,3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

# Dataset -> its folder under --data (the layout of the project's shared data folder).
FOLDERS = {"sst2": "glue/SST-2", "mrpc": "glue/MRPC", "conll2003": "conll2003", "squad": "squad-v1.1",
           "wikitext2": "wikitext-2"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding the datasets' original files")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--datasets", default=",".join(FOLDERS))
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--max-train-samples", type=int)
    args = parser.parse_args()
    names = [name for name in args.datasets.split(",") if name]
    command = [sys.executable, "-m", "hubkit.cli", "baselines", *names, "--output-dir", str(args.output_dir),
               "--seeds", args.seeds]
    for name in names:
        command += ["--data-dir", f"{name}={args.data / FOLDERS.get(name, name)}"]
    if args.max_train_samples:
        command += ["--max-train-samples", str(args.max_train_samples)]
    if (args.output_dir / "sweep.json").is_file():
        command.append("--resume")
    status = subprocess.run(command, check=False).returncode
    table = args.output_dir / "baselines.md"
    if table.is_file():
        print(table.read_text())
    return status


if __name__ == "__main__":
    sys.exit(main())
