"""Card building catches only the failures it expects (data that cannot be rebuilt here, a hub that
cannot be reached, a dataset that is no builder), says in a warning what the card lacks, and lets
every other exception, a bug, surface."""

from __future__ import annotations

import logging

import pytest

from hubkit.cards import context, datastats
from hubkit.datasets.errors import BuilderLoadError, SourceFileError

RESULTS = {"dataset": {"name": "sst2", "config": None}}


def test_data_that_cannot_be_rebuilt_costs_the_card_its_statistics_with_a_warning(tmp_path, caplog):
    missing = tmp_path / "no-such-folder"
    with caplog.at_level(logging.WARNING, logger="hubkit.cards.datastats"):
        assert datastats.training_stats(RESULTS, tmp_path, data_dir=str(missing)) is None
    assert len(caplog.records) == 1
    assert "no data statistics: sst2 cannot be rebuilt here" in caplog.text and "no-such-folder" in caplog.text
    assert not (tmp_path / datastats.STATS_FILE).exists()


def test_a_bug_while_rebuilding_the_data_is_not_swallowed(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a bug, not missing data")

    monkeypatch.setattr("hubkit.datasets.prepare.prepare", broken)
    with pytest.raises(KeyError, match="a bug, not missing data"):
        datastats.training_stats(RESULTS, tmp_path, data_dir=str(tmp_path))


def test_a_dataset_that_is_no_builder_is_quiet_and_a_broken_builder_is_named(monkeypatch, caplog):
    with caplog.at_level(logging.WARNING, logger="hubkit.cards.context"):
        assert context._builder_card("not_a_builder_anywhere") is None
    assert caplog.records == []
    assert context._builder_card("sst2").pretty_name == "GLUE SST-2"

    class Broken:
        def load(self):
            raise BuilderLoadError("dataset_scripts/sst2/sst2.py: cannot import: SyntaxError: bad")

    monkeypatch.setattr("hubkit.datasets.registry.get", lambda name: Broken())
    with caplog.at_level(logging.WARNING, logger="hubkit.cards.context"):
        assert context._builder_card("sst2") is None
    assert "no dataset language or citation: dataset_scripts/sst2/sst2.py: cannot import" in caplog.text


@pytest.mark.parametrize("raised, swallowed", [
    (ConnectionError("hub unreachable"), True),
    (SourceFileError("x", "not an OSError"), False),
    (AttributeError("a bug"), False),
])
def test_base_model_facts_survive_only_an_unreachable_hub(monkeypatch, caplog, raised, swallowed):
    import huggingface_hub

    def model_info(self, *args, **kwargs):
        raise raised

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", model_info)
    if swallowed:
        with caplog.at_level(logging.WARNING, logger="hubkit.cards.context"):
            assert context._base_model_facts({"id": "someone/model"}, offline=False) == {"on_hub": False}
        assert "base model someone/model" in caplog.text and "hub unreachable" in caplog.text
    else:
        with pytest.raises(type(raised)):
            context._base_model_facts({"id": "someone/model"}, offline=False)


def test_a_base_model_recorded_as_a_local_path_is_not_looked_up(monkeypatch):
    import huggingface_hub

    def model_info(self, *args, **kwargs):
        raise AssertionError("a local path was sent to the hub as a repo id")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", model_info)
    for local in ("../../tiny-bert0", "/abs/path/model", "./model"):
        assert context._base_model_facts({"id": local}, offline=False) == {"on_hub": False}
