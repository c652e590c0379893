"""The import graph of ``hubkit/`` follows the layers in ``docs/architecture.md``.

The layer table, the public APIs and the known exceptions are read from that page, not repeated
here, so the page and the code cannot drift apart. Every import counts: module level, inside
functions and under ``if TYPE_CHECKING:`` (a lazy or type-only arrow still couples the layers).
The checker is tested on small made-up graphs too, so a check that can never fail would show.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"

Graph = dict[str, set[str]]


@dataclasses.dataclass(frozen=True)
class Architecture:
    layers: dict[str, int]  # package -> layer
    public: dict[str, set[str]]  # package -> modules others may import
    exceptions: set[tuple[str, str]]  # (importer, imported) arrows allowed for now

    def package_of(self, module: str) -> str | None:
        """The longest listed package that is ``module`` or contains it; the top package holds only itself."""
        owners = [p for p in self.layers if module == p or ("." in p and module.startswith(p + "."))]
        return max(owners, key=len) if owners else None


def markdown_table(text: str, header: tuple[str, ...]) -> list[list[str]]:
    """The body rows of the first table whose header cells are ``header`` (case-insensitive)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if tuple(cell.lower() for cell in _cells(line)) == header:
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append(_cells(row))
            return rows
    raise AssertionError(f"{DOC.name} has no table with the header {' | '.join(header)}")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []


def _names(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def read_architecture(text: str) -> Architecture:
    layers = {_names(package)[0]: int(layer)
              for layer, package, _ in markdown_table(text, ("layer", "package", "owns"))}
    public = {_names(package)[0]: set(_names(modules))
              for package, modules in markdown_table(text, ("package", "modules other packages may import"))}
    exceptions = {(importer, imported)
                  for importer_cell, imported_cell, _ in markdown_table(text, ("importer", "imports", "why, and the fix"))
                  for importer in _names(importer_cell) for imported in _names(imported_cell)}
    return Architecture(layers, public, exceptions)


def module_files(root: Path, package: str = "hubkit") -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under ``root/package``."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def import_graph(root: Path, package: str = "hubkit") -> Graph:
    """Module -> the modules of ``package`` it imports, from every import statement in its syntax tree."""
    modules = module_files(root, package)
    graph: Graph = {name: set() for name in modules}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            for target in _targets(node, here, modules):
                while target and target not in modules:  # an attribute of a module: the module
                    target = target.rpartition(".")[0]
                if target and target != name and (target == package or target.startswith(package + ".")):
                    graph[name].add(target)
    return graph


def _targets(node: ast.AST, here: str, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parent = here.split(".")[:len(here.split(".")) - node.level + 1]
        base = ".".join(parent + ([node.module] if node.module else []))
    # ``from pkg import sub`` imports the submodule ``pkg.sub``; ``from mod import name`` imports ``mod``.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one node, each as a sorted list (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph(graph: Graph, arch: Architecture) -> Graph:
    packages: Graph = defaultdict(set)
    for importer, imported in _arrows(graph):
        a, b = arch.package_of(importer), arch.package_of(imported)
        if a and b and a != b:
            packages[a].add(b)
    return dict(packages)


def _arrows(graph: Graph) -> list[tuple[str, str]]:
    return sorted((importer, imported) for importer, targets in graph.items() for imported in targets)


def problems(graph: Graph, arch: Architecture) -> list[str]:
    """Every way ``graph`` breaks ``arch``, one line each; empty when it follows it."""
    found = [f"{module}: in no package of the layer table" for module in sorted(graph) if arch.package_of(module) is None]
    arrows = set(_arrows(graph))
    for importer, imported in sorted(arrows):
        a, b = arch.package_of(importer), arch.package_of(imported)
        if a is None or b is None or a == b or (importer, imported) in arch.exceptions:
            continue
        if arch.layers[b] > arch.layers[a]:
            found.append(f"upward arrow {importer} -> {imported} (layer {arch.layers[a]} {a} -> layer "
                         f"{arch.layers[b]} {b})")
        if b in arch.public and imported not in arch.public[b]:
            found.append(f"{importer} -> {imported}: outside {b}, use its public API "
                         f"({', '.join(sorted(arch.public[b]))})")
    found += [f"package cycle: {' <-> '.join(cycle)}" for cycle in cycles(package_graph(graph, arch))]
    by_package: dict[str, Graph] = defaultdict(dict)
    for module, targets in graph.items():
        package = arch.package_of(module)
        by_package[package][module] = {t for t in targets if arch.package_of(t) == package}
    for package, inner in sorted(by_package.items(), key=lambda item: str(item[0])):
        found += [f"module cycle in {package}: {' <-> '.join(cycle)}" for cycle in cycles(inner)]
    found += [f"known exception {importer} -> {imported} no longer happens; delete its row in {DOC.name}"
              for importer, imported in sorted(arch.exceptions - arrows)]
    return found


# -- hubkit itself ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def arch() -> Architecture:
    return read_architecture(DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(ROOT)


def test_the_layer_table_is_read_from_the_doc(arch):
    assert arch.layers["hubkit.datasets"] == arch.layers["hubkit.metrics"]
    assert (arch.layers["hubkit.repocard"] < arch.layers["hubkit.datasets"] < arch.layers["hubkit.cards"]
            < arch.layers["hubkit.train"] == arch.layers["hubkit.evaluation"] < arch.layers["hubkit.leaderboard"]
            < arch.layers["hubkit.cli"])
    assert "hubkit.hub.admin" in arch.public["hubkit.hub"]


def test_hubkit_imports_follow_the_layers_in_docs_architecture_md(graph, arch):
    assert problems(graph, arch) == []


def test_the_hub_server_imports_only_the_foundation(graph, arch):
    outside = {imported for module, targets in graph.items() if arch.package_of(module) == "hubkit.hub"
               for imported in targets if arch.package_of(imported) != "hubkit.hub"}
    assert {arch.layers[arch.package_of(module)] for module in outside} <= {0}


def test_the_task_registry_imports_no_task_family(graph):
    assert not {target for target in graph["hubkit.train.task"] if target.startswith("hubkit.train.")} - {
        "hubkit.train.errors"}
    families = {"hubkit.train.classification", "hubkit.train.tagging", "hubkit.train.qa", "hubkit.train.lm"}
    assert all("hubkit.train.task" in graph[family] for family in families)
    assert families <= graph["hubkit.train.families"]


# -- the checker on made-up graphs -----------------------------------------------------------------

TOY = Architecture(layers={"hubkit": 0, "hubkit.hub": 0, "hubkit.low": 1, "hubkit.mid": 2, "hubkit.mid2": 2,
                           "hubkit.top": 3},
                   public={"hubkit.hub": {"hubkit.hub.admin"}}, exceptions=set())


def test_a_clean_graph_passes():
    graph = {"hubkit.top.a": {"hubkit.mid.b", "hubkit.hub.admin"}, "hubkit.mid.b": {"hubkit.low", "hubkit.mid2.c"},
             "hubkit.mid2.c": set(), "hubkit.low": {"hubkit"}, "hubkit": set(), "hubkit.hub.admin": set()}
    assert problems(graph, TOY) == []


def test_an_upward_arrow_is_reported():
    graph = {"hubkit.low": {"hubkit.mid.b"}, "hubkit.mid.b": set()}
    assert problems(graph, TOY) == ["upward arrow hubkit.low -> hubkit.mid.b (layer 1 hubkit.low -> layer 2 hubkit.mid)"]


def test_a_sideways_cycle_between_packages_is_reported():
    graph = {"hubkit.mid.b": {"hubkit.mid2.c"}, "hubkit.mid2.c": {"hubkit.mid.b"}}
    assert problems(graph, TOY) == ["package cycle: hubkit.mid <-> hubkit.mid2"]


def test_a_module_cycle_inside_a_package_is_reported():
    graph = {"hubkit.mid.task": {"hubkit.mid.family"}, "hubkit.mid.family": {"hubkit.mid.task"}}
    assert problems(graph, TOY) == ["module cycle in hubkit.mid: hubkit.mid.family <-> hubkit.mid.task"]


def test_a_private_hub_module_and_an_unplaced_module_are_reported():
    graph = {"hubkit.top.a": {"hubkit.hub.db"}, "hubkit.hub.db": set(), "hubkit.elsewhere": set()}
    assert problems(graph, TOY) == [
        "hubkit.elsewhere: in no package of the layer table",
        "hubkit.top.a -> hubkit.hub.db: outside hubkit.hub, use its public API (hubkit.hub.admin)"]


def test_a_known_exception_is_allowed_until_it_goes_stale():
    arch = dataclasses.replace(TOY, exceptions={("hubkit.top.a", "hubkit.hub.db")})
    assert problems({"hubkit.top.a": {"hubkit.hub.db"}, "hubkit.hub.db": set()}, arch) == []
    assert problems({"hubkit.top.a": set()}, arch) == [
        f"known exception hubkit.top.a -> hubkit.hub.db no longer happens; delete its row in {DOC.name}"]


def test_lazy_type_checking_and_relative_imports_are_arrows(tmp_path):
    for name, source in {
        "__init__.py": "",
        "low/__init__.py": "",
        "low/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from hubkit.top.b import Thing\n",
        "low/c.py": "def f():\n    from . import a\n    import hubkit.mid.d\n",
        "mid/__init__.py": "",
        "mid/d.py": "from hubkit import low\nfrom ..low.c import f\n",
        "top/__init__.py": "",
        "top/b.py": "Thing = 1\n",
    }.items():
        (tmp_path / "hubkit" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "hubkit" / name).write_text(source)
    graph = import_graph(tmp_path)
    assert graph["hubkit.low.a"] == {"hubkit.top.b"}
    assert graph["hubkit.low.c"] == {"hubkit.low.a", "hubkit.mid.d"}
    assert graph["hubkit.mid.d"] == {"hubkit.low", "hubkit.low.c"}
    assert problems(graph, TOY) == [
        "upward arrow hubkit.low.a -> hubkit.top.b (layer 1 hubkit.low -> layer 3 hubkit.top)",
        "upward arrow hubkit.low.c -> hubkit.mid.d (layer 1 hubkit.low -> layer 2 hubkit.mid)",
        "package cycle: hubkit.low <-> hubkit.mid"]
