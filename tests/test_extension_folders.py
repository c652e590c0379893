"""One common test over every extension folder, found by listing the folders, so a new metric in
``metrics/`` or a new builder in ``dataset_scripts/`` is covered without touching this file.

Every ``metrics/<name>/``: a README card with a YAML header the Space needs, the module loads by
path with ``evaluate.load`` while offline, and the ``>>>`` examples of its docstrings run and print
what they show. Every ``dataset_scripts/<name>/``: hubkit's registry finds the builder there, it
prepares a tiny fixture (``helpers.builder_fixtures.TINY``) through ``hubkit.datasets.prepare``,
and the dataset card generated for it passes hubkit's card check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers.builder_fixtures import TINY

ROOT = Path(__file__).resolve().parents[1]


def extension_folders(kind: str) -> list[Path]:
    """The folders under ``ROOT/kind`` that hold one extension each (``_shared`` and the like are code
    the extensions share, not extensions)."""
    return sorted(p for p in (ROOT / kind).iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


METRICS = extension_folders("metrics")
BUILDERS = extension_folders("dataset_scripts")

# Loads each metric folder by path and runs the doctests of the module evaluate imported from it.
# The examples load "metrics/<name>", so this runs from the checkout's root.
DOCTEST_SCRIPT = """
import doctest, io, json, sys
import evaluate
report = {}
for folder in sys.argv[1:]:
    metric = evaluate.load(folder)
    module = sys.modules[type(metric).__module__]
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module, globs={"evaluate": evaluate}):
        runner.run(test, out=out.write)
    report[folder] = {"module_file": module.__file__, "name": metric.name, "attempted": runner.tries,
                      "failed": runner.failures, "output": out.getvalue()[-3000:]}
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def metric_doctests(tmp_path_factory) -> dict[str, dict]:
    """One offline process for all metric folders (each import of ``evaluate`` costs seconds)."""
    home = tmp_path_factory.mktemp("hf-home-offline")
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_EVALUATE_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_HOME=str(home), HF_ENDPOINT="http://127.0.0.1:9")  # nothing listens there
    folders = [str(folder.relative_to(ROOT)) for folder in METRICS]
    completed = subprocess.run([sys.executable, "-c", DOCTEST_SCRIPT, *folders], capture_output=True, text=True,
                               env=env, cwd=ROOT, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def yaml_header(text: str) -> dict:
    """The YAML mapping between the leading ``---`` lines of a card; {} when there is none."""
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        return {}
    header = yaml.safe_load(text[4:text.index("\n---\n", 4)])
    return header if isinstance(header, dict) else {}


def test_both_kinds_of_folder_are_found():
    assert {"accuracy", "seqeval", "squad"} <= {folder.name for folder in METRICS}
    assert {"sst2", "conll2003", "squad"} <= {folder.name for folder in BUILDERS}
    assert yaml_header("---\ntitle: X\n---\nbody") == {"title": "X"} and yaml_header("# no header") == {}


@pytest.mark.parametrize("folder", METRICS, ids=lambda p: p.name)
def test_metric_folder_has_a_card_with_a_yaml_header(folder):
    header = yaml_header((folder / "README.md").read_text(encoding="utf-8"))
    assert header.get("title") and header.get("description"), f"{folder.name}/README.md: no title or description"
    tags = set(header.get("tags", []))
    # evaluate's module types: a metric scores one system, a comparison (McNemar, paired bootstrap) two.
    assert header.get("sdk") == "gradio" and "evaluate" in tags and tags & {"metric", "comparison"}, tags


@pytest.mark.parametrize("folder", METRICS, ids=lambda p: p.name)
def test_metric_folder_loads_offline_and_its_examples_run(folder, metric_doctests):
    report = metric_doctests[str(folder.relative_to(ROOT))]
    assert Path(report["module_file"]).name == f"{folder.name}.py"
    assert report["attempted"] > 0, f"{folder.name}: no >>> examples in its docstrings"
    assert report["failed"] == 0, report["output"]


@pytest.mark.parametrize("folder", BUILDERS, ids=lambda p: p.name)
def test_builder_folder_prepares_its_tiny_fixture_and_cards_cleanly(folder, tmp_path):
    from hubkit.datasets.card import render_card
    from hubkit.datasets.card_check import check_card
    from hubkit.datasets.prepare import prepare
    from hubkit.datasets.registry import get
    from hubkit.datasets.validate import validate

    assert folder.name in TINY, f"add a tiny fixture for {folder.name} to tests/helpers/builder_fixtures.py"
    assert Path(get(folder.name).target).parent.name == folder.name
    tiny = TINY[folder.name]
    prepared = prepare(folder.name, config=tiny.config, data_dir=tiny.write(tmp_path / "data"), options=tiny.options)
    assert prepared.split_sizes and all(rows > 0 for rows in prepared.split_sizes.values()), prepared.split_sizes
    report = validate(prepared)
    assert report.ok, report.errors
    card = render_card(prepared, report)
    assert check_card(card) == []
    assert yaml_header(card).get("pretty_name")
