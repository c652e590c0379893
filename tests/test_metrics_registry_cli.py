"""Loading metrics by name or path, plugins, and the `hubkit metrics` command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hubkit import metrics
from hubkit.cli import main
from hubkit.metrics import registry, space

BUNDLED = ["accuracy", "f1", "matthews_correlation", "mcnemar", "paired_bootstrap", "pearsonr", "perplexity",
           "precision", "recall", "seqeval", "spearmanr", "squad"]


def test_every_bundled_metric_is_listed_and_has_a_card_with_the_required_yaml():
    found = metrics.available()
    assert sorted(found) == BUNDLED
    for name in BUNDLED:
        card = (metrics.metrics_dir() / name / "README.md").read_text()
        header = card.split("---")[1]
        assert "- evaluate" in header and "description:" in header and "title:" in header
        assert ("- metric" in header) or ("- comparison" in header)
        for section in ("## Inputs", "## Output values", "## Limitations", "## Citation"):
            assert section in card, (name, section)


def test_load_by_name_by_path_and_unknown_name(tmp_path):
    assert metrics.load("f1").compute(predictions=[1, 0], references=[1, 1])["f1"] == pytest.approx(2 / 3)
    by_path = metrics.load(str(metrics.metrics_dir() / "accuracy"))
    assert by_path.compute(predictions=[1, 0], references=[1, 1])["accuracy"] == 0.5
    with pytest.raises(metrics.MetricNotFoundError, match="Did you mean precision"):
        metrics.load("precison")


def test_a_bare_bundled_name_is_not_shadowed_by_a_folder_in_the_working_directory(tmp_path, monkeypatch):
    # `hubkit baselines squad --output-dir squad` run from its parent: the output folder is not a metric.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "squad").mkdir()
    assert metrics.locate("squad") == metrics.metrics_dir() / "squad" / "squad.py"
    with pytest.raises(metrics.MetricNotFoundError, match="has no squad.py metric module"):
        metrics.locate("./squad")
    # A name no bundled metric has still loads from a folder of the working directory.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "mine.py").write_text((metrics.metrics_dir() / "accuracy" / "accuracy.py").read_text())
    assert metrics.locate("mine") == Path("mine") / "mine.py"


def test_metrics_dir_override_and_broken_module_names_its_file(tmp_path, monkeypatch):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "broken.py").write_text("import evaluate\nraise RuntimeError('boom')\n")
    monkeypatch.setenv(registry.METRICS_DIR_ENV, str(tmp_path))
    assert list(metrics.available()) == ["broken"]
    with pytest.raises(ImportError, match=r"broken\.py: RuntimeError: boom"):
        metrics.load("broken")


def test_entry_point_plugins_are_found(monkeypatch):
    class FakeEntryPoint:
        name, value = "plugin_accuracy", "somepkg:ACCURACY_DIR"

        def load(self):
            return metrics.metrics_dir() / "accuracy"

    monkeypatch.setattr(registry.importlib.metadata, "entry_points", lambda group: [FakeEntryPoint()])
    assert metrics.available()["plugin_accuracy"] == "somepkg:ACCURACY_DIR"
    assert metrics.compute("plugin_accuracy", [1, 1], [1, 0])["accuracy"] == 0.5


def test_space_files_hold_module_helpers_card_and_app():
    files = space.space_files("f1", "alice/my_f1")
    assert set(files) == {"my_f1.py", "_classification.py", "README.md", "app.py", "requirements.txt"}
    assert files["my_f1.py"] == (metrics.metrics_dir() / "f1" / "f1.py").read_bytes()
    assert b'evaluate.load("alice/my_f1")' in files["app.py"]
    assert b"sdk: gradio" in files["README.md"]
    with pytest.raises(ValueError, match="valid Python module name"):
        space.space_files("f1", "alice/my-f1")


def _write(path: Path, lines: list) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_cli_list_and_compute_with_ci(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(main, ["metrics", "list"])
    assert listed.exit_code == 0 and "seqeval" in listed.output
    preds = _write(tmp_path / "p.jsonl", [["B-PER", "O"], ["O", "B-LOC"]])
    refs = _write(tmp_path / "r.jsonl", [["B-PER", "O"], ["B-LOC", "O"]])
    result = runner.invoke(main, ["metrics", "compute", "seqeval", "--predictions", str(preds),
                                  "--references", str(refs), "--ci", "--n-resamples", "50", "--method", "bca"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert output["overall_f1"] == 0.5 and output["bootstrap"]["n_resamples"] == 50
    assert "overall_f1" in output["confidence_intervals"]


@pytest.mark.parametrize("args, message", [
    (["f1", "-o", "average=macro"], "differ in length"),
    (["nope"], "unknown metric 'nope'"),
    (["f1", "-o", "labels=[0]"], "outside the declared set"),
])
def test_cli_errors_are_one_line_and_exit_non_zero(tmp_path, args, message):
    preds = tmp_path / "p.txt"
    preds.write_text("0\n1\n1\n")
    refs = tmp_path / "r.txt"
    refs.write_text("0\n1\n" + ("1\n" if "differ" not in message else ""))
    result = CliRunner().invoke(main, ["metrics", "compute", args[0], "--predictions", str(preds),
                                       "--references", str(refs), *args[1:]])
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.strip().count("\n") == 0 and "Traceback" not in result.output


@pytest.mark.parametrize("command", [[], ["list"], ["compute"], ["push"]])
def test_help_works_for_every_subcommand(command):
    result = CliRunner().invoke(main, ["metrics", *command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
