"""validate (errors vs warnings) and the dataset card (Hub YAML + prose, checked offline)."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

from hubkit.datasets.card import render_card, size_category
from hubkit.datasets.card_check import check_card
from hubkit.datasets.errors import DatasetError
from hubkit.datasets.prepare import prepare
from hubkit.datasets.registry import SCRIPTS_ENV
from hubkit.datasets.validate import validate

from helpers.builder_fixtures import SST2_DEV, tiny_sst2

# Every train row is one the leakage test can repeat in dev; one unlabelled test row.
TRAIN = "sentence\tlabel\na gripping film\t1\ndull , dull\t0\nsharp and funny\t1\n"
TEST = "index\tsentence\n0\tunseen words\n"


def test_leakage_is_a_warning_with_counts_and_the_distribution_is_reported(tmp_path):
    report = validate(prepare("sst2", data_dir=tiny_sst2(tmp_path, train=TRAIN, dev=SST2_DEV + "new one\t0\n", test=TEST)))
    assert report.ok
    assert report.leakage == {"validation": 1, "test": 0}
    assert report.warnings == ["leakage: 1 of 2 'validation' rows have an exact duplicate text in 'train'"]
    assert report.label_distribution["train"] == {"negative": 1, "positive": 2}
    assert report.label_distribution["test"] == {"(none)": 1}


def test_an_empty_split_is_an_error(tmp_path):
    report = validate(prepare("sst2", data_dir=tiny_sst2(tmp_path, train=TRAIN, test="index\tsentence\n")))
    assert not report.ok
    assert report.errors == ["split 'test' is empty"]


def test_squad_answers_must_sit_at_answer_start(tmp_path):
    record = {"data": [{"title": "T", "paragraphs": [{"context": "abc def", "qas": [
        {"id": "1", "question": "q?", "answers": [{"text": "def", "answer_start": 4}]},
        {"id": "2", "question": "q2?", "answers": [{"text": "def", "answer_start": 3}]}]}]}]}
    (tmp_path / "dev-v1.1.json").write_text(json.dumps(record))
    report = validate(prepare("squad", data_dir=tmp_path))
    assert report.errors == ["split 'validation': 1 answers are not found in their context at answer_start "
                             "(first: row 1, 'def' at 3)"]


TAGGER = '''
import datasets
import pyarrow as pa
from hubkit.datasets.builder import HubkitBuilder, HubkitTableBuilder
from hubkit.datasets.spec import CardInfo, TaskSpec

NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


class Tagger({base}):
    """A third-party builder that trusts its input: validate must catch what it lets through."""
    TASK = TaskSpec("token-classification", {"tokens": "tokens", "tags": "tags"})
    CARD = CardInfo(pretty_name="T", description="d", homepage="", citation="", license="unknown",
                    language=("en",), task_categories=("token-classification",))

    def _info(self):
        return datasets.DatasetInfo(features=datasets.Features({
            "tokens": datasets.List(datasets.Value("string")),
            "tags": datasets.List(datasets.ClassLabel(names=NAMES))}))

    def _split_generators(self, dl_manager):
        return [datasets.SplitGenerator("train", gen_kwargs={"rows": [
            (["Ann", "in", "Rome"], [1, 0, 3]),
            (["in", "New", "York"], [0, 4, 4]),
            (["Bob", ""], [1, 2]),
            (["Zed"], [9])]})]

    def _generate_tables(self, rows):
        yield "rows", pa.table({"tokens": [tokens for tokens, _ in rows], "tags": [tags for _, tags in rows]})

    def _generate_examples(self, rows):
        for index, (tokens, tags) in enumerate(rows):
            yield index, {"tokens": tokens, "tags": tags}
'''


def test_token_checks_catch_broken_iob2_empty_tokens_and_labels_outside_the_class_label(tmp_path, monkeypatch):
    (tmp_path / "tagger").mkdir()
    (tmp_path / "tagger" / "tagger.py").write_text(TAGGER.replace("{base}", "HubkitTableBuilder"))
    monkeypatch.setenv(SCRIPTS_ENV, str(tmp_path))
    report = validate(prepare("tagger"))
    assert sorted(report.errors) == sorted([
        "split 'train', column 'tags': 1 labels outside the ClassLabel's 0..4 (e.g. 9)",
        "split 'train': 1 sentences with no tokens or an empty token",
        "split 'train', column 'tags': 2 sentences are not well-formed IOB2 (first: row 1, token 1)",
    ])


def test_a_label_datasets_cannot_encode_is_a_one_line_error(tmp_path, monkeypatch):
    """Example by example, datasets itself refuses a class id outside the ClassLabel; prepare says so
    in one line naming the builder, as it does for a malformed file."""
    (tmp_path / "tagger").mkdir()
    (tmp_path / "tagger" / "tagger.py").write_text(TAGGER.replace("{base}", "HubkitBuilder"))
    monkeypatch.setenv(SCRIPTS_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match=r"^tagger: datasets rejected what the builder yielded: "
                                           r"ValueError: Class label 9 greater than configured num_classes 5$"):
        prepare("tagger")


def test_language_modeling_blank_lines_are_warnings_not_errors(tmp_path):
    (tmp_path / "wiki.valid.tokens").write_text(" = A = \n \n text here \n")
    report = validate(prepare("wikitext2", data_dir=tmp_path))
    assert report.ok
    assert report.warnings == ["split 'validation', column 'text': 1 empty texts (first at row 1); "
                               "kept as paragraph breaks"]


@pytest.mark.parametrize("rows, category", [(999, "n<1K"), (1000, "1K<n<10K"), (67349, "10K<n<100K")])
def test_size_category_boundaries(rows, category):
    assert size_category(rows) == category


def test_card_yaml_is_what_the_hub_and_load_dataset_read_and_prose_shows_the_data(tmp_path):
    folder = tiny_sst2(tmp_path, train=TRAIN, test=TEST)
    prepared = prepare("sst2", data_dir=folder)
    text = render_card(prepared, validate(prepared))
    assert check_card(text) == []
    data = DatasetCard(text).data
    assert data["license"] == "other" and data["license_name"] == "research-use"
    assert data["task_categories"] == ["text-classification"] and data["language"] == ["en"]
    assert data["size_categories"] == ["n<1K"] and data["pretty_name"] == "GLUE SST-2"
    configs = MetadataConfigs.from_dataset_card_data(data)
    assert configs["default"]["data_files"] == [{"split": "train", "path": "data/train-*"},
                                                {"split": "validation", "path": "data/validation-*"},
                                                {"split": "test", "path": "data/test-*"}]
    info = DatasetInfosDict.from_dataset_card_data(data)["default"]
    assert info.features == prepared.features
    assert {name: split.num_examples for name, split in info.splits.items()} == {"train": 3, "validation": 1, "test": 1}
    example = json.loads(text.split("```json\n")[1].split("```")[0])
    assert example == prepared.dataset["train"][0]
    assert "| negative | 1 | 0 | 0 |" in text and "| positive | 2 | 1 | 0 |" in text
    digest = hashlib.sha256((folder / "train.tsv").read_bytes()).hexdigest()
    assert f"| `train.tsv` | `{digest}` |" in text
    assert "builder `sst2` version 1.0.0" in text and "@inproceedings{socher2013recursive" in text


def test_a_second_config_is_merged_into_the_existing_card(tmp_path):
    for prefix, text in (("esp", "Madrid B-LOC\n\n"), ("ned", "Gent B-LOC\n\n")):
        for suffix in ("train", "testa", "testb"):
            (tmp_path / f"{prefix}.{suffix}").write_text(text)
    spanish = prepare("conll2002", config="es", data_dir=tmp_path)
    dutch = prepare("conll2002", config="nl", data_dir=tmp_path)
    first = render_card(spanish, validate(spanish))
    merged = render_card(dutch, validate(dutch), existing=first)
    assert check_card(merged) == []
    configs = MetadataConfigs.from_dataset_card_data(DatasetCard(merged).data)
    assert sorted(configs) == ["es", "nl"]
    assert configs["es"]["default"] is True and "default" not in configs["nl"]
    assert configs["nl"]["data_files"][0] == {"split": "train", "path": "nl/train-*"}
    assert sorted(DatasetInfosDict.from_dataset_card_data(DatasetCard(merged).data)) == ["es", "nl"]


def test_card_check_reports_what_the_hub_would_reject():
    card = "---\n" + yaml.safe_dump({
        "pretty_name": "X", "license": "other", "task_categories": ["text-classifying"],
        "size_categories": ["huge"], "language": ["English"],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}],
        "dataset_info": {"config_name": "other", "features": [{"name": "text", "dtype": "string"}]},
    }) + "---\n"
    assert sorted(check_card(card)) == sorted([
        "license 'other' needs a license_name",
        "size category 'huge' is not one of the Hub's",
        "task category 'text-classifying' is not one of the Hub's",
        "language 'English' is not an ISO 639 code",
        "dataset_info describes config 'other', which configs does not list",
    ])
    assert check_card("no metadata at all")[:1] == ["missing 'pretty_name'"]
    # configs that are not a list: the shared key rules say so, and so does datasets' own parser.
    not_a_list = check_card(card.replace("configs:\n- config_name: default", "configs: default\nx:\n- config_name: d"))
    assert "must be a non-empty list, got 'default'" in not_a_list
    assert "configs/dataset_info do not parse as datasets reads them: Expected configs to be a list, but got " \
           "'default'" in not_a_list
    assert check_card("---\npretty_name: [unclosed\n---\n")[0].startswith("card metadata does not parse: invalid YAML")
