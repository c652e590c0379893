"""``hubkit datasets`` end to end through click: outputs, exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import importlib.util
import json
import tempfile

import datasets
import pytest
from click.testing import CliRunner

from hubkit.cli import main
from hubkit.datasets.card_check import check_card
from hubkit.datasets.registry import SCRIPTS_ENV

from helpers.builder_fixtures import tiny_sst2

TRAIN = "sentence\tlabel\na gripping film\t1\ndull , dull\t0\n"
TEST = "index\tsentence\n0\tunseen\n"


def run(*args):
    return CliRunner().invoke(main, ["datasets", *map(str, args)])


def leftovers(folder):
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


@pytest.mark.parametrize("command", ["list", "prepare", "validate", "card", "push", "new"])
def test_every_command_has_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_list_shows_every_builder_with_its_task_family():
    result = run("list")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert set(lines) >= {"sst2", "mrpc", "rte", "imdb", "conll2003", "conll2002", "squad", "wikitext2",
                          "tiny_shakespeare", "csv"}
    assert "token-classification" in lines["conll2003"] and "es,nl" in lines["conll2002"]


def test_prepare_saves_a_dataset_dict_and_prints_split_sizes(tmp_path):
    data = tiny_sst2(tmp_path / "SST-2", train=TRAIN, test=TEST)
    output = tmp_path / "out" / "sst2"
    result = run("prepare", "sst2", "--data-dir", data, "--output", output)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == ["train: 2 rows", "validation: 1 rows", "test: 1 rows"]
    loaded = datasets.load_from_disk(str(output))
    assert loaded["train"]["sentence"] == ["a gripping film", "dull , dull"]
    assert loaded["train"].features["label"].names == ["negative", "positive"]
    assert json.loads((output / "hubkit_build.json").read_text())["splits"] == {"train": 2, "validation": 1, "test": 1}
    assert leftovers(output.parent) == []


def test_malformed_input_is_one_line_exit_1_and_leaves_no_output(tmp_path):
    data = tiny_sst2(tmp_path / "SST-2", train="sentence\tlabel\nfine\t1\nodd\tmaybe\n", test=TEST)
    output = tmp_path / "out"
    result = run("prepare", "sst2", "--data-dir", data, "--output", output)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {data / 'train.tsv'}:3: field 'label': unknown label 'maybe'; expected one of ['0', '1']"]
    assert not output.exists() and leftovers(tmp_path) == []


def test_prepare_refuses_to_replace_output_unless_asked(tmp_path):
    data = tiny_sst2(tmp_path / "SST-2", train=TRAIN, test=TEST)
    output = tmp_path / "out"
    output.mkdir()
    (output / "keep.txt").write_text("mine")
    result = run("prepare", "sst2", "--data-dir", data, "--output", output)
    assert result.exit_code == 1 and "already exists; pass --overwrite" in result.stderr
    assert (output / "keep.txt").exists()
    result = run("prepare", "sst2", "--data-dir", data, "--output", output, "--overwrite")
    assert result.exit_code == 0
    assert not (output / "keep.txt").exists() and (output / "dataset_dict.json").exists()
    assert leftovers(tmp_path) == []


def test_validate_exits_1_on_errors_and_0_with_only_warnings(tmp_path):
    empty_test = tiny_sst2(tmp_path / "a", train=TRAIN, test="index\tsentence\n")
    result = run("validate", "sst2", "--data-dir", empty_test)
    assert result.exit_code == 1
    assert "error: split 'test' is empty" in result.stderr
    leaky = tiny_sst2(tmp_path / "b", train="sentence\tlabel\nsharp and funny\t1\ndull\t0\n", test=TEST)
    result = run("validate", "sst2", "--data-dir", leaky)
    assert result.exit_code == 0
    assert "warning: leakage: 1 of 1 'validation' rows" in result.stderr
    assert "labels train: negative 1, positive 1" in result.output


def test_card_writes_a_valid_readme(tmp_path):
    data = tiny_sst2(tmp_path / "SST-2", train=TRAIN, test=TEST)
    result = run("card", "sst2", "--data-dir", data, "--output", tmp_path / "card" / "README.md")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "card" / "README.md").read_text()
    assert check_card(text) == [] and "# GLUE SST-2" in text
    assert leftovers(tmp_path / "card") == []


def test_csv_options_reach_the_builder(tmp_path):
    (tmp_path / "train.csv").write_text("premise,hypothesis,gold\nA,B,yes\nC,D,no\n")
    result = run("prepare", "csv", "--data-dir", tmp_path, "--text-column", "premise", "--text-column",
                 "hypothesis", "--label-column", "gold", "--output", tmp_path / "out")
    assert result.exit_code == 0, result.output
    loaded = datasets.load_from_disk(str(tmp_path / "out"))
    assert loaded["train"].features["gold"].names == ["no", "yes"]
    assert loaded["train"]["gold"] == [1, 0]


def test_push_refuses_private_only_data_publicly_before_touching_any_hub(tmp_path):
    """CoNLL-2003 text is Reuters': hubkit will not publish it publicly. (No hub fixture: the refusal
    comes before any request, so the session's hub server need not even be running.)"""
    for name in ("eng.train", "eng.testa", "eng.testb"):
        (tmp_path / name).write_text("Peter NNP I-NP I-PER\n\n")
    result = run("push", "conll2003", "--data-dir", tmp_path, "--repo", "me/conll")
    assert result.exit_code == 1
    assert "does not allow public redistribution; push with --private" in result.stderr


def test_new_scaffolds_a_builder_whose_generated_test_passes(tmp_path, monkeypatch):
    scripts, tests = tmp_path / "scripts", tmp_path / "tests"
    result = run("new", "movie_votes", "--scripts-dir", scripts, "--tests-dir", tests)
    assert result.exit_code == 0, result.output
    assert (scripts / "movie_votes" / "movie_votes.py").is_file()
    monkeypatch.setenv(SCRIPTS_ENV, str(scripts))
    spec = importlib.util.spec_from_file_location("generated_test", tests / "test_dataset_movie_votes.py")
    generated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generated)
    for index, test in enumerate([generated.test_movie_votes_reads_its_layout,
                                  generated.test_movie_votes_names_the_line_of_an_unknown_label]):
        (tmp_path / f"case{index}").mkdir()
        test(tmp_path / f"case{index}")
    again = run("new", "movie_votes", "--scripts-dir", scripts, "--tests-dir", tests)
    assert again.exit_code == 1 and "already exists; not overwriting it" in again.stderr
    assert run("new", "Bad-Name", "--scripts-dir", scripts).exit_code == 1


def test_prepare_leaves_no_scratch_behind_and_no_machine_path_in_its_output(tmp_path, monkeypatch):
    """prepare runs download_and_prepare in a scratch folder: the folder goes, the splits stay in
    memory, and nothing saved names the scratch, the data folder or any other local path."""
    from hubkit.datasets.prepare import prepare, save

    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_root))
    prepared = prepare("sst2", data_dir=tiny_sst2(tmp_path / "SST-2", train=TRAIN, test=TEST))
    assert list(scratch_root.iterdir()) == []
    assert {split: dataset.cache_files for split, dataset in prepared.dataset.items()} == {
        "train": [], "validation": [], "test": []}
    assert prepared.dataset["train"]["sentence"] == ["a gripping film", "dull , dull"]
    save(prepared, tmp_path / "out")
    saved = sorted((tmp_path / "out").rglob("*.json"))
    assert [path.name for path in saved] == ["dataset_dict.json", "hubkit_build.json"] + [
        "dataset_info.json", "state.json"] * 3
    for path in saved:
        assert str(tmp_path) not in path.read_text() and "/tmp" not in path.read_text(), path
    loaded = datasets.load_from_disk(str(tmp_path / "out"))
    for split in prepared.dataset:
        assert loaded[split].data.table.equals(prepared.dataset[split].data.table)
