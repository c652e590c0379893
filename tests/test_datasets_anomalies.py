"""Builders take real files as distributed: each known flaw of a real corpus, reproduced in a few
lines, loads with a warning naming file:line, appears in the card's "Known issues", and is refused
with --strict. Structural breakage (a wrong column count, an undecodable byte) still refuses."""

from __future__ import annotations

import json

import pytest
from helpers.builder_fixtures import (
    CONLL_INNER_BOM,
    CONLL_IOB1_B_START,
    CONLL_IOB2_I_START,
    CONLL_STRAY_DOCSTART,
    CONLL_WHITESPACE_LINE,
    MRPC_HEADER,
    MRPC_ROWS,
    SQUAD,
    SST2_DUPLICATE_TEST,
    SST2_FLAWED_TRAIN,
    tiny_conll2003,
    tiny_csv,
    tiny_imdb,
    tiny_mrpc,
    tiny_rte,
    tiny_sst2,
    tiny_wikitext2,
    write,
)
from helpers.cli import hubkit

from hubkit.datasets.card import render_card
from hubkit.datasets.card_check import check_card
from hubkit.datasets.errors import SourceFileError
from hubkit.datasets.prepare import load_prepared, prepare, save
from hubkit.datasets.validate import validate


def tag_names(dataset):
    names = dataset.features["ner_tags"].feature.names
    return [[names[tag] for tag in sentence] for sentence in dataset["ner_tags"]]


def found(prepared):
    return [(anomaly.where, anomaly.kind) for anomaly in prepared.anomalies]


# --- CoNLL: the issue's own case, end to end through the CLI -------------------------------------

def test_an_i_tag_opening_an_entity_in_an_iob2_file_loads_with_a_warning_and_a_card_section(tmp_path):
    tiny_conll2003(tmp_path / "data", train=CONLL_IOB2_I_START)
    result = hubkit("datasets", "validate", "conll2003", "--data-dir", tmp_path / "data")
    assert result.exit_code == 0, result.output
    assert ("warning: eng.train:5: field 'ner': I-LOC after O opens an entity, but 2 of the file's 3 entity "
            "starts are IOB2") in result.output
    assert "conll2003: valid" in result.output

    prepared = prepare("conll2003", data_dir=tmp_path / "data")
    # Read as seqeval reads it: the I-LOC starts an entity, written B-LOC as the IOB2 features promise.
    assert tag_names(prepared.dataset["train"]) == [["B-PER", "I-PER"], ["O", "B-LOC"], ["B-LOC"]]
    card = render_card(prepared, validate(prepared))
    assert check_card(card) == []
    section = card.split("## Known issues\n\n", 1)[1].split("\n## ", 1)[0]
    assert "| `tag-scheme` | 1 |" in section
    assert "- `eng.train:5` (tag-scheme): field 'ner': I-LOC after O opens an entity" in section
    assert render_card(prepared, validate(prepared)) == card  # deterministic


def test_strict_refuses_the_anomaly_with_file_and_line_and_writes_nothing(tmp_path):
    tiny_conll2003(tmp_path / "data", train=CONLL_IOB2_I_START)
    out = tmp_path / "out"
    result = hubkit("datasets", "prepare", "conll2003", "--data-dir", tmp_path / "data", "--output-dir", out,
                    "--strict", catch_exceptions=True)
    assert result.exit_code == 1
    assert "eng.train:5: field 'ner': I-LOC after O opens an entity" in result.output
    assert "refused because of --strict" in result.output and "Traceback" not in result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["data"]

    checked = hubkit("datasets", "validate", "conll2003", "--data-dir", tmp_path / "data", "--strict",
                     catch_exceptions=True)
    assert checked.exit_code == 1
    assert "error: eng.train:5: field 'ner': I-LOC after O" in checked.output
    assert "1 validation error(s)" in checked.output


def test_an_iob1_file_takes_its_scheme_from_the_majority_and_reports_the_b_start(tmp_path):
    tiny_conll2003(tmp_path, train=CONLL_IOB1_B_START)
    prepared = prepare("conll2003", data_dir=tmp_path)
    assert found(prepared) == [("eng.train:5", "tag-scheme")]
    assert "are IOB1 (IOB1 uses B- only between two adjacent entities of one type)" in prepared.anomalies[0].message
    assert tag_names(prepared.dataset["train"]) == [["B-ORG", "O"], ["O", "B-LOC"], ["B-LOC"]]
    assert validate(prepared).errors == []


@pytest.mark.parametrize("train, kind, line, tokens", [
    (CONLL_STRAY_DOCSTART, "stray-docstart", 3, [["EU", "rejects"], ["Bonn"]]),
    (CONLL_WHITESPACE_LINE, "whitespace-line", 3, [["EU", "rejects"], ["Bonn"]]),
    (CONLL_INNER_BOM, "encoding-declaration", 4, [["EU", "rejects"], ["Bonn"]]),
])
def test_each_conll_flaw_loads_with_its_line_and_strict_refuses_it(tmp_path, train, kind, line, tokens):
    tiny_conll2003(tmp_path, train=train)
    prepared = prepare("conll2003", data_dir=tmp_path)
    assert prepared.dataset["train"]["tokens"] == tokens
    assert found(prepared) == [(f"eng.train:{line}", kind)]
    report = validate(prepared)
    assert report.errors == [] and [a.kind for a in report.anomalies] == [kind]
    assert validate(prepared, strict=True).errors[0].startswith(f"eng.train:{line}: ")
    with pytest.raises(SourceFileError, match=rf"eng.train:{line}: .*\[{kind}\]; refused because of --strict"):
        prepare("conll2003", data_dir=tmp_path, strict=True)


def test_an_undecodable_byte_still_refuses_with_its_line(tmp_path):
    tiny_sst2(tmp_path)
    (tmp_path / "train.tsv").write_bytes(b"sentence\tlabel\nfine\t1\nbad \xff byte\t0\n")
    with pytest.raises(SourceFileError, match=r"train.tsv:3: cannot decode as utf-8"):
        prepare("sst2", data_dir=tmp_path)


# --- Other builders ----------------------------------------------------------------------------

def test_sst2_reads_past_a_blank_line_and_a_mid_file_bom_and_keeps_a_duplicated_test_index(tmp_path):
    tiny_sst2(tmp_path, train=SST2_FLAWED_TRAIN, test=SST2_DUPLICATE_TEST)
    prepared = prepare("sst2", data_dir=tmp_path)
    assert prepared.dataset["train"]["sentence"] == ["a gripping film", "dull , dull"]
    assert prepared.dataset["train"]["label"] == [1, 0]
    assert prepared.dataset["test"]["idx"] == [0, 0]
    assert found(prepared) == [("train.tsv:3", "whitespace-line"), ("train.tsv:4", "encoding-declaration"),
                               ("test.tsv:3", "duplicate-id")]
    assert prepared.anomalies[2].message == "field 'index': 0 already used at line 2"
    with pytest.raises(SourceFileError, match=r"train.tsv:4: byte-order mark .*; refused because of --strict"):
        prepare("sst2", data_dir=tmp_path, strict=True)


def test_an_error_after_a_skipped_blank_line_still_names_its_own_line(tmp_path):
    tiny_sst2(tmp_path, train="sentence\tlabel\nfine\t1\n\n  \nworse\tmaybe\n")
    with pytest.raises(SourceFileError, match=r"train.tsv:5: field 'label': unknown label 'maybe'"):
        prepare("sst2", data_dir=tmp_path)


def test_rte_and_mrpc_keep_rows_whose_ids_repeat(tmp_path):
    tiny_rte(tmp_path / "rte")
    write(tmp_path / "rte" / "dev.tsv", "index\tsentence1\tsentence2\tlabel\n"
          "7\tIt rains.\tIt is wet.\tentailment\n7\tIt snows.\tIt is hot.\tnot_entailment\n")
    rte = prepare("rte", data_dir=tmp_path / "rte")
    assert rte.split_sizes["validation"] == 2 and found(rte) == [("dev.tsv:3", "duplicate-id")]

    tiny_mrpc(tmp_path / "mrpc")
    write(tmp_path / "mrpc" / "train.tsv", MRPC_HEADER + MRPC_ROWS[0] + MRPC_ROWS[1] + MRPC_ROWS[0])
    mrpc = prepare("mrpc", data_dir=tmp_path / "mrpc")
    assert mrpc.split_sizes["train"] == 3
    assert [str(a) for a in mrpc.anomalies] == [
        "train.tsv:4: field '#1 ID/#2 ID': '11/12' already used at line 2; both rows kept [duplicate-id]"]


def test_squad_keeps_both_questions_of_a_duplicated_id_and_names_its_json_path(tmp_path):
    document = json.loads(json.dumps(SQUAD))
    document["data"][0]["paragraphs"][0]["qas"][1]["id"] = "q1"
    write(tmp_path / "dev-v1.1.json", json.dumps(document))
    prepared = prepare("squad", data_dir=tmp_path)
    assert prepared.dataset["validation"]["id"] == ["q1", "q1"]
    assert [str(a) for a in prepared.anomalies] == [(
        "dev-v1.1.json: field 'data[0].paragraphs[0].qas[1].id': 'q1' already used at "
        "data[0].paragraphs[0].qas[0].id; both rows kept [duplicate-id]")]


def test_imdb_keeps_two_reviews_with_one_id(tmp_path):
    tiny_imdb(tmp_path, unsup=False)
    write(tmp_path / "train" / "pos" / "10_8.txt", "Loved it too.")
    prepared = prepare("imdb", data_dir=tmp_path)
    assert prepared.split_sizes["train"] == 4
    assert found(prepared) == [("train/pos/10_9.txt", "duplicate-id")]


def test_csv_and_wikitext_read_past_whitespace_lines_and_inner_byte_order_marks(tmp_path):
    tiny_csv(tmp_path / "csv")
    write(tmp_path / "csv" / "train.csv", 'review,stars\n"Great, really great",good\n \t \nMeh,bad\n')
    prepared = prepare("csv", data_dir=tmp_path / "csv",
                       options={"text_columns": ("review",), "label_column": "stars"})
    assert prepared.dataset["train"]["review"] == ["Great, really great", "Meh"]
    assert found(prepared) == [("train.csv:3", "whitespace-line")]

    tiny_wikitext2(tmp_path / "wiki")
    write(tmp_path / "wiki" / "wiki.test.tokens", " Another line . \n\ufeff More . \n")
    wiki = prepare("wikitext2", data_dir=tmp_path / "wiki")
    assert wiki.dataset["test"]["text"] == [" Another line . ", " More . "]
    assert found(wiki) == [("wiki.test.tokens:2", "encoding-declaration")]  # " " lines are the format


# --- One list, from build to validate and card -------------------------------------------------

def test_the_saved_build_record_carries_the_anomalies_to_validate_and_the_card(tmp_path):
    tiny_conll2003(tmp_path / "data", train=CONLL_STRAY_DOCSTART + "\n" + CONLL_IOB2_I_START)
    built = prepare("conll2003", data_dir=tmp_path / "data")
    save(built, tmp_path / "out")
    record = json.loads((tmp_path / "out" / "hubkit_build.json").read_text())
    assert [(a["file"], a["line"], a["kind"]) for a in record["anomalies"]] == [
        ("eng.train", 3, "stray-docstart"), ("eng.train", 10, "tag-scheme")]
    assert str(tmp_path) not in json.dumps(record)
    loaded = load_prepared(tmp_path / "out")
    assert loaded.anomalies == built.anomalies
    assert render_card(loaded, validate(loaded)) == render_card(built, validate(built))
