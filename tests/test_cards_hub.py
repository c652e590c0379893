"""Model cards of a real run, merged, validated and pushed to the real hub server, plus
``hubkit eval --push`` (model-index, .eval_results, pull requests) and evaluation on a hub dataset.

One tiny BERT is published as a base model with a licence and a citation, fine-tuned once on
SST-2-format data (the card must inherit both), and reused by every test.
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from huggingface_hub import HfApi, ModelCard, parse_eval_result_entries
from huggingface_hub.repocard_data import model_index_to_eval_results

from hubkit.cli import main
from helpers.data import write_small_sst2
from helpers.training import fine_tune_sst2

BASE_README = """---
license: mit
---
# tiny base

```bibtex
@misc{tinybase, title={A tiny base}, year={2024}}
```
"""


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_small_sst2(tmp_path_factory.mktemp("sst2-cards"), seed=1)


@pytest.fixture(scope="module")
def base_id(hub, tiny_bert) -> str:
    repo_id = f"{hub.user}/{name('tiny-base')}"
    api = HfApi()
    api.create_repo(repo_id)
    api.upload_folder(folder_path=tiny_bert, repo_id=repo_id)
    api.upload_file(path_or_fileobj=BASE_README.encode(), path_in_repo="README.md", repo_id=repo_id)
    return repo_id


@pytest.fixture(scope="module")
def run_dir(base_id, data, tmp_path_factory) -> Path:
    return fine_tune_sst2(base_id, data, tmp_path_factory.mktemp("cards-run") / "out", epochs=2, learning_rate=1e-3)


def fetch(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read(), response.headers.get("content-type", "")


def test_card_of_a_real_run_parses_with_huggingface_hub(run_dir, data, base_id, tmp_path):
    from hubkit.cards.model_card import write_model_card

    build = write_model_card(run_dir, "alice/sst2-tiny", data_dir=str(data))
    card = ModelCard.load(run_dir / "README.md")
    meta = card.data.to_dict()
    assert meta["base_model"] == base_id and meta["license"] == "mit"  # inherited from the base model's repo
    assert meta["pipeline_tag"] == "text-classification" and meta["library_name"] == "transformers"
    # Built here from the original files: the card names the dataset's canonical Hub id, not the builder.
    assert meta["datasets"] == ["nyu-mll/glue"] and meta["language"] == ["en"] and "hubkit" in meta["tags"]
    assert {(r.dataset_type, r.dataset_config) for r in model_index_to_eval_results(meta["model-index"])[1]} == {
        ("nyu-mll/glue", "sst2")}
    name_, results = model_index_to_eval_results(meta["model-index"])
    results_json = json.loads((run_dir / "results.json").read_text())
    accuracy = results_json["aggregate"]["validation"]["accuracy"]["mean"]
    found = {(r.dataset_split, r.metric_type): r.metric_value for r in results}
    assert name_ == "alice/sst2-tiny" and found[("validation", "accuracy")] == round(accuracy, 4)
    entries_file = run_dir / ".eval_results/hubkit-sst2-default-validation.yaml"
    entries = parse_eval_result_entries(yaml.safe_load(entries_file.read_text()))
    assert entries[0].dataset_id == "nyu-mll/glue" and entries[0].task_id == "sst2-validation-accuracy"
    assert entries[0].value == round(accuracy, 4) and "95% bootstrap CI" in entries[0].notes
    text = card.text
    for heading in ("## Intended uses and limitations", "## Training data", "## Training procedure", "## Results",
                    "## Per-class report", "## Training curves", "## Environment", "## Reproduce", "## Citation"):
        assert heading in text
    assert "| negative |" in text and "Text lengths:" in text  # label distribution and lengths from the data
    assert "built locally from the source files listed below" in text and "| `train.tsv` |" in text
    assert "@misc{tinybase" in text and "@inproceedings{socher2013recursive" in text
    assert f"--model {base_id}" in text
    for path in ("plots/training_curves.png", "plots/confusion_matrix_validation.png"):
        assert (run_dir / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({path})" in text
    assert set(build.files) >= {"plots/training_curves.png", ".eval_results/hubkit-sst2-default-validation.yaml"}


def test_hand_edits_survive_regeneration_and_extra_sections_are_included(run_dir, data):
    from hubkit.cards.model_card import write_model_card

    write_model_card(run_dir, "alice/sst2-tiny", data_dir=str(data))
    readme = run_dir / "README.md"
    text = readme.read_text()
    text = text.replace("---\n\n", "---\n\nA note the author wrote.\n\n", 1)
    text = text.replace("library_name: transformers", "library_name: transformers\nwidget:\n- text: a fine film")
    text = text.replace("## Training procedure", "## Training procedure\n\nEDITED INSIDE MARKERS")
    text = text.replace("<!-- hubkit:begin usage -->", "<!-- hubkit:off usage -->\n<!-- hubkit:begin usage -->")
    text = text.replace("classifier = pipeline(", "# my own example\nclassifier = pipeline(")
    text += "\n## My own section\n\nKept as is.\n"
    readme.write_text(text)
    sections = run_dir / "card_sections"
    sections.mkdir(exist_ok=True)
    (sections / "transfer_curve.md").write_text("## Transfer curve\n\n![curve](card_sections/curve.png)\n")
    (sections / "curve.png").write_bytes((run_dir / "plots/training_curves.png").read_bytes())
    build = write_model_card(run_dir, "alice/sst2-tiny", data_dir=str(data))
    again = readme.read_text()
    assert "A note the author wrote." in again and "## My own section\n\nKept as is." in again
    assert ModelCard(again).data.to_dict()["widget"] == [{"text": "a fine film"}]
    assert "EDITED INSIDE MARKERS" not in again  # hubkit's own sections are refreshed
    assert 'my own example' in again  # the author took the usage section over
    assert "## Transfer curve" in again and "card_sections/curve.png" in build.files
    assert again.index("## Transfer curve") < again.index("## Citation")
    assert again.count("<!-- hubkit:begin results -->") == 1


def test_an_invalid_key_is_refused_before_anything_is_pushed(run_dir, data, tmp_path, hub):
    import shutil

    broken = tmp_path / "run"
    shutil.copytree(run_dir, broken)
    readme = broken / "README.md"
    # a key hubkit does not own (so it is kept on regeneration) with a value the Hub would reject
    readme.write_text(readme.read_text().replace("license: mit", "license: mit\ninference: sometimes", 1))
    repo_id = f"{hub.user}/{name('refused')}"
    result = CliRunner().invoke(main, ["card", "model", str(broken), "--push-to", repo_id, "--data-dir", str(data)])
    assert result.exit_code == 1
    assert "card metadata 'inference'" in result.output and len(result.output.strip().splitlines()) == 1
    assert not HfApi().repo_exists(repo_id)
    from hubkit.train.publish import push_output

    with pytest.raises(ValueError, match="'inference'"):
        push_output(broken, repo_id)
    assert not HfApi().repo_exists(repo_id)


def test_pushed_card_renders_on_the_hub_page_with_its_plots(run_dir, data, hub):
    from hubkit.train.publish import push_output

    (run_dir / "data_stats.json").unlink(missing_ok=True)
    from hubkit.cards.model_card import write_model_card

    write_model_card(run_dir, data_dir=str(data))  # caches the data statistics for the push
    repo_id = f"{hub.user}/{name('sst2-tiny')}"
    push_output(run_dir, repo_id)
    api = HfApi()
    files = set(api.list_repo_files(repo_id))
    assert {"README.md", "plots/training_curves.png", ".eval_results/hubkit-sst2-default-validation.yaml",
            "model.safetensors"} <= files
    assert ModelCard.load(repo_id).data.to_dict()["model-index"][0]["name"] == repo_id
    status, page, _ = fetch(f"{hub.endpoint}/{repo_id}")
    html = page.decode()
    assert status == 200 and "Intended uses and limitations" in html
    images = re.findall(r'<img src="([^"]+\.png)"', html)
    assert any(src.endswith("plots/training_curves.png") for src in images)
    assert any(src.endswith("plots/confusion_matrix_validation.png") for src in images)
    for src in images:
        status, body, kind = fetch(hub.endpoint + src)
        assert status == 200 and body[:8] == b"\x89PNG\r\n\x1a\n" and kind == "image/png"


def test_eval_on_a_hub_dataset_pushes_results_and_opens_a_pr_for_others(run_dir, data, hub, tmp_path):
    from hubkit.datasets.prepare import prepare
    from hubkit.datasets.push import push
    from hubkit.datasets.validate import validate
    from hubkit.evaluation.push import push_evaluation

    api = HfApi()
    model_id = f"{hub.user}/{name('sst2-eval')}"
    api.create_repo(model_id)
    api.upload_folder(folder_path=run_dir, repo_id=model_id, ignore_patterns=["checkpoints/**"])
    dataset_id = f"{hub.user}/{name('sst2-data')}"
    prepared = prepare("sst2", None, str(data))
    push(prepared, validate(prepared), api, dataset_id)
    dataset_sha = api.dataset_info(dataset_id).sha
    model_sha = api.model_info(model_id).sha

    out = tmp_path / "eval"
    result = CliRunner().invoke(main, ["eval", model_id, dataset_id, "--output", str(out), "--bootstrap-resamples",
                                       "200", "--push"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "results.json").read_text())
    assert record["model"] == {**record["model"], "source": "hub", "id": model_id, "revision": model_sha}
    assert record["dataset"]["revision"] == dataset_sha and record["request"]["dataset_revision"] == dataset_sha
    card = ModelCard.load(model_id)
    _, results = model_index_to_eval_results(card.data.to_dict()["model-index"])
    types = {(r.dataset_type, r.dataset_revision) for r in results}
    assert (dataset_id, dataset_sha) in types and ("nyu-mll/glue", None) in types  # training results kept, eval added
    assert "## Training procedure" in card.text and "## Evaluation: " in card.text
    key = f"{dataset_id.replace('/', '--')}-default-validation"
    files = set(api.list_repo_files(model_id))
    assert {f".eval_results/hubkit-{key}.yaml", f"evaluations/{key}/results.json",
            f"evaluations/{key}/predictions.parquet"} <= files
    entries = parse_eval_result_entries(yaml.safe_load(open(api.hf_hub_download(model_id, f".eval_results/hubkit-{key}.yaml"))))
    assert entries[0].dataset_id == dataset_id and entries[0].dataset_revision == dataset_sha
    assert entries[0].value == round(record["metrics"]["accuracy"], 4)

    bob = HfApi(endpoint=hub.endpoint, token=hub.token_for("bob"))
    main_before = api.model_info(model_id).sha
    assert push_evaluation(out, api).startswith("nothing to change")  # the same result again changes nothing
    other = tmp_path / "eval-20"
    result = CliRunner().invoke(main, ["eval", model_id, dataset_id, "--output", str(other), "--max-samples", "20",
                                       "--bootstrap-resamples", "200"])
    assert result.exit_code == 0, result.output
    url = push_evaluation(other, bob)
    assert "/discussions/" in url
    assert api.model_info(model_id).sha == main_before  # main is untouched; the PR carries the change
    refs = api.list_repo_refs(model_id, include_pull_requests=True)
    assert refs.pull_requests and refs.pull_requests[0].ref.startswith("refs/pr/")
