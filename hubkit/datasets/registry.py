"""Finding dataset builders by name.

Every builder is a name bound to a *target*, resolved the same way wherever it comes from:

- packages declare ``[project.entry-points."hubkit.datasets"] name = "package.module:Class"``;
- ``<folder>/<name>/<name>.py`` builder scripts are read as ``name = <path to file>``, from these
  folders: hubkit's bundled ``dataset_scripts/``; ``./dataset_scripts`` of the current directory
  (where ``hubkit datasets new`` writes); every folder in ``HUBKIT_DATASET_SCRIPTS`` (separated like
  ``PATH``); and the ``--scripts-dir`` of the running command (:func:`extra_scripts_dirs`). They add
  to the built-in builders rather than replace them, so a user's own builder never hides sst2.

A target without ``:Class`` names a module whose single ``HubkitBuilder`` subclass is the builder.
A name registered twice is an error naming both origins, never a silent pick; the one exception is
a script byte-for-byte the same as the one already found (hubkit run from inside a clone of its own
repository finds its builders twice), which is the same builder and is kept once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import os
import re
import sys
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from hubkit.datasets.errors import BuilderLoadError, UnknownDatasetError

ENTRY_POINT_GROUP = "hubkit.datasets"
SCRIPTS_ENV = "HUBKIT_DATASET_SCRIPTS"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclasses.dataclass(frozen=True)
class BuilderRef:
    """A registered builder: its name, what to import, and where the registration came from."""

    name: str
    target: str
    origin: str

    def load(self) -> type:
        """Import the builder class (and check it honours the contract)."""
        from hubkit.datasets.builder import check_builder_class

        if self.target.endswith(".py"):
            module, class_name = _import_file(self.name, Path(self.target)), ""
        else:
            module_name, _, class_name = self.target.partition(":")
            module = _import_module(module_name, self.origin)
        cls = getattr(module, class_name, None) if class_name else _single_builder(module, self.origin)
        if cls is None:
            raise BuilderLoadError(f"{self.origin}: {module.__name__} has no attribute '{class_name}'")
        check_builder_class(cls, self.origin)
        return cls


LOCAL_SCRIPTS = "dataset_scripts"


def scripts_dir() -> Path:
    """The folder holding hubkit's bundled builders."""
    from hubkit.bundled import bundled_folder

    return bundled_folder("dataset_scripts")


def local_scripts_dir() -> Path:
    """Where a user's own builders go by default: ``./dataset_scripts``, never the installed package."""
    return Path.cwd() / LOCAL_SCRIPTS


def scripts_dirs() -> list[Path]:
    """Every folder searched for builder scripts, bundled first, each once (by resolved path)."""
    extra = [Path(part) for part in os.environ.get(SCRIPTS_ENV, "").split(os.pathsep) if part]
    unique: dict[Path, Path] = {}
    for folder in [scripts_dir(), local_scripts_dir(), *extra]:
        unique.setdefault(folder.resolve(), folder)
    return list(unique.values())


@contextlib.contextmanager
def extra_scripts_dirs(folders: Iterable[Path]) -> Iterator[None]:
    """Search ``folders`` too while the block runs (a command's ``--scripts-dir``).

    Through ``HUBKIT_DATASET_SCRIPTS``, so worker processes a command starts find the same builders;
    restored afterwards, so one command's folders never leak into the next in the same process.
    """
    folders = [str(folder) for folder in folders]
    if not folders:
        yield
        return
    previous = os.environ.get(SCRIPTS_ENV)
    os.environ[SCRIPTS_ENV] = os.pathsep.join([*folders, *([previous] if previous else [])])
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(SCRIPTS_ENV, None)
        else:
            os.environ[SCRIPTS_ENV] = previous


def discover() -> dict[str, BuilderRef]:
    """Every registered builder, by name, sorted."""
    found: dict[str, BuilderRef] = {}
    for ref in [*_entry_point_refs(), *(ref for folder in scripts_dirs() for ref in _script_refs(folder))]:
        if ref.name in found and _same_script(found[ref.name], ref):
            continue
        if ref.name in found:
            raise BuilderLoadError(f"dataset '{ref.name}' is registered twice: by {found[ref.name].origin} "
                                   f"and by {ref.origin}")
        found[ref.name] = ref
    return dict(sorted(found.items()))


def _same_script(first: BuilderRef, second: BuilderRef) -> bool:
    """Whether two registrations are builder scripts with identical bytes."""
    if not (first.target.endswith(".py") and second.target.endswith(".py")):
        return False
    try:
        return Path(first.target).read_bytes() == Path(second.target).read_bytes()
    except OSError:
        return False


def get(name: str) -> BuilderRef:
    refs = discover()
    if name not in refs:
        raise UnknownDatasetError(name, list(refs))
    return refs[name]


def _entry_point_refs() -> list[BuilderRef]:
    refs = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        distribution = point.dist.name if point.dist else "unknown distribution"
        refs.append(BuilderRef(point.name, point.value, f"entry point '{point.name}' of {distribution}"))
    return refs


def _script_refs(folder: Path) -> list[BuilderRef]:
    if not folder.is_dir():
        return []
    refs = []
    for child in sorted(folder.iterdir()):
        script = child / f"{child.name}.py"
        if child.is_dir() and script.is_file() and NAME_PATTERN.match(child.name):
            refs.append(BuilderRef(child.name, str(script), f"{script}"))
    return refs


def _import_module(module_name: str, origin: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except Exception as error:
        raise BuilderLoadError(f"{origin}: cannot import {module_name}: {error}") from error


def _import_file(name: str, path: Path) -> ModuleType:
    """Import a builder script by path, once per path, under a private module name."""
    module_name = f"hubkit_dataset_scripts.{name}"
    loaded = sys.modules.get(module_name)
    if loaded is not None and getattr(loaded, "__file__", None) == str(path):
        return loaded
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise BuilderLoadError(f"{path}: cannot import: {type(error).__name__}: {error}") from error
    return module


def _single_builder(module: ModuleType, origin: str) -> type:
    from hubkit.datasets.builder import HubkitBuilder

    classes = [value for value in vars(module).values()
               if isinstance(value, type) and issubclass(value, HubkitBuilder) and value is not HubkitBuilder
               and value.__module__ == module.__name__]
    if len(classes) != 1:
        names = ", ".join(cls.__name__ for cls in classes) or "none"
        raise BuilderLoadError(f"{origin}: expected exactly one HubkitBuilder subclass, found {names}")
    return classes[0]
