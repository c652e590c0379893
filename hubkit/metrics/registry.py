"""Find metric modules by name, offline: the ``metrics/`` folder first, then installed plugins.

A metric is a folder ``<name>/<name>.py`` holding one ``evaluate`` module class (the layout
``evaluate.load(path)`` and the Hub's metric Spaces use). Plugins publish more folders, or module
classes, under the entry-point group ``hubkit.metrics``. Nothing here touches the network, and
the module file is imported directly rather than through ``evaluate.load`` so that sibling helper
files (``from ._classification import ...``) resolve in place.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import os
import sys
import types
from pathlib import Path
from typing import Any

ENTRY_POINT_GROUP = "hubkit.metrics"
METRICS_DIR_ENV = "HUBKIT_METRICS_DIR"
_PACKAGE_PREFIX = "_hubkit_metric_modules"


class MetricNotFoundError(LookupError):
    """No metric folder, path or plugin has the requested name; the message lists what exists."""


def metrics_dir() -> Path:
    """The folder of bundled metrics: ``$HUBKIT_METRICS_DIR``, else ``metrics/`` beside the package."""
    override = os.environ.get(METRICS_DIR_ENV)
    if override:
        return Path(override)
    from hubkit.bundled import bundled_folder

    return bundled_folder("metrics")


def _folder_metrics(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {child.name: child / f"{child.name}.py" for child in sorted(folder.iterdir())
            if child.is_dir() and not child.name.startswith(("_", ".")) and (child / f"{child.name}.py").is_file()}


def _plugin_entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def available() -> dict[str, str]:
    """Every loadable metric name, mapped to where it comes from (a file path or ``module:object``)."""
    found = {name: str(path) for name, path in _folder_metrics(metrics_dir()).items()}
    for name, entry_point in _plugin_entry_points().items():
        if name in found:
            raise MetricNotFoundError(
                f"metric {name!r} is defined twice: {found[name]} and entry point {entry_point.value}; "
                "rename one of them")
        found[name] = entry_point.value
    return dict(sorted(found.items()))


def _script_for(path: Path) -> Path:
    """``<dir>/<dir>.py`` for a metric folder, the file itself for a ``.py`` path."""
    if path.is_dir():
        script = path / f"{path.name}.py"
        if not script.is_file():
            raise MetricNotFoundError(f"{path} is a folder but has no {path.name}.py metric module")
        return script
    if path.suffix == ".py" and path.is_file():
        return path
    raise MetricNotFoundError(f"{path} is neither a metric folder nor a .py file")


def _is_path(name: str) -> bool:
    """Whether ``name`` is written as a path (``./squad``, ``metrics/f1``, ``f1.py``), not a bare name."""
    return "/" in name or os.sep in name or name.endswith(".py") or name in (".", "..")


def locate(name: str) -> Path | type:
    """The module file of ``name`` (a bundled metric, a plugin, or a path), or a plugin's class.

    A bare name that a bundled metric or a plugin has means that metric, whatever the working
    directory holds: a sweep's output folder called ``squad`` once stood in for the SQuAD metric
    and failed 47 minutes of training at its evaluation. ``./squad`` means the folder.
    """
    folders = _folder_metrics(metrics_dir())
    plugins = _plugin_entry_points()
    candidate = Path(name)
    is_known = name in folders or name in plugins
    if (_is_path(name) or not is_known) and candidate.exists() and (candidate.is_dir() or candidate.suffix == ".py"):
        return _script_for(candidate)
    if name in folders and name in plugins:
        available()  # raises the "defined twice" error
    if name in folders:
        return folders[name]
    if name in plugins:
        target = plugins[name].load()
        if isinstance(target, (str, os.PathLike)):
            return _script_for(Path(target))
        return target
    known = sorted(set(folders) | set(plugins))
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise MetricNotFoundError(f"unknown metric {name!r}.{hint} Available: {', '.join(known) or 'none'} "
                              f"(from {metrics_dir()} and entry points {ENTRY_POINT_GROUP!r})")


def import_script(script: Path) -> types.ModuleType:
    """Import a metric script as ``<package>.<name>`` with its folder as the package.

    A fresh package per folder lets ``from ._helper import x`` find the sibling file, exactly as
    it does once evaluate has copied the script and its helpers into its modules cache.
    """
    script = Path(script).resolve()
    package_name = f"{_PACKAGE_PREFIX}.{_safe(str(script.parent))}"
    if _PACKAGE_PREFIX not in sys.modules:
        root = types.ModuleType(_PACKAGE_PREFIX)
        root.__path__ = []
        sys.modules[_PACKAGE_PREFIX] = root
    if package_name not in sys.modules:
        package = types.ModuleType(package_name)
        package.__path__ = [str(script.parent)]
        sys.modules[package_name] = package
    try:
        return importlib.import_module(f"{package_name}.{script.stem}")
    except Exception as error:  # name the file: a traceback into a dynamic module is hard to place
        raise ImportError(f"cannot import metric module {script}: {type(error).__name__}: {error}") from error


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def module_class(module: types.ModuleType) -> type:
    """The one ``evaluate.EvaluationModule`` subclass defined in ``module``."""
    import evaluate

    classes = [obj for obj in vars(module).values()
               if isinstance(obj, type) and issubclass(obj, evaluate.EvaluationModule)
               and obj.__module__ == module.__name__]
    if len(classes) != 1:
        raise ImportError(f"{module.__file__} must define exactly one evaluate module class, "
                          f"found {[c.__name__ for c in classes]}")
    return classes[0]


def load(name: str, **init_kwargs: Any) -> Any:
    """An instance of the metric ``name`` (bundled name, plugin name, or path), loaded offline."""
    target = locate(name)
    cls = module_class(import_script(target)) if isinstance(target, Path) else target
    return cls(**init_kwargs)
