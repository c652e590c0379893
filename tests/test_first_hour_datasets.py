"""Issue 17, points 1, 6, 7 and 8: the first hour with ``hubkit datasets`` has no silent surprise.

A misspelt label column fails in one line; ``card --output`` treats folders and existing files as a
Hugging Face user expects; a builder of one's own is found by name; the csv builder takes one file,
carves a validation split and records the card facts it is given; a bare repo id is the token user's.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from huggingface_hub import HfApi

from hubkit.cli import main
from hubkit.datasets.registry import SCRIPTS_ENV


def run(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(arg) for arg in args], env=env)


def write_reviews(path: Path, rows: int = 20) -> Path:
    """A CSV with ``text`` and ``label`` columns, as a practitioner's own data would be."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "label"])
        for index in range(rows):
            writer.writerow([f"review number {index}", "pos" if index % 2 else "neg"])
    return path


def hidden(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


# Point 1: a typo in the label column


def test_a_misspelt_label_column_fails_in_one_line_naming_column_file_and_columns(tmp_path):
    data = tmp_path / "reviews"
    data.mkdir()
    write_reviews(data / "train.csv")
    output = tmp_path / "out"
    result = run("datasets", "prepare", "csv", "--data-dir", data, "--text-column", "text",
                 "--label-column", "sentiment", "--output", output)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {data / 'train.csv'}: no label column 'sentiment'; the columns are text, label"]
    assert not output.exists() and hidden(tmp_path) == []


def test_validate_calls_a_class_label_without_names_an_error(tmp_path):
    """What the typo used to build (no class names, every label -1) is not "valid"."""
    import datasets

    from hubkit.datasets.prepare import Prepared
    from hubkit.datasets.spec import CardInfo, TaskSpec
    from hubkit.datasets.validate import validate

    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=[])})
    table = datasets.Dataset.from_dict({"text": ["good", "bad"], "label": [-1, -1]}, features=features)
    prepared = Prepared(name="csv", config_name="default", config_names=["default"], default_config="default",
                        version="1.0.0", dataset=datasets.DatasetDict({"train": table}),
                        card=CardInfo("x", "x", "", "", "unknown", (), ()),
                        task=TaskSpec("text-classification", {"text": "text", "label": "label"}), sources=[])
    report = validate(prepared)
    assert not report.ok
    assert report.errors == ["split 'train', column 'label': the ClassLabel has no class names "
                             "(is the label column right?)"]


# Point 6: card --output with a folder or an existing file


def test_card_output_folder_gets_readme_and_an_existing_file_needs_overwrite(tmp_path):
    data = write_reviews(tmp_path / "reviews.csv")
    folder = tmp_path / "repo"
    folder.mkdir()
    first = run("datasets", "card", "csv", "--data-dir", data, "--output", folder)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"wrote {folder / 'README.md'}"
    assert (folder / "README.md").read_text().startswith("---\n")
    assert hidden(folder) == []

    (folder / "README.md").write_text("my own card\n")
    again = run("datasets", "card", "csv", "--data-dir", data, "--output", folder / "README.md")
    assert again.exit_code == 1
    assert again.stderr.strip() == f"Error: {folder / 'README.md'} already exists; pass --overwrite to replace it"
    assert (folder / "README.md").read_text() == "my own card\n" and hidden(folder) == []

    replaced = run("datasets", "card", "csv", "--data-dir", data, "--output", folder / "README.md", "--overwrite")
    assert replaced.exit_code == 0 and (folder / "README.md").read_text().startswith("---\n")
    assert hidden(folder) == []


# Point 7: custom datasets


def test_new_writes_into_the_current_folder_and_prepare_finds_it(tmp_path, monkeypatch):
    import hubkit

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(SCRIPTS_ENV, raising=False)
    created = run("datasets", "new", "movie_votes", "--tests-dir", tmp_path / "tests")
    assert created.exit_code == 0, created.output
    assert (tmp_path / "dataset_scripts" / "movie_votes" / "movie_votes.py").is_file()
    assert not (Path(hubkit.__file__).parent.parent / "dataset_scripts" / "movie_votes").exists()
    listed = run("datasets", "list")
    assert {"movie_votes", "sst2"} <= {line.split()[0] for line in listed.output.splitlines()}


def test_a_scripts_dir_given_to_new_is_found_by_prepare(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(SCRIPTS_ENV, raising=False)
    scripts = tmp_path / "my_builders"
    assert run("datasets", "new", "movie_votes", "--scripts-dir", scripts, "--tests-dir", tmp_path / "t").exit_code == 0
    raw = tmp_path / "raw"
    raw.mkdir()
    for split in ("train", "validation", "test"):
        (raw / f"{split}.tsv").write_text("text\tlabel\nfine\tpositive\nbad\tnegative\n")
    result = run("datasets", "prepare", "movie_votes", "--scripts-dir", scripts, "--data-dir", raw,
                 "--output", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "train: 2 rows" in result.output
    assert run("datasets", "validate", "movie_votes", "--data-dir", raw).exit_code == 1  # not found without it


def test_the_scripts_environment_variable_adds_to_the_built_in_builders(tmp_path):
    scripts = tmp_path / "extra"
    assert run("datasets", "new", "movie_votes", "--scripts-dir", scripts, "--tests-dir", tmp_path / "t").exit_code == 0
    listed = run("datasets", "list", env={SCRIPTS_ENV: str(scripts)})
    names = {line.split()[0] for line in listed.output.splitlines()}
    assert {"movie_votes", "sst2", "csv"} <= names
    assert "HUBKIT_DATASET_SCRIPTS" in run("datasets", "list", "--help").output


def test_csv_takes_one_file_carves_a_seeded_validation_split_and_card_facts(tmp_path):
    from datasets import load_from_disk

    data = write_reviews(tmp_path / "reviews.csv", rows=20)
    splits = []
    for attempt in ("a", "b"):
        output = tmp_path / attempt
        result = run("datasets", "prepare", "csv", "--data-dir", data, "--validation-fraction", "0.2",
                     "--output", output)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[:2] == ["train: 16 rows", "validation: 4 rows"]
        splits.append(load_from_disk(str(output))["validation"]["text"])
    assert splits[0] == splits[1]  # deterministic

    card = tmp_path / "card.md"
    result = run("datasets", "card", "csv", "--data-dir", data, "--license", "cc-by-4.0",
                 "--pretty-name", "Reviews demo", "--output", card)
    assert result.exit_code == 0, result.output
    text = card.read_text()
    assert "license: cc-by-4.0" in text and "# Reviews demo" in text
    assert "homepage" not in text.split("## Licence", 1)[1]


# Point 8: a repo id without a namespace


def test_a_bare_repo_id_is_the_token_users_and_the_full_id_is_printed(hub, tmp_path):
    data = write_reviews(tmp_path / "reviews.csv")
    result = run("datasets", "push", "csv", "--data-dir", data, "--repo", "reviews-demo")
    assert result.exit_code == 0, result.output
    assert f"using repo {hub.user}/reviews-demo (the token's user)" in result.output
    assert HfApi(endpoint=hub.endpoint, token=hub.token).repo_exists(f"{hub.user}/reviews-demo",
                                                                     repo_type="dataset")


def test_a_malformed_repo_id_is_one_line(hub, tmp_path):
    data = write_reviews(tmp_path / "reviews.csv")
    result = run("datasets", "push", "csv", "--data-dir", data, "--repo", "a/b/c")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: repo id 'a/b/c' is not NAME or NAMESPACE/NAME"


@pytest.mark.parametrize("repo_id, expected", [("alice/x", "alice/x"), ("x", "bob/x")])
def test_full_repo_id_asks_whoami_only_without_a_namespace(repo_id, expected):
    from hubkit.repo_ids import full_repo_id

    class Api:
        calls = 0

        def whoami(self):
            Api.calls += 1
            return {"name": "bob"}

    assert full_repo_id(repo_id, Api()) == expected
    assert Api.calls == (0 if "/" in repo_id else 1)


# Point 12: pushing an already-prepared folder


def test_a_prepared_folder_is_pushed_as_built_with_its_options(hub, tmp_path):
    from datasets import load_dataset

    from helpers.hubserver import unique_name

    data = write_reviews(tmp_path / "reviews.csv", rows=20)
    prepared = tmp_path / "prepared"
    result = run("datasets", "prepare", "csv", "--data-dir", data, "--validation-fraction", "0.2",
                 "--license", "cc-by-4.0", "--output-dir", prepared)
    assert result.exit_code == 0, result.output
    data.unlink()  # the original files are gone: the push must not need them
    repo_id = f"{hub.user}/{unique_name('prepared')}"
    result = run("datasets", "push", "csv", "--prepared", prepared, "--repo", repo_id)
    assert result.exit_code == 0, result.output
    pushed = load_dataset(repo_id)
    assert {split: pushed[split].num_rows for split in pushed} == {"train": 16, "validation": 4}
    card = HfApi().hf_hub_download(repo_id, "README.md", repo_type="dataset")
    assert "license: cc-by-4.0" in Path(card).read_text()


def test_a_prepared_folder_of_another_dataset_or_not_prepared_is_one_line(hub, tmp_path):
    prepared = tmp_path / "prepared"
    assert run("datasets", "prepare", "csv", "--data-dir", write_reviews(tmp_path / "r.csv"),
               "--output-dir", prepared).exit_code == 0
    wrong = run("datasets", "push", "sst2", "--prepared", prepared, "--repo", f"{hub.user}/x")
    assert wrong.exit_code == 1 and f"{prepared} holds 'csv', not 'sst2'" in wrong.stderr
    (tmp_path / "plain").mkdir()
    plain = run("datasets", "push", "csv", "--prepared", tmp_path / "plain", "--repo", f"{hub.user}/x")
    assert plain.exit_code == 1 and "not a folder `hubkit datasets prepare --output-dir` wrote" in plain.stderr
    both = run("datasets", "push", "csv", "--prepared", prepared, "--data-dir", tmp_path, "--repo", f"{hub.user}/x")
    assert both.exit_code == 2 and "drop --data-dir" in both.output + both.stderr
