"""``hubkit pretrain`` corpora: each source kind (text file, .txt.gz, .jsonl, a folder of them, a
dataset repo on our hub, streamed or downloaded), the held-out end, the corpus's identity and
fingerprint, bad input, and the issue's must-show run: pre-train from a streamed Hub repo, then
fine-tune the result with ``hubkit train``, its card naming the corpus repo and commit."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import datasets
import numpy as np
import pytest
from click.testing import CliRunner

from hubkit.cli import main
from hubkit.train.corpus import open_corpus
from hubkit.train.errors import TrainingError
from helpers.data import write_corpus, write_sst2
from helpers.hubserver import unique_name


def pretrain(*args) -> object:
    return CliRunner().invoke(main, ["pretrain", *map(str, args), "--no-progress", "--bootstrap-resamples", "50"])


def texts(part) -> list[str]:
    return [row["text"] for row in part]


def old_rule_cut(documents: list[str], fraction: float) -> int:
    """The held-out end as the in-memory corpus reader cut it: the last documents holding
    ``fraction`` of the characters, at least one, never all."""
    target = fraction * sum(len(d) for d in documents)
    cut, held = len(documents), 0
    while cut > 1 and (held < target or cut == len(documents)):
        cut -= 1
        held += len(documents[cut])
    return cut


# ---------------------------------------------------------------- local files


def test_text_gzip_and_jsonl_files_each_give_their_documents(tmp_path):
    plain = tmp_path / "lines.txt"
    plain.write_bytes(b"\xef\xbb\xbffirst line\r\nsecond line\r\nthird\r\n")  # a BOM, CRLF line ends
    corpus = open_corpus(plain, validation_fraction=0.15)
    assert texts(corpus.train) == ["first line", "second line"] and texts(corpus.validation) == ["third"]
    plain.write_bytes(b"first line\r\nsecond line\r\n \t\r\nthird\r\n")  # a blank line: paragraphs
    corpus = open_corpus(plain, validation_fraction=0.15)
    assert texts(corpus.train) == ["first line\nsecond line"] and texts(corpus.validation) == ["third"]

    packed = tmp_path / "paragraphs.txt.gz"
    packed.write_bytes(gzip.compress(b"a b\nc d\n\ne f\n\n\ng h\n"))
    corpus = open_corpus(packed, validation_fraction=0.2)
    assert texts(corpus.train) == ["a b\nc d", "e f"] and texts(corpus.validation) == ["g h"]
    assert corpus.identity["files"][0]["name"] == "paragraphs.txt.gz"

    records = tmp_path / "docs.jsonl"
    records.write_text("\n".join(json.dumps(r) for r in [
        {"body": "one\n\ntwo", "id": 1}, {"body": ""}, {"body": None}, {"body": "three"}, {"body": "four"}]) + "\n")
    corpus = open_corpus(records, text_column="body", validation_fraction=0.2)
    assert texts(corpus.train) == ["one\n\ntwo", "three"] and texts(corpus.validation) == ["four"]
    assert corpus.identity["text_column"] == "body" and corpus.documents == 3


def test_a_folder_mixes_kinds_in_sorted_path_order_and_streams_on_request(tmp_path):
    folder = tmp_path / "corpus"
    (folder / "b").mkdir(parents=True)
    (folder / "b" / "z.jsonl").write_text('{"text": "from json"}\n')
    (folder / "a.txt.gz").write_bytes(gzip.compress(b"from gzip\n"))
    (folder / "b" / "a.txt").write_text("from text one\nfrom text two\n")
    (folder / "notes.md").write_text("not read")
    corpus = open_corpus(folder, validation_fraction=0.1)
    assert [f["name"] for f in corpus.identity["files"]] == ["a.txt.gz", "b/a.txt", "b/z.jsonl"]
    assert texts(corpus.train) + texts(corpus.validation) == ["from gzip", "from text one", "from text two",
                                                              "from json"]
    streamed = open_corpus(folder, validation_fraction=0.1, streaming=True)
    assert not hasattr(streamed.train, "__len__")  # an IterableDataset
    assert texts(streamed.train) == texts(corpus.train) and texts(streamed.validation) == texts(corpus.validation)
    assert "3 files" in corpus.describe() and "4 documents" in corpus.describe()


@pytest.mark.parametrize("fraction", [0.01, 0.05, 0.3, 0.5])
def test_the_held_out_end_is_cut_by_characters_across_arrow_batches(tmp_path, monkeypatch, fraction):
    from hubkit.train.corpus import cache

    rng = random.Random(7)
    documents = [" ".join("w" * rng.randint(1, 9) for _ in range(rng.randint(1, 30))) for _ in range(50)]
    (tmp_path / "c.txt").write_text("\n".join(documents) + "\n")
    monkeypatch.setattr(cache, "BATCH_ROWS", 7)  # written 7 rows a batch: the cut is found across batches
    corpus = open_corpus(tmp_path / "c.txt", validation_fraction=fraction)
    cut = old_rule_cut(documents, fraction)
    assert texts(corpus.train) == documents[:cut] and texts(corpus.validation) == documents[cut:]


def test_identity_and_fingerprint_are_stable_and_follow_the_files(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_corpus(folder / "one.txt", n_docs=20, seed=1)
    write_corpus(folder / "two.txt", n_docs=20, seed=2)
    first, again = open_corpus(folder), open_corpus(folder)
    assert first.identity == again.identity and first.fingerprint == again.fingerprint
    arrow = Path(first.train.cache_files[0]["filename"])
    written = arrow.stat().st_mtime_ns
    assert again.train.cache_files == first.train.cache_files  # the second run reads the Arrow the first wrote
    assert open_corpus(folder).documents == 40 and arrow.stat().st_mtime_ns == written
    assert str(tmp_path) not in json.dumps(first.record())  # no path of this machine
    assert open_corpus(folder, validation_fraction=0.1).fingerprint != first.fingerprint  # the split rule counts

    with (folder / "two.txt").open("a") as stream:
        stream.write("\nan added last paragraph\n")
    edited = open_corpus(folder)
    assert edited.identity["files"][0] == first.identity["files"][0]
    assert edited.identity["files"][1]["sha256"] != first.identity["files"][1]["sha256"]
    assert edited.fingerprint != first.fingerprint
    assert texts(edited.validation)[-1] == "an added last paragraph"


BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


@pytest.mark.parametrize("name, content, message", [
    ("blank.txt", b"\n   \n\t\n\n", "holds no text"),
    ("empty.jsonl", b'{"text": ""}\n{"text": "   "}\n{"text": null}\n', "holds no text"),
    ("image.txt", BINARY, "a binary file (NUL byte at offset 8)"),
    ("latin1.txt", "line one\ncaf\xe9 au lait\n".encode("latin-1"), "not UTF-8 text (invalid byte at offset 12"),
    ("bad.jsonl", b'{"text": "fine"}\n{"text": "cut off\n', "bad.jsonl:2: not a JSON line"),
    ("array.jsonl", b'["text"]\n', "array.jsonl:1: a JSON list"),
    ("other.jsonl", b'{"body": "x", "id": 1}\n', "no column 'text' (its columns: body, id)"),
    ("broken.txt.gz", gzip.compress(b"some text\n" * 100)[:-20], "not a readable gzip file"),
])
def test_bad_corpora_are_one_line_naming_them_and_leave_nothing(tmp_path, name, content, message):
    corpus = tmp_path / "in" / name
    corpus.parent.mkdir()
    corpus.write_bytes(content)
    out = tmp_path / "out"
    result = pretrain(corpus, "--objective", "clm", "--size", "tiny", "--output-dir", out)
    assert result.exit_code == 1 and message in result.output, result.output
    assert name in result.output and len(result.output.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no OUT, no partial folder
    assert not list(Path(datasets.config.HF_DATASETS_CACHE).glob("hubkit_corpora/*.partial"))  # no half corpus


def test_flags_that_do_not_fit_a_local_corpus_are_refused(tmp_path):
    corpus = write_corpus(tmp_path / "c.txt", n_docs=5)
    with pytest.raises(TrainingError, match="--text-column applies to .jsonl files"):
        open_corpus(corpus, text_column="body")
    with pytest.raises(TrainingError, match="--dataset-revision applies to a dataset repo"):
        open_corpus(corpus, revision="main")
    with pytest.raises(TrainingError, match="corpus acme-x does not exist; give a text file"):
        open_corpus("acme-x")


# ---------------------------------------------------------------- dataset repos on our hub


def push_text_repo(hub, documents: list[str], validation: list[str] | None = None, column: str = "text") -> str:
    import datasets

    repo_id = f"{hub.user}/{unique_name('corpus')}"
    splits = {"train": datasets.Dataset.from_dict({column: documents, "id": list(range(len(documents)))})}
    if validation is not None:
        splits["validation"] = datasets.Dataset.from_dict({column: validation, "id": list(range(len(validation)))})
    datasets.DatasetDict(splits).push_to_hub(repo_id)
    return repo_id


def head_sha(repo_id: str) -> str:
    from huggingface_hub import HfApi

    return HfApi().dataset_info(repo_id).sha


@pytest.mark.parametrize("streaming", [True, False])
def test_a_repo_is_read_at_its_commit_with_its_validation_split(hub, streaming):
    repo_id = push_text_repo(hub, ["alpha doc", "", "beta doc", "gamma doc"], ["held one", "held two"])
    first_sha = head_sha(repo_id)
    corpus = open_corpus(repo_id, streaming=streaming)
    assert texts(corpus.train) == ["alpha doc", "beta doc", "gamma doc"]  # the empty row dropped
    assert texts(corpus.validation) == ["held one", "held two"]
    assert corpus.identity == {"source": "hub", "repo_id": repo_id, "revision": first_sha, "config": "default",
                               "split": "train", "text_column": "text"}
    assert corpus.rule == {"validation_split": "validation"}
    assert f"{repo_id}@{first_sha[:12]}" in corpus.describe()

    import datasets

    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"text": ["changed"] * 3, "id": [0, 1, 2]}),
                          "validation": datasets.Dataset.from_dict({"text": ["v"], "id": [0]})}).push_to_hub(repo_id)
    assert head_sha(repo_id) != first_sha
    pinned = open_corpus(repo_id, revision=first_sha, streaming=streaming)
    assert texts(pinned.train) == ["alpha doc", "beta doc", "gamma doc"]
    assert pinned.fingerprint == corpus.fingerprint
    assert open_corpus(repo_id, streaming=streaming).fingerprint != corpus.fingerprint


def test_a_repo_without_validation_split_holds_out_its_end_by_rows_unless_uncountable(hub):
    from huggingface_hub import HfApi

    repo_id = f"{hub.user}/{unique_name('corpus-plain')}"
    HfApi().create_repo(repo_id, repo_type="dataset")
    rows = "".join(json.dumps({"content": f"document {i}", "n": i}) + "\n" for i in range(20))
    HfApi().upload_file(path_or_fileobj=rows.encode(), path_in_repo="train.jsonl", repo_id=repo_id,
                        repo_type="dataset")
    with pytest.raises(TrainingError, match="row count is unknown.*--validation-split"):
        open_corpus(repo_id, text_column="content", streaming=True)
    corpus = open_corpus(repo_id, text_column="content", validation_fraction=0.1)
    assert texts(corpus.validation) == ["document 18", "document 19"] and len(corpus.train) == 18
    assert corpus.rule == {"validation_fraction": 0.1, "by": "rows"}
    # Once counted here (datasets keeps the count of that commit), a stream can be cut too.
    streamed = open_corpus(repo_id, text_column="content", validation_fraction=0.1, streaming=True)
    assert texts(streamed.validation) == ["document 18", "document 19"]
    assert streamed.fingerprint == corpus.fingerprint


@pytest.mark.parametrize("kwargs, message", [
    ({"text_column": "body"}, "has no column 'body' (its columns: text, id); choose one with --text-column"),
    ({"text_column": "id"}, "column 'id' holds"),
    ({"validation_split": "test"}, "has no split 'test' for --validation-split (its splits: train, validation)"),
    ({"revision": "no-such-branch"}, "has no revision 'no-such-branch'"),
])
def test_bad_repo_requests_name_the_repo_and_what_exists(hub, kwargs, message):
    repo_id = push_text_repo(hub, ["a", "b"], ["c"])
    with pytest.raises(TrainingError) as caught:
        open_corpus(repo_id, streaming=True, **kwargs)
    assert message in str(caught.value) and repo_id in str(caught.value)


def test_a_missing_repo_and_an_all_empty_column_are_one_line(hub, tmp_path):
    out = tmp_path / "out"
    result = pretrain(f"{hub.user}/no-such-corpus", "--objective", "clm", "--size", "tiny", "--output-dir", out)
    assert result.exit_code == 1 and "neither a local file or folder nor a dataset repo" in result.output
    assert len(result.output.strip().splitlines()) == 1
    repo_id = push_text_repo(hub, ["", "  ", ""], ["x"])
    result = pretrain(repo_id, "--streaming", "--max-steps", "2", "--objective", "clm", "--size", "tiny",
                      "--output-dir", out)
    assert result.exit_code == 1 and "holds no text (every document is empty)" in result.output, result.output
    assert repo_id in result.output and len(result.output.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_pretrain_streamed_from_a_hub_repo_then_fine_tuned_and_carded(hub, tmp_path):
    """The issue's must-show: a text dataset repo on our hub, pre-trained from with --streaming; the
    model fine-tunes with ``hubkit train``, and its card names the corpus repo and sha."""
    from huggingface_hub import ModelCard
    from transformers import AutoModelForSequenceClassification, BertForMaskedLM

    from hubkit.repocard.validate import validate_card

    documents = write_corpus(tmp_path / "made-up.txt", n_docs=90).read_text().split("\n\n")
    repo_id = push_text_repo(hub, [d.strip() for d in documents[:80]], [d.strip() for d in documents[80:]])
    sha = head_sha(repo_id)
    out = tmp_path / "pretrained"
    result = pretrain(repo_id, "--text-column", "text", "--streaming", "--max-steps", 30, "--objective", "mlm",
                      "--size", "tiny", "--vocab-size", 300, "--block-size", 32, "--learning-rate", 2e-3,
                      "--output-dir", out)
    assert result.exit_code == 0, result.output
    assert f"corpus: dataset {repo_id}@{sha[:12]}" in result.output
    results = json.loads((out / "results.json").read_text())
    assert results["corpus"]["repo_id"] == repo_id and results["corpus"]["revision"] == sha
    assert results["corpus"]["validation_split"] == "validation"  # a stream: its length is not known up front
    assert results["corpus"]["streaming"] and results["recipe"]["max_steps"] == 30
    validation = results["per_seed"][0]["metrics"]["validation"]
    assert validation["perplexity"] < validation["perplexity_at_init"]

    card_text = (out / "README.md").read_text()
    validate_card(card_text)
    card = ModelCard(card_text)
    assert card.data.datasets == [repo_id] and card.data.pipeline_tag == "fill-mask"
    assert sha in card.text and f"{validation['perplexity']:.4f}" in card.text
    assert (f"hubkit pretrain {repo_id} --dataset-revision {sha} --text-column text --validation-split validation "
            "--streaming --objective mlm --size tiny") in card.text
    # The card's command runs as written: a streamed run is as long as its --max-steps, and has no epochs.
    assert "--max-steps 30 " in card.text and "--epochs" not in card.text
    assert str(tmp_path) not in card_text and str(tmp_path) not in (out / "results.json").read_text()

    sst2 = write_sst2(tmp_path / "sst2", n_train=64, n_dev=16, seed=1, n_test=1)
    tuned = tmp_path / "tuned"
    result = CliRunner().invoke(main, ["train", "sst2", "--data-dir", str(sst2), "--model", str(out), "--output-dir",
                                       str(tuned), "--epochs", "1", "--learning-rate", "1e-3", "--no-progress",
                                       "--bootstrap-resamples", "20"])
    assert result.exit_code == 0, result.output
    base = json.loads((tuned / "results.json").read_text())["base_model"]["id"]  # recorded relative to OUT
    assert (tuned / base).resolve() == out.resolve()
    # The classifier starts from the pre-trained encoder, not from a fresh one.
    pretrained = BertForMaskedLM.from_pretrained(out).bert.embeddings.word_embeddings.weight.detach().numpy()
    tuned_weights = AutoModelForSequenceClassification.from_pretrained(tuned).bert.embeddings.word_embeddings
    tuned_weights = tuned_weights.weight.detach().numpy()
    assert tuned_weights.shape == (300, pretrained.shape[1])
    cosine = float((pretrained * tuned_weights).sum() / np.linalg.norm(pretrained) / np.linalg.norm(tuned_weights))
    assert cosine > 0.9
