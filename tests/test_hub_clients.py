"""The other client libraries against the hub server: datasets, evaluate and transformers, each
as unmodified as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from huggingface_hub import HfApi, ModelCard, RepoCard, metadata_update

from helpers.hubserver import unique_name


def run_fresh(code: str) -> str:
    """Run code in a new interpreter (fresh caches, fresh imports) and return its stdout."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            env=os.environ.copy(), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_dataset_push_to_hub_then_load_dataset_in_a_fresh_process(hub, tmp_path):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    repo_id = f"{hub.user}/{unique_name('ds')}"
    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    data = DatasetDict({
        "train": Dataset.from_dict({"text": ["good", "bad", "fine"], "label": [1, 0, 1]}, features=features),
        "validation": Dataset.from_dict({"text": ["meh"], "label": [0]}, features=features),
    })
    data.push_to_hub(repo_id)
    data["train"].push_to_hub(repo_id, config_name="second")
    files = HfApi().list_repo_files(repo_id, repo_type="dataset")
    assert any(f.startswith("data/train-") and f.endswith(".parquet") for f in files)
    out = run_fresh(f"""
        import json
        from datasets import load_dataset
        ds = load_dataset("{repo_id}", cache_dir={str(tmp_path / 'cache')!r})
        second = load_dataset("{repo_id}", "second", split="train", cache_dir={str(tmp_path / 'cache')!r})
        streamed = list(load_dataset("{repo_id}", split="train", streaming=True))
        print(json.dumps({{"train": ds["train"].to_dict(), "validation": ds["validation"].to_dict(),
                          "names": ds["train"].features["label"].names, "second": len(second),
                          "streamed": [r["text"] for r in streamed]}}))
    """)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["train"] == {"text": ["good", "bad", "fine"], "label": [1, 0, 1]}
    assert result["validation"] == {"text": ["meh"], "label": [0]}
    assert result["names"] == ["neg", "pos"] and result["second"] == 3
    assert result["streamed"] == ["good", "bad", "fine"]


METRIC_SCRIPT = '''
import datasets
import evaluate


class ExactShare(evaluate.Metric):
    """Share of predictions equal to their reference."""

    def _info(self):
        return evaluate.MetricInfo(
            description="share of exact matches", citation="", inputs_description="predictions, references",
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}))

    def _compute(self, predictions, references):
        return {"exact_share": sum(p == r for p, r in zip(predictions, references)) / len(references)}
'''


def test_evaluate_load_of_a_metric_space(hub, tmp_path):
    name = unique_name("exact-share").replace("-", "_")
    repo_id = f"{hub.user}/{name}"
    api = HfApi()
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    api.upload_file(path_or_fileobj=METRIC_SCRIPT.encode(), path_in_repo=f"{name}.py", repo_id=repo_id,
                    repo_type="space")
    out = run_fresh(f"""
        import evaluate
        metric = evaluate.load("{repo_id}", cache_dir={str(tmp_path / 'ev')!r})
        print(metric.compute(predictions=[1, 0, 1, 1], references=[1, 1, 1, 0])["exact_share"])
    """)
    assert float(out.strip().splitlines()[-1]) == 0.5


def test_transformers_push_to_hub_and_from_pretrained_of_a_tiny_bert(hub, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    repo_id = f"{hub.user}/{unique_name('tiny-bert')}"
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "movie"])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]",
                                        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=2)
    import torch

    torch.manual_seed(0)
    model = BertForSequenceClassification(config).eval()
    model.push_to_hub(repo_id)
    tokenizer.push_to_hub(repo_id)
    files = HfApi().list_repo_files(repo_id)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(files)
    inputs = tokenizer("good movie", return_tensors="pt")
    expected = model(**inputs).logits.detach().tolist()
    out = run_fresh(f"""
        import json, torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        tok = AutoTokenizer.from_pretrained("{repo_id}", cache_dir={str(tmp_path / 'tf')!r})
        model = AutoModelForSequenceClassification.from_pretrained("{repo_id}", cache_dir={str(tmp_path / 'tf')!r})
        with torch.no_grad():
            print(json.dumps(model(**tok("good movie", return_tensors="pt")).logits.tolist()))
    """)
    assert json.loads(out.strip().splitlines()[-1])[0] == pytest.approx(expected[0], abs=1e-6)

    model.config.id2label = {0: "neg", 1: "pos"}
    model.config.label2id = {"neg": 0, "pos": 1}
    model.push_to_hub(repo_id, create_pr=True, commit_message="proposal")
    refs = HfApi().list_repo_refs(repo_id, include_pull_requests=True)
    assert [p.ref for p in refs.pull_requests] == ["refs/pr/1"]


def test_model_card_push_load_and_metadata_update(hub):
    repo_id = f"{hub.user}/{unique_name('carded')}"
    HfApi().create_repo(repo_id)
    card = ModelCard("---\nlicense: apache-2.0\n---\n# My model\n\nHand-written text.\n")
    card.validate()
    card.push_to_hub(repo_id)
    metadata_update(repo_id, {"tags": ["demo"]})
    loaded = ModelCard.load(repo_id)
    assert loaded.data.license == "apache-2.0" and loaded.data.tags == ["demo"]
    assert "Hand-written text." in loaded.text
    broken = RepoCard("---\nmodel-index:\n- results:\n  - task: {}\n---\n")
    with pytest.raises(ValueError, match="model-index"):
        broken.validate()  # the server's validate-yaml names the offending key


def test_upload_folder_pipeline_with_hf_xet_installed(hub, tmp_path):
    """Without HF_HUB_DISABLE_XET, upload_folder opens PRs through the discussions API, and an LFS file
    fails fast with the server's advice instead of hanging."""
    repo_id = f"{hub.user}/{unique_name('xet-client')}"
    HfApi().create_repo(repo_id)
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "a.txt").write_text("a")
    (tmp_path / "folder" / "b.txt").write_text("b")
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_DISABLE_XET"}
    code = f"""
        from huggingface_hub import HfApi
        api = HfApi()
        commit = api.upload_folder(folder_path={str(tmp_path / 'folder')!r}, repo_id="{repo_id}", create_pr=True)
        print(commit.pr_revision)
        try:
            api.upload_file(path_or_fileobj={str(tmp_path / 'w.safetensors')!r}, path_in_repo="w.safetensors",
                            repo_id="{repo_id}")
        except Exception as exc:
            print("FAILED", exc)
    """
    (tmp_path / "w.safetensors").write_bytes(b"\x00" * 2048)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "refs/pr/1"
    assert lines[-1].startswith("FAILED") and "xet" in lines[-1].lower()
    assert sorted(HfApi().list_repo_files(repo_id, revision="refs/pr/1")) == [".gitattributes", "a.txt", "b.txt"]
    assert HfApi().list_repo_files(repo_id) == [".gitattributes"]


def test_settings_and_ref_deletion(hub):
    repo_id = f"{hub.user}/{unique_name('settings')}"
    api = HfApi()
    api.create_repo(repo_id)
    api.update_repo_settings(repo_id, private=True)
    assert api.model_info(repo_id).private is True
    api.create_branch(repo_id, branch="tmp")
    api.create_tag(repo_id, tag="t1")
    api.delete_branch(repo_id, branch="tmp")
    api.delete_tag(repo_id, tag="t1")
    refs = api.list_repo_refs(repo_id)
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []
