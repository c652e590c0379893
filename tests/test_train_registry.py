"""The task registry: families register themselves, once each, and the lookup names what it lacks."""

from __future__ import annotations

import pytest

from hubkit.datasets.spec import TaskSpec
from hubkit.train.errors import TrainingError
from hubkit.train.families import adapter_for
from hubkit.train.task import TaskAdapter, register, registered


def test_the_four_built_in_families_register_themselves():
    assert sorted(registered()) == ["language-modeling", "question-answering", "text-classification",
                                    "token-classification"]
    assert all(adapter.family == family for family, adapter in registered().items())


def test_a_second_adapter_for_a_family_is_refused_by_name():
    class Impostor(TaskAdapter):
        family = "text-classification"

    with pytest.raises(TrainingError, match="registered twice: hubkit.train.classification.ClassificationTask"):
        register(Impostor)
    assert registered()["text-classification"].__name__ == "ClassificationTask"


def test_an_adapter_without_a_family_cannot_register():
    class Nameless(TaskAdapter):
        pass

    with pytest.raises(TypeError, match="Nameless must set the class attribute 'family'"):
        register(Nameless)


def test_adapter_for_builds_the_family_adapter():
    from datasets import ClassLabel, Features, Value

    from hubkit.recipes import recipe_for

    spec = TaskSpec("text-classification", {"text": "sentence", "label": "label"})
    features = Features({"sentence": Value("string"), "label": ClassLabel(names=["negative", "positive"])})
    adapter = adapter_for(spec, features, recipe_for("sst2"))
    assert type(adapter).__name__ == "ClassificationTask" and adapter.label_names == ["negative", "positive"]
