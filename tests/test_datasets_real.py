"""The builders on the real copies in ``../shared/data`` reproduce every count its README states.

The expected numbers below are copied from that README, which was verified on these exact files.
Each dataset is also validated and carded, so the real data exercises every check.
"""

from __future__ import annotations

import collections
import os

from hubkit.datasets.card import render_card
from hubkit.datasets.card_check import check_card
from hubkit.datasets.prepare import prepare
from hubkit.datasets.validate import validate


def checked(name, data_dir, config=None):
    """Prepare, then require a clean validation and a valid card (every real dataset must pass both)."""
    prepared = prepare(name, config=config, data_dir=data_dir)
    report = validate(prepared)
    assert report.errors == []
    assert check_card(render_card(prepared, report)) == []
    return prepared


def label_counts(dataset):
    return dict(collections.Counter(dataset["label"]))


def test_sst2(real_data):
    prepared = checked("sst2", real_data / "glue" / "SST-2")
    assert prepared.split_sizes == {"train": 67_349, "validation": 872, "test": 1_821}
    assert label_counts(prepared.dataset["train"]) == {1: 37_569, 0: 29_780}
    assert label_counts(prepared.dataset["validation"]) == {1: 444, 0: 428}


def test_mrpc_from_the_glue_files_and_from_the_msr_files_agree(real_data, tmp_path):
    glue = checked("mrpc", real_data / "glue" / "MRPC")
    assert glue.split_sizes == {"train": 3_668, "validation": 408, "test": 1_725}
    positives = {split: label_counts(dataset)[1] for split, dataset in glue.dataset.items()}
    assert positives == {"train": 2_474, "validation": 279, "test": 1_147}
    for name in ("msr_paraphrase_train.txt", "msr_paraphrase_test.txt", "dev_ids.tsv"):
        os.symlink(real_data / "glue" / "MRPC" / name, tmp_path / name)
    derived = prepare("mrpc", data_dir=tmp_path).dataset
    for split in ("train", "validation"):
        assert derived[split]["sentence1"] == glue.dataset[split]["sentence1"]
        assert derived[split]["label"] == glue.dataset[split]["label"]


def test_conll2003_iob1_files(real_data):
    prepared = checked("conll2003", real_data / "conll2003")
    names = prepared.features["ner_tags"].feature.names
    counts = {}
    for split, dataset in prepared.dataset.items():
        tags = dataset["ner_tags"]
        counts[split] = (len(dataset), sum(map(len, tags)),
                         sum(names[tag].startswith("B-") for sentence in tags for tag in sentence))
    assert counts == {"train": (14_041, 203_621, 23_499), "validation": (3_250, 51_362, 5_942),
                      "test": (3_453, 46_435, 5_648)}


def test_squad_dev(real_data):
    prepared = checked("squad", real_data / "squad-v1.1")
    dev = prepared.dataset["validation"]
    assert list(prepared.dataset) == ["validation"]
    assert len(set(dev["title"])) == 48
    assert len(set(zip(dev["title"], dev["context"]))) == 2_067
    assert len(dev) == 10_570
    assert sum(len(answers["text"]) for answers in dev["answers"]) == 34_726
    assert {record.location: record.sha256[:16] for record in prepared.sources} == {
        "dev-v1.1.json": "95aa6a52d5d6a735"}


def test_wikitext2_token_counts(real_data):
    prepared = checked("wikitext2", real_data / "wikitext-2")
    tokens = {split: sum(len(line.split()) + 1 for line in dataset["text"])  # + one <eos> per line
              for split, dataset in prepared.dataset.items()}
    assert tokens == {"validation": 217_646, "test": 245_569}


def test_tiny_shakespeare_characters(real_data):
    prepared = checked("tiny_shakespeare", real_data / "tinyshakespeare")
    parts = [prepared.dataset[split]["text"][0] for split in ("train", "validation", "test")]
    assert sum(map(len, parts)) == 1_115_394
    assert "".join(parts) == (real_data / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
