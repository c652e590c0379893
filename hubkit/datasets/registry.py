"""Finding dataset builders by name.

Every builder is a name bound to a *target*, resolved the same way wherever it comes from:

- packages declare ``[project.entry-points."hubkit.datasets"] name = "package.module:Class"``;
- this repository's ``dataset_scripts/<name>/<name>.py`` folders are read as ``name = <path to file>``
  (the folder is ``dataset_scripts/`` beside the ``hubkit`` package, or ``HUBKIT_DATASET_SCRIPTS``).

A target without ``:Class`` names a module whose single ``HubkitBuilder`` subclass is the builder.
A name registered twice is an error naming both origins, never a silent pick.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import re
import sys
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


def scripts_dir() -> Path:
    """The folder holding this repository's builders."""
    override = os.environ.get(SCRIPTS_ENV)
    if override:
        return Path(override)
    from hubkit.bundled import bundled_folder

    return bundled_folder("dataset_scripts")


def discover() -> dict[str, BuilderRef]:
    """Every registered builder, by name, sorted."""
    found: dict[str, BuilderRef] = {}
    for ref in [*_entry_point_refs(), *_script_refs(scripts_dir())]:
        if ref.name in found:
            raise BuilderLoadError(f"dataset '{ref.name}' is registered twice: by {found[ref.name].origin} "
                                   f"and by {ref.origin}")
        found[ref.name] = ref
    return dict(sorted(found.items()))


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
