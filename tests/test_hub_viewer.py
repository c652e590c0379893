"""The dataset viewer API (``/viewer/...``) over real HTTP, on datasets pushed with hubkit.

Every figure the viewer answers is checked against the same figure computed here with pyarrow
from the very Parquet files the repo holds (downloaded with huggingface_hub).
"""

from __future__ import annotations

import io
import json
import os
import urllib.parse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from helpers.cli import hubkit
from helpers.hubserver import request, unique_name
from huggingface_hub import HfApi, hf_hub_download


def viewer(hub, route: str, token: str | None = None, **params):
    token = hub.token if token is None else token or None
    response = request(hub.endpoint, "GET", f"/viewer/{route}?{urllib.parse.urlencode(params)}", token=token)
    return response


def ok(hub, route: str, **params) -> tuple[dict, str]:
    response = viewer(hub, route, **params)
    assert response.status == 200, (route, params, response.body[:500])
    return response.json(), response.headers["x-revision"]


def pushed_split(repo: str, split: str) -> pa.Table:
    path = hf_hub_download(repo, f"data/{split}-00000-of-00001.parquet", repo_type="dataset")
    return pq.read_table(path)


@pytest.fixture(scope="module")
def real_data():
    """Module-wide (each push takes seconds): the same folder as conftest's ``real_data``."""
    path = Path(os.environ.get("HUBKIT_REAL_DATA", Path(__file__).parents[1].parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip("real datasets not available (set HUBKIT_REAL_DATA)")
    return path


@pytest.fixture(scope="module")
def sst2(hub, real_data) -> str:
    repo = f"{hub.user}/{unique_name('sst2-viewer')}"
    result = hubkit("datasets", "push", "sst2", "--data-dir", real_data / "glue" / "SST-2", "--repo", repo)
    assert result.exit_code == 0, result.output
    return repo


@pytest.fixture(scope="module")
def conll(hub, real_data) -> str:
    repo = f"{hub.user}/{unique_name('conll-viewer')}"
    result = hubkit("datasets", "push", "conll2003", "--data-dir", real_data / "conll2003", "--repo", repo, "--private")
    assert result.exit_code == 0, result.output
    return repo


def test_sst2_pages_search_filter_and_statistics_match_pyarrow_on_its_parquet(hub, sst2):
    sha = HfApi().dataset_info(sst2).sha
    body, revision = ok(hub, "splits", dataset=sst2)
    assert revision == sha
    assert body["splits"] == [{"dataset": sst2, "config": "default", "split": s} for s in ("train", "validation", "test")]
    assert ok(hub, "is-valid", dataset=sst2)[0] == {"preview": True, "viewer": True, "search": True, "filter": True,
                                                     "statistics": True}
    train = pushed_split(sst2, "train")
    names = ["negative", "positive"]

    first, _ = ok(hub, "first-rows", dataset=sst2, config="default", split="train")
    assert [f["name"] for f in first["features"]] == train.column_names
    assert first["features"][1] == {"feature_idx": 1, "name": "label", "type": {"names": names, "_type": "ClassLabel"}}
    assert [r["row"] for r in first["rows"]] == train.slice(0, 100).to_pylist()
    assert [r["row_idx"] for r in first["rows"]] == list(range(100))

    middle = train.num_rows // 2
    for offset, length in ((0, 7), (middle, 100), (train.num_rows - 30, 100), (train.num_rows + 5, 10)):
        page, _ = ok(hub, "rows", dataset=sst2, config="default", split="train", offset=offset, length=length)
        assert page["num_rows_total"] == train.num_rows and page["num_rows_per_page"] == 100
        assert [r["row"] for r in page["rows"]] == train.slice(offset, length).to_pylist()
        assert [r["row_idx"] for r in page["rows"]] == list(range(offset, min(offset + length, train.num_rows)))
        assert page["partial"] is False and all(r["truncated_cells"] == [] for r in page["rows"])

    sentences = train.column("sentence")
    wanted = pc.and_(pc.match_substring(sentences, "wonderful", ignore_case=True),
                     pc.match_substring(sentences, "film", ignore_case=True))
    expected = np.flatnonzero(wanted.to_numpy(zero_copy_only=False))
    found, _ = ok(hub, "search", dataset=sst2, config="default", split="train", query="Wonderful FILM", offset=1, length=5)
    assert found["num_rows_total"] == len(expected) > 6
    assert [r["row_idx"] for r in found["rows"]] == expected[1:6].tolist()
    assert [r["row"] for r in found["rows"]] == train.take(expected[1:6]).to_pylist()

    condition = "label = 1 AND (idx < 300 OR sentence LIKE '%masterpiece%') AND NOT idx IN (2, 6)"
    mask = pc.and_(pc.and_(pc.equal(train["label"], 1), pc.or_(pc.less(train["idx"], 300),
                                                                  pc.match_like(train["sentence"], "%masterpiece%"))),
                   pc.invert(pc.is_in(train["idx"], pa.array([2, 6]))))
    expected = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
    filtered, _ = ok(hub, "filter", dataset=sst2, config="default", split="train", where=condition, offset=100, length=100)
    assert filtered["num_rows_total"] == len(expected)
    assert [r["row_idx"] for r in filtered["rows"]] == expected[100:200].tolist()

    stats, _ = ok(hub, "statistics", dataset=sst2, config="default", split="train")
    assert stats["num_examples"] == train.num_rows and stats["partial"] is False
    by_column = {s["column_name"]: s for s in stats["statistics"]}
    counts = train["label"].value_counts().to_pylist()
    assert by_column["label"]["column_type"] == "class_label"
    assert by_column["label"]["column_statistics"]["frequencies"] == {names[c["values"]]: c["counts"] for c in counts}
    idx = by_column["idx"]["column_statistics"]
    assert by_column["idx"]["column_type"] == "int"
    assert (idx["min"], idx["max"]) == (pc.min(train["idx"]).as_py(), pc.max(train["idx"]).as_py())
    assert idx["mean"] == round(pc.mean(train["idx"]).as_py(), 5)
    assert sum(idx["histogram"]["hist"]) == train.num_rows
    lengths = pc.utf8_length(sentences)
    text = by_column["sentence"]
    assert text["column_type"] == "string_text"
    assert (text["column_statistics"]["min"], text["column_statistics"]["max"]) == (pc.min(lengths).as_py(), pc.max(lengths).as_py())
    assert text["column_statistics"]["mean"] == round(pc.mean(lengths).as_py(), 5)
    assert text["column_statistics"]["std"] == round(pc.stddev(lengths, ddof=1).as_py(), 5)
    assert text["column_statistics"]["nan_count"] == sentences.null_count

    size, _ = ok(hub, "size", dataset=sst2)
    assert [s["num_rows"] for s in size["size"]["splits"]] == [train.num_rows, pushed_split(sst2, "validation").num_rows,
                                                               pushed_split(sst2, "test").num_rows]


def test_conll2003_lists_and_its_privacy(hub, conll):
    train = pushed_split(conll, "train")
    page, _ = ok(hub, "rows", dataset=conll, config="default", split="train", offset=5000, length=100)
    assert [r["row"] for r in page["rows"]] == train.slice(5000, 100).to_pylist()
    features = {f["name"]: f["type"] for f in page["features"]}
    assert features["ner_tags"]["_type"] == "List" and features["ner_tags"]["feature"]["names"][:3] == ["O", "B-PER", "I-PER"]

    stats, _ = ok(hub, "statistics", dataset=conll, config="default", split="train")
    tokens = next(s for s in stats["statistics"] if s["column_name"] == "tokens")
    lengths = pc.list_value_length(train["tokens"])
    assert tokens["column_type"] == "list"
    assert (tokens["column_statistics"]["min"], tokens["column_statistics"]["max"]) == \
        (pc.min(lengths).as_py(), pc.max(lengths).as_py())
    assert tokens["column_statistics"]["mean"] == round(pc.mean(lengths).as_py(), 5)

    found, _ = ok(hub, "search", dataset=conll, config="default", split="train", query="100", length=3)
    expected = np.flatnonzero(pc.match_substring(train["id"], "100").to_numpy(zero_copy_only=False))
    # only top-level string columns are searched: ``id`` here, not the token lists
    assert found["num_rows_total"] == len(expected) > 3
    assert [r["row_idx"] for r in found["rows"]] == expected[:3].tolist()
    filtered, _ = ok(hub, "filter", dataset=conll, config="default", split="train", where="id = '42' OR id = '7'")
    assert [r["row"]["id"] for r in filtered["rows"]] == ["7", "42"]

    stranger = hub.token_for(unique_name("bob"))
    for route in ("is-valid", "splits", "first-rows", "rows", "search", "filter", "statistics", "size", "parquet", "info"):
        params = {"dataset": conll, "config": "default", "split": "train", "query": "x", "where": "id = '1'"}
        hidden = viewer(hub, route, token=stranger, **params)
        assert (hidden.status, hidden.headers["x-error-code"]) == (404, "RepoNotFound"), route
        assert viewer(hub, route, token="", **params).status == 401
        assert viewer(hub, route, **params).status == 200, route
    listing = request(hub.endpoint, "GET", f"/api/datasets/{conll}/parquet", token=stranger)
    assert listing.status == 404
    shard = request(hub.endpoint, "GET", f"/api/datasets/{conll}/parquet/default/train/0.parquet", token=hub.token)
    assert shard.status == 200 and pq.read_table(io.BytesIO(shard.body)).equals(train)


def test_csv_jsonl_and_arrow_splits_are_converted_once_and_a_new_commit_invalidates_the_cache(hub):
    api = HfApi()
    repo = api.create_repo(f"{hub.user}/{unique_name('viewer-formats')}", repo_type="dataset").repo_id
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, pa.schema([("text", pa.string()), ("score", pa.float64())])) as writer:
        writer.write_table(pa.table({"text": ["x", "y", None], "score": [0.5, float("nan"), 2.5]}))
    for path, content in (("data/train.csv", b"text,score\nalpha,1\nbeta,2\ngamma,3\n"),
                          ("data/test.jsonl", b'{"text": "one", "score": 1}\n{"text": "two", "score": null}\n'),
                          ("data/validation.arrow", sink.getvalue())):
        api.upload_file(path_or_fileobj=content, path_in_repo=path, repo_id=repo, repo_type="dataset")
    first_sha = api.dataset_info(repo).sha
    splits, _ = ok(hub, "splits", dataset=repo)
    assert {s["split"] for s in splits["splits"]} == {"train", "test", "validation"}
    rows, revision = ok(hub, "rows", dataset=repo, config="default", split="train")
    assert revision == first_sha
    assert [r["row"] for r in rows["rows"]] == [{"text": "alpha", "score": 1}, {"text": "beta", "score": 2},
                                                {"text": "gamma", "score": 3}]
    test_rows, _ = ok(hub, "rows", dataset=repo, config="default", split="test")
    assert [r["row"] for r in test_rows["rows"]] == [{"text": "one", "score": 1}, {"text": "two", "score": None}]
    validation, _ = ok(hub, "statistics", dataset=repo, config="default", split="validation")
    score = next(s for s in validation["statistics"] if s["column_name"] == "score")["column_statistics"]
    assert (score["nan_count"], score["min"], score["max"]) == (1, 0.5, 2.5)
    assert ok(hub, "rows", dataset=repo, config="default", split="validation")[0]["rows"][1]["row"] == \
        {"text": "y", "score": None}  # NaN is not JSON

    api.upload_file(path_or_fileobj=b"text,score\ndelta,4\n", path_in_repo="data/train.csv", repo_id=repo,
                    repo_type="dataset")
    second_sha = api.dataset_info(repo).sha
    rows, revision = ok(hub, "rows", dataset=repo, config="default", split="train")
    assert revision == second_sha != first_sha
    assert [r["row"] for r in rows["rows"]] == [{"text": "delta", "score": 4}]
    stats, _ = ok(hub, "statistics", dataset=repo, config="default", split="train")
    assert stats["num_examples"] == 1
    old, revision = ok(hub, "rows", dataset=repo, config="default", split="train", revision=first_sha)
    assert revision == first_sha and len(old["rows"]) == 3
    cached = list((hub.data_dir / "viewer").rglob("data.parquet"))
    assert any(first_sha in str(p) for p in cached) and any(second_sha in str(p) for p in cached)


@pytest.mark.parametrize("params, status, code, named", [
    ({"split": "nope"}, 404, "ResponseNotFound", "'nope'"),
    ({"config": "nope"}, 404, "ResponseNotFound", "'nope'"),
    ({"revision": "no-such-branch"}, 404, "RevisionNotFound", "'no-such-branch'"),
    ({"length": "101"}, 400, "InvalidParameter", "'length'"),
    ({"offset": "-1"}, 400, "InvalidParameter", "'offset'"),
    ({"offset": "ten"}, 400, "InvalidParameter", "'offset'"),
    ({"split": ""}, 400, "MissingRequiredParameter", "'split'"),
])
def test_bad_viewer_requests_get_4xx_naming_what_is_wrong(hub, sst2, params, status, code, named):
    response = viewer(hub, "rows", **{"dataset": sst2, "config": "default", "split": "train", **params})
    assert (response.status, response.headers["x-error-code"]) == (status, code)
    assert named in response.json()["error"]


@pytest.mark.parametrize("condition, named", [
    ("label = 1; DROP TABLE t", "';'"),
    ("upper(sentence) = 'A'", "UPPER(sentence)"),
    ("idx + 1 > 2", "idx + 1"),
    ("idx IN (SELECT 1)", "SELECT 1"),
    ("t.idx = 1", "t.idx"),
    ("nothere = 1", "'nothere'"),
    ("sentence > 3", "types"),
    ("label = ", "'expression' missing"),
])
def test_filters_outside_the_safe_subset_get_400_naming_the_token(hub, sst2, condition, named):
    response = viewer(hub, "filter", dataset=sst2, config="default", split="train", where=condition)
    assert (response.status, response.headers["x-error-code"]) == (400, "InvalidParameter"), response.body
    assert named in response.json()["error"]


def test_the_datasets_server_host_still_gets_404_while_viewer_info_answers(hub, sst2):
    side = request(hub.endpoint, "GET", f"/info?dataset={sst2}", headers={"Host": "datasets-server.localhost"})
    assert side.status == 404
    info, _ = ok(hub, "info", dataset=sst2, config="default")
    assert info["dataset_info"]["features"]["label"]["names"] == ["negative", "positive"]
    assert info["dataset_info"]["splits"]["validation"]["num_examples"] == pushed_split(sst2, "validation").num_rows
    parquet, _ = ok(hub, "parquet", dataset=sst2)
    listed = request(hub.endpoint, "GET", urllib.parse.urlparse(parquet["parquet_files"][0]["url"]).path, token=hub.token)
    assert pq.read_table(io.BytesIO(listed.body)).equals(pushed_split(sst2, "train"))
    assert json.loads(request(hub.endpoint, "GET", f"/api/datasets/{sst2}/parquet/default/train").body) == \
        [parquet["parquet_files"][0]["url"]]


def test_a_gated_dataset_is_viewed_only_with_accepted_access_and_broken_files_get_422(hub):
    api = HfApi()
    repo = api.create_repo(f"{hub.user}/{unique_name('viewer-gated')}", repo_type="dataset").repo_id
    api.upload_file(path_or_fileobj=b"text\nhello\n", path_in_repo="data/train.csv", repo_id=repo, repo_type="dataset")
    api.upload_file(path_or_fileobj=b"PAR1 forged, not Parquet", path_in_repo="other/test.parquet", repo_id=repo,
                    repo_type="dataset")
    api.update_repo_settings(repo, gated="manual", repo_type="dataset")
    reader = hub.token_for(unique_name("carol"))
    refused = viewer(hub, "rows", token=reader, dataset=repo, config="default", split="train")
    assert (refused.status, refused.headers["x-error-code"]) == (403, "GatedRepo")
    assert request(hub.endpoint, "GET", f"/api/datasets/{repo}/parquet", token=reader).status == 403
    assert ok(hub, "rows", dataset=repo, config="default", split="train")[0]["rows"][0]["row"] == {"text": "hello"}

    broken = viewer(hub, "rows", dataset=repo, config="default", split="test")
    assert (broken.status, broken.headers["x-error-code"]) == (422, "DatasetGenerationError")
    assert "other/test.parquet" in broken.json()["error"]


@pytest.mark.parametrize("condition", ["(" * 2000 + "sentence = 'a'" + ")" * 2000,
                                       " AND ".join(["sentence = 'a'"] * 200), "sentence = '" + "x" * 5000 + "'"])
def test_hostile_filters_get_400_not_5xx(hub, sst2, condition):
    response = viewer(hub, "filter", dataset=sst2, config="default", split="train", where=condition)
    assert response.status in (200, 400), response.body[:300]
    assert response.status == 400 or response.json()["num_rows_total"] == 0


@pytest.mark.parametrize("condition, named", [("1 = 1", "compares no column"), ("sentence", "types"),
                                              ("NOT sentence", "types"), ("idx BETWEEN 1 AND 2", "BETWEEN")])
def test_filters_that_parse_but_cannot_select_rows_get_400(hub, sst2, condition, named):
    response = viewer(hub, "filter", dataset=sst2, config="default", split="train", where=condition)
    assert (response.status, response.headers["x-error-code"]) == (400, "InvalidParameter"), response.body
    assert named in response.json()["error"]


def test_configs_come_from_the_card_and_a_bad_pattern_names_no_file(hub):
    api = HfApi()
    repo = api.create_repo(f"{hub.user}/{unique_name('viewer-configs')}", repo_type="dataset").repo_id
    card = ("---\nconfigs:\n- config_name: small\n  data_files:\n  - split: train\n    path: small/*.csv\n"
            "- config_name: broken\n  data_files:\n  - split: train\n    path: small/**x\n"
            "- config_name: lines\n  data_files: lines.jsonl\n---\n# card\n")
    for path, content in (("README.md", card.encode()), ("small/a.csv", b"n\n1\n"), ("small/b.csv", b"n\n2\n"),
                          ("lines.jsonl", b'{"n": 3}\n')):
        api.upload_file(path_or_fileobj=content, path_in_repo=path, repo_id=repo, repo_type="dataset")
    splits, _ = ok(hub, "splits", dataset=repo)
    assert [(s["config"], s["split"]) for s in splits["splits"]] == [("small", "train"), ("lines", "train")]
    rows, _ = ok(hub, "rows", dataset=repo, config="small", split="train")
    assert [r["row"] for r in rows["rows"]] == [{"n": 1}, {"n": 2}]  # both files, in path order
    missing = viewer(hub, "rows", dataset=repo, config="broken", split="train")
    assert missing.status == 404 and "'broken'" in missing.json()["error"]
    assert ok(hub, "size", dataset=repo, config="lines")[0]["size"]["config"]["num_rows"] == 1


def test_a_user_named_viewer_keeps_their_repos(hub, tmp_path):
    token = hub.token_for("viewer")
    api = HfApi(token=token)
    repo = api.create_repo(f"viewer/{unique_name('rows')}").repo_id
    api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=repo)
    assert open(hf_hub_download(repo, "config.json", token=token, cache_dir=tmp_path)).read() == "{}"
    assert request(hub.endpoint, "GET", f"/{repo}", token=token).status == 200  # its page


def test_the_cache_of_a_deleted_repo_goes_with_it_and_gc_sweeps_what_a_crash_left(hub):
    """Cached rows are copies of the repo's data: deleting the repo deletes them. `hub gc` removes
    cache folders whose repo no longer exists (a crash between the two steps leaves one)."""
    import subprocess
    import sys

    api = HfApi()
    repo = api.create_repo(f"{hub.user}/{unique_name('viewer-forget')}", repo_type="dataset", private=True).repo_id
    api.upload_file(path_or_fileobj=b"text\nsecret one\n", path_in_repo="data/train.csv", repo_id=repo,
                    repo_type="dataset")
    _, sha = ok(hub, "rows", dataset=repo, config="default", split="train")
    (entry,) = [p for p in (hub.data_dir / "viewer").glob("*/*") if p.name == sha]
    repo_folder = entry.parent
    api.delete_repo(repo, repo_type="dataset")
    assert not repo_folder.exists()
    assert not [p for p in (hub.data_dir / "viewer").iterdir() if p.name.startswith(".deleted-")]

    others = sorted(p for p in (hub.data_dir / "viewer").glob("*/*"))
    left = hub.data_dir / "viewer" / repo_folder.name / sha / ("0" * 32)
    left.mkdir(parents=True)
    (left / "data.parquet").write_bytes(b"secret")
    swept = subprocess.run([sys.executable, "-m", "hubkit.cli", "hub", "gc", "--data-dir", str(hub.data_dir)],
                           capture_output=True, text=True, timeout=300)
    assert swept.returncode == 0, swept.stderr
    assert "removed 1 dataset viewer cache folders" in swept.stdout
    assert not repo_folder.exists()
    assert sorted(p for p in (hub.data_dir / "viewer").glob("*/*")) == others  # live repos' caches stay


def test_a_page_of_huge_cells_is_cut_to_a_bounded_answer_naming_the_cut_cells(hub):
    """Three 600 kB strings would make a 1.8 MB page: the answer stays near 1 MB, each cut cell is
    the start of its value, and `truncated_cells` names it; small cells are untouched."""
    api = HfApi()
    repo = api.create_repo(f"{hub.user}/{unique_name('viewer-huge')}", repo_type="dataset").repo_id
    texts = [chr(ord("a") + i) * 600_000 for i in range(3)]
    sink = io.BytesIO()
    pq.write_table(pa.table({"text": texts, "n": [1, 2, 3]}), sink)
    api.upload_file(path_or_fileobj=sink.getvalue(), path_in_repo="data/train-00000-of-00001.parquet", repo_id=repo,
                    repo_type="dataset")
    for route in ("first-rows", "rows"):
        response = viewer(hub, route, dataset=repo, config="default", split="train")
        assert response.status == 200, response.body[:300]
        assert len(response.body) < 1_100_000, (route, len(response.body))
        rows = response.json()["rows"]
        assert [row["truncated_cells"] for row in rows] == [["text"]] * 3
        assert [row["row"]["n"] for row in rows] == [1, 2, 3]
        assert all(texts[i].startswith(row["row"]["text"]) and len(row["row"]["text"]) >= 100
                   for i, row in enumerate(rows))
