"""The card machinery without a model: marker merges, YAML merges, offline validation."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml

from hubkit.repocard import markers
from hubkit.repocard.errors import CardError, CardValidationError
from hubkit.repocard.metadata import merge_metadata
from hubkit.repocard.render import render_card, split_card
from hubkit.repocard.validate import validate_card, validate_eval_results

INDEX = [{"name": "m", "results": [{"task": {"type": "text-classification"},
                                    "dataset": {"type": "sst2", "name": "SST-2", "split": "validation"},
                                    "metrics": [{"type": "accuracy", "value": 0.9}]}]}]


def card(metadata: dict, body: str = "text\n") -> str:
    return f"---\n{yaml.safe_dump(metadata, sort_keys=False)}---\n\n{body}"


def test_merge_replaces_marked_sections_and_keeps_hand_written_text_in_place():
    first = markers.merge(None, [("a", "# A\nold a"), ("b", "old b")])
    edited = "My intro, by hand.\n\n" + first.replace("<!-- hubkit:begin b -->", "Note between.\n\n<!-- hubkit:begin b -->")
    again = markers.merge(edited, [("a", "# A\nnew a"), ("b", "new b")])
    assert "old a" not in again and "old b" not in again
    assert again.index("My intro, by hand.") < again.index("new a") < again.index("Note between.") < again.index("new b")


def test_merge_inserts_a_new_section_next_to_its_neighbour_and_respects_off():
    body = markers.merge(None, [("a", "A1"), ("c", "C1")]) + "\nhand tail\n"
    body = body.replace("<!-- hubkit:begin c -->\nC1", "<!-- hubkit:off c -->\n<!-- hubkit:begin c -->\nMY OWN C")
    merged = markers.merge(body, [("a", "A2"), ("b", "B2"), ("c", "C2")])
    assert merged.index("A2") < merged.index("B2") < merged.index("MY OWN C") < merged.index("hand tail")
    assert "C2" not in merged


def test_merge_refuses_broken_markers_with_the_section_name():
    with pytest.raises(CardError, match="'results'"):
        markers.merge("<!-- hubkit:begin results -->\nno end here\n", [("results", "x")])


def test_metadata_merge_keeps_foreign_keys_and_accumulates_results():
    old = {"license": "mit", "widget": [{"text": "hi"}], "tags": ["mine"], "model-index": INDEX}
    other = {"task": {"type": "text-classification"}, "dataset": {"type": "imdb", "name": "IMDB", "split": "test"},
             "metrics": [{"type": "accuracy", "value": 0.8}]}
    new = {"tags": ["hubkit"], "model-index": [{"name": "m", "results": [other]}]}
    merged = merge_metadata(old, new)
    assert merged["widget"] == [{"text": "hi"}] and merged["license"] == "mit"
    assert merged["tags"] == ["mine", "hubkit"]
    assert [r["dataset"]["type"] for r in merged["model-index"][0]["results"]] == ["sst2", "imdb"]
    replaced = merge_metadata(merged, {"model-index": [{"name": "m", "results": [
        {**INDEX[0]["results"][0], "metrics": [{"type": "accuracy", "value": 0.95}]}]}]})
    assert replaced["model-index"][0]["results"][0]["metrics"] == [{"type": "accuracy", "value": 0.95}]
    assert len(replaced["model-index"][0]["results"]) == 2


@pytest.mark.parametrize("metadata, key", [
    ({"license": "not-a-licence"}, "license"),
    ({"license": "other"}, "license_name"),
    ({"datasets": [None]}, "datasets[0]"),
    # A local folder is not a Hub id (built at run time: no machine path is written into the test).
    ({"base_model": str(Path(tempfile.gettempdir()) / "model")}, "base_model"),
    ({"pipeline_tag": "text-classifier"}, "pipeline_tag"),
    ({"language": ["English"]}, "language[0]"),
    ({"model_index": INDEX}, "model_index"),
    ({"model-index": [{"name": "m", "results": [{"task": {"type": "t"}, "dataset": {"type": "d", "name": "D"},
                                                 "metrics": [{"type": "accuracy", "value": [0.9]}]}]}]},
     "model-index[0].results[0].metrics[0].value"),
    ({"model-index": [{"name": "m", "results": [{"task": {}, "dataset": {"type": "d", "name": "D"},
                                                 "metrics": [{"type": "a", "value": 1}]}]}]},
     "model-index[0].results[0].task.type"),
])
def test_validation_names_the_offending_key(metadata, key):
    with pytest.raises(CardValidationError) as caught:
        validate_card(card(metadata))
    assert caught.value.key == key
    assert f"'{key}'" in str(caught.value)


def test_valid_cards_and_unknown_keys_pass_and_eval_results_are_checked():
    data = validate_card(card({"license": "apache-2.0", "language": ["en"], "my_own_key": {"x": 1},
                               "model-index": INDEX}))
    assert data["my_own_key"] == {"x": 1}
    validate_eval_results([{"dataset": {"id": "sst2", "task_id": "validation"}, "value": 0.9}])
    with pytest.raises(CardValidationError, match=r"\.eval_results\[0\]\.dataset\.task_id"):
        validate_eval_results([{"dataset": {"id": "sst2"}, "value": 0.9}])
    with pytest.raises(CardValidationError) as caught:
        validate_card(card({"task_categories": ["text-classifying"]}), repo_type="dataset")
    assert caught.value.key == "task_categories[0]"


def test_render_card_round_trips_through_huggingface_hub_and_keeps_edits():
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import model_index_to_eval_results

    first = render_card("model", {"license": "mit", "model-index": INDEX}, [("summary", "# m\nscore 0.9")])
    edited = first.replace("---\n\n", "---\n\nHand-written preface.\n\n", 1).replace("license: mit", "license: mit\nwidget:\n- text: hello")
    second = render_card("model", {"license": "mit", "model-index": INDEX}, [("summary", "# m\nscore 0.95")], edited)
    loaded = ModelCard(second)
    assert loaded.data.to_dict()["widget"] == [{"text": "hello"}]
    assert "Hand-written preface." in loaded.text and "score 0.95" in loaded.text and "score 0.9\n" not in loaded.text
    name, results = model_index_to_eval_results(split_card(second)[0]["model-index"])
    assert name == "m" and results[0].metric_value == 0.9


def test_dataset_cards_use_the_same_machinery_and_keep_hand_edits(tmp_path):
    from huggingface_hub import DatasetCard

    from hubkit.datasets.card import render_card as dataset_card
    from hubkit.datasets.card_check import check_card
    from hubkit.datasets.prepare import prepare
    from hubkit.datasets.validate import validate
    from helpers.data import write_small_sst2

    prepared = prepare("sst2", None, str(write_small_sst2(tmp_path / "sst2")))
    report = validate(prepared)
    first = dataset_card(prepared, report)
    assert "<!-- hubkit:begin dataset-card -->" in first and check_card(first) == []
    edited = first.replace("license: other", "license: other\nannotations_creators:\n- crowdsourced", 1)
    edited += "\n## Known issues\n\nWritten by a maintainer.\n"
    again = dataset_card(prepared, report, existing=edited)
    assert check_card(again) == [] and "## Known issues\n\nWritten by a maintainer." in again
    assert DatasetCard(again).data.to_dict()["annotations_creators"] == ["crowdsourced"]
    assert again.count("# GLUE SST-2") == 1
    with pytest.raises(CardValidationError, match="'task_categories"):
        validate_card(again.replace("- text-classification", "- text-classifying", 1), repo_type="dataset")
