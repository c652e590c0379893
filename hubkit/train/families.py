"""The task families hubkit trains, and the adapter for a dataset's family.

The four built-in families are imported here, and each registers itself with
:func:`hubkit.train.task.register` as it is defined. Other packages add a family by declaring
``[project.entry-points."hubkit.tasks"] my-family = "package.module"``: the module is imported the
first time a dataset of a family nobody registered asks for an adapter, and registers itself the
same way. This module sits above both the registry and the families, so nothing imports back.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from hubkit.train import classification, lm, qa, tagging  # noqa: F401  (importing registers them)
from hubkit.train.errors import TrainingError
from hubkit.train.task import TaskAdapter, registered

ENTRY_POINT_GROUP = "hubkit.tasks"


def adapter_for(spec: Any, features: Any, recipe: Any) -> TaskAdapter:
    """The adapter of the dataset's task family (``spec.family``), set up for its features and recipe."""
    adapter = registered().get(spec.family) or _from_entry_point(spec.family)
    if adapter is None:
        raise TrainingError(f"no trainer for task family {spec.family!r}")
    return adapter(spec, features, recipe)


def _from_entry_point(family: str) -> type[TaskAdapter] | None:
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name == family:
            try:
                point.load()
            except Exception as error:  # a broken plugin is an error that names it, never a silent skip
                raise TrainingError(f"task family {family!r}: entry point {point.value!r} failed to import: "
                                    f"{error}") from error
            return registered().get(family)
    return None
