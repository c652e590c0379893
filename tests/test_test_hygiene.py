"""The test suite's own rules: test modules never import one another, shared helpers are defined
once (in ``tests/helpers/`` or ``conftest.py``), and no test stops processes by name.

Each rule is a small function over source text, so the tests below also show that the rule
catches what it is meant to catch on a made-up module.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

# Helpers that used to be copied from one test module into the next. Each lives in one place now.
SHARED_HELPERS = frozenset({
    "write_sst2", "write_mrpc", "write_conll", "write_squad", "qa_rows", "squad_file", "tiny_request",
    "tagging_request", "qa_request", "unique", "unique_name", "one_thread", "losses", "train_losses",
    "fine_tune_sst2", "published", "build", "write", "write_imdb", "write_conll2002", "write_conll2003",
    "make_repo_with_file", "free_port", "create_token", "assert_nothing_machine_local",
})
# Stopping processes by name can kill processes that are not the test's own.
# The commands are spelt in pieces so that this file does not itself read as stopping processes by name.
P_KILL, KILL_ALL, KILL_F = "p" + "kill", "kill" + "all", "kill -" + "f"
BY_NAME = re.compile(rf"\b({P_KILL}|{KILL_ALL})\b|\bkill\s+-f\b")


def suite_test_modules() -> list[Path]:
    return sorted(TESTS.glob("test_*.py"))


def imported_modules(source: str) -> list[str]:
    """The top-level names of every module ``source`` imports, at any depth of the file."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module.split(".")[0])
    return names


def imported_test_modules(source: str) -> list[str]:
    return [name for name in imported_modules(source) if name.startswith("test_") or name == "conftest"]


def defined_functions(source: str) -> set[str]:
    """Names of the module-level functions and fixtures ``source`` defines."""
    return {node.name for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def shared_helper_definitions(files: dict[str, str]) -> dict[str, list[str]]:
    """Helper name -> files defining it, for the names in ``SHARED_HELPERS``."""
    where: dict[str, list[str]] = defaultdict(list)
    for name, source in sorted(files.items()):
        for function in defined_functions(source) & SHARED_HELPERS:
            where[function].append(name)
    return dict(where)


def helper_problems(files: dict[str, str]) -> list[str]:
    """A shared helper defined in a test module, or defined twice anywhere, is a problem."""
    problems = []
    for helper, places in sorted(shared_helper_definitions(files).items()):
        in_tests = [p for p in places if Path(p).name.startswith("test_")]
        if in_tests:
            problems.append(f"{helper} is defined in {', '.join(in_tests)}; it belongs in tests/helpers/")
        if len(places) > 1:
            problems.append(f"{helper} is defined {len(places)} times: {', '.join(places)}")
    return problems


def suite_sources() -> dict[str, str]:
    paths = suite_test_modules() + sorted((TESTS / "helpers").glob("*.py")) + [TESTS / "conftest.py"]
    return {str(path.relative_to(TESTS)): path.read_text() for path in paths}


# ---------------------------------------------------------------- the rules, on made-up sources

def test_the_rules_catch_what_they_are_meant_to():
    assert imported_test_modules("import os\nfrom test_train_qa import qa_rows\n") == ["test_train_qa"]
    assert imported_test_modules("def f():\n    import test_leaderboard_build as t\n") == ["test_leaderboard_build"]
    assert imported_test_modules("from helpers.data import write_sst2\nimport pytest\n") == []
    files = {"test_a.py": "def write_sst2(folder):\n    pass\n", "helpers/data.py": "def write_sst2(folder):\n    pass\n",
             "test_b.py": "def test_x():\n    def losses():\n        pass\n"}
    assert helper_problems(files) == ["write_sst2 is defined in test_a.py; it belongs in tests/helpers/",
                                      "write_sst2 is defined 2 times: helpers/data.py, test_a.py"]
    assert BY_NAME.search(f'subprocess.run(["{P_KILL}", "-f", "hubkit"])')
    assert BY_NAME.search(f"os.system('{KILL_F} x')") and not BY_NAME.search("process.kill()  # by pid")


# ---------------------------------------------------------------- the rules, on this suite

@pytest.mark.parametrize("path", suite_test_modules(), ids=lambda p: p.name)
def test_no_test_module_imports_another(path):
    assert imported_test_modules(path.read_text()) == [], f"{path.name}: import from tests/helpers/ instead"


def test_shared_helpers_are_defined_once_outside_test_modules():
    sources = suite_sources()
    assert helper_problems(sources) == []
    # The list is not stale: the helpers it names are still where the suite defines them.
    defined = shared_helper_definitions(sources)
    assert {"write_sst2", "unique_name", "one_thread", "losses"} <= set(defined)


def test_no_test_stops_processes_by_name():
    offenders = [f"{name}:{number}" for name, source in suite_sources().items() if name != Path(__file__).name
                 for number, line in enumerate(source.splitlines(), 1) if BY_NAME.search(line)]
    assert offenders == []


def test_the_nested_comparison_used_for_metric_results_can_fail():
    from helpers.numbers import mismatches

    assert mismatches({"a": {"f1": 2 / 3}, "n": 1}, {"a": {"f1": 0.6666666666666666}, "n": 1}) == []
    assert mismatches({"a": {"f1": 0.7}}, {"a": {"f1": 2 / 3}}) == [".a.f1: 0.7 != 0.6666666666666666"]
    assert mismatches({"a": 1}, {"a": 1, "b": 2}) and mismatches([1.0], [1.0, 2.0]) and mismatches("x", "y")
