"""The Hub's eval-results system on our server, driven by the unmodified client (issue 14, item 6-7):
benchmarks validated at commit, ``.eval_results`` in model repos, the dataset leaderboard,
``model_info(expand=["evalResults"])``, and hub-signed verification records."""

from __future__ import annotations

import pytest
import yaml
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import HfHubHTTPError

from hubkit.hub import benchmarks, evalresults
from hubkit.hub.state import HubState
from helpers.hubserver import unique_name

CARD = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*.parquet
  - split: validation
    path: data/validation-*.parquet
---
# a benchmark
"""
EVAL_YAML = {"name": "Tiny", "description": "a test benchmark", "evaluation_framework": "hubkit",
             "tasks": [{"id": "default-validation-accuracy", "config": "default", "split": "validation"}]}


@pytest.fixture
def benchmark(hub) -> str:
    api = HfApi()
    repo_id = f"{hub.user}/{unique_name('bench')}"
    api.create_repo(repo_id, repo_type="dataset")
    api.create_commit(repo_id, repo_type="dataset", commit_message="benchmark", operations=[
        CommitOperationAdd("README.md", CARD.encode()),
        CommitOperationAdd("eval.yaml", yaml.safe_dump(EVAL_YAML).encode())])
    return repo_id


def push_results(repo_id: str, entries: list[dict], *, card: str = "---\nlicense: mit\n---\n") -> str:
    api = HfApi()
    api.create_repo(repo_id, exist_ok=True)
    return api.create_commit(repo_id, commit_message="results", operations=[
        CommitOperationAdd("README.md", card.encode()),
        CommitOperationAdd(".eval_results/tiny.yaml", yaml.safe_dump(entries).encode())]).oid


@pytest.mark.parametrize("change,named", [
    ({"leaderboard": True}, "'leaderboard'"),
    ({"tasks": []}, "'tasks'"),
    ({"tasks": [{"id": "x", "config": "default", "split": "test"}]}, "'test'"),
    ({"tasks": [{"id": "x", "config": "other", "split": "train"}]}, "'other'"),
    ({"tasks": [{"id": "x", "split": "train", "metric": "f1"}]}, "metric"),
])
def test_a_bad_eval_yaml_is_refused_naming_the_key(hub, benchmark, change, named):
    api = HfApi()
    before = api.dataset_info(benchmark).sha
    with pytest.raises(HfHubHTTPError) as refused:
        api.upload_file(path_or_fileobj=yaml.safe_dump({**EVAL_YAML, **change}).encode(), path_in_repo="eval.yaml",
                        repo_id=benchmark, repo_type="dataset")
    assert refused.value.response.status_code == 400
    assert refused.value.response.headers["X-Error-Code"] == "InvalidEvalYaml"
    assert named in refused.value.response.json()["error"]
    assert api.dataset_info(benchmark).sha == before


def test_results_reach_the_leaderboard_and_model_info(hub, benchmark):
    api = HfApi()
    base = f"{hub.user}/{unique_name('base')}"
    tuned = f"{hub.user}/{unique_name('tuned')}"
    entry = {"dataset": {"id": benchmark, "task_id": "default-validation-accuracy"}, "value": 0.81,
             "source": {"url": "https://example.org/logs", "name": "logs"}, "notes": "seed 1"}
    push_results(base, [entry])
    push_results(tuned, [{**entry, "value": 0.9}], card=f"---\nbase_model: {base}\n---\n")

    default = api.get_dataset_leaderboard(benchmark)
    assert [e.model_id for e in default] == [base]  # models declaring a base model are left out by default
    everyone = api.get_dataset_leaderboard(benchmark, base_model_only=False)
    assert [(e.rank, e.model_id, e.value) for e in everyone] == [(1, tuned, 0.9), (2, base, 0.81)]
    assert everyone[1].source["url"] == "https://example.org/logs" and everyone[1].notes == "seed 1"
    assert everyone[1].author.username == hub.user and everyone[1].verified is False

    results = api.model_info(base, expand=["evalResults"]).eval_results
    assert [(r.dataset_id, r.task_id, r.value) for r in results] == [(benchmark, "default-validation-accuracy", 0.81)]

    with pytest.raises(HfHubHTTPError) as not_a_benchmark:
        api.get_dataset_leaderboard(f"{hub.user}/{unique_name('plain')}".replace("plain", "missing"))
    assert not_a_benchmark.value.response.status_code == 404


def test_an_invalid_results_file_is_reported_not_refused(hub, benchmark):
    api = HfApi()
    repo_id = f"{hub.user}/{unique_name('broken')}"
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"- value: 3\n", path_in_repo=".eval_results/bad.yaml", repo_id=repo_id)
    raw = api.model_info(repo_id, expand=["evalResults"])
    assert raw.eval_results is None or raw.eval_results == []
    from huggingface_hub.utils import get_session

    body = get_session().get(f"{hub.endpoint}/api/models/{repo_id}?expand=evalResults",
                             headers={"Authorization": f"Bearer {hub.token}"}).json()
    assert body["evalResults"] == [{"filename": ".eval_results/bad.yaml",
                                    "error": "entry 0: 'dataset' needs string 'id' and 'task_id'"}]


def test_verification_records_are_signed_and_doctored_claims_fail(hub, benchmark):
    honest = f"{hub.user}/{unique_name('honest')}"
    doctored = f"{hub.user}/{unique_name('doctored')}"
    entry = {"dataset": {"id": benchmark, "task_id": "default-validation-accuracy"}, "value": 0.8142}
    push_results(honest, [entry])
    push_results(doctored, [{**entry, "value": 0.9142}])

    state = HubState(hub.data_dir, serving=False)  # what `hubkit hub verify` does beside the server
    jobs = {job.model.repo_id: job for job in benchmarks.pending_jobs(state) if job.dataset.repo_id == benchmark}
    assert set(jobs) == {honest, doctored}
    assert benchmarks.record(state, jobs[honest], measured=0.81424) == evalresults.REPRODUCED
    assert benchmarks.record(state, jobs[doctored], measured=0.81424) == evalresults.FAILED
    assert not [j for j in benchmarks.pending_jobs(state) if j.dataset.repo_id == benchmark]

    board = {e.model_id: e for e in HfApi().get_dataset_leaderboard(benchmark, base_model_only=False)}
    assert board[honest].verified is True and board[honest].verification["status"] == "reproduced"
    assert board[doctored].verified is False
    assert board[doctored].verification == {**board[doctored].verification, "status": "failed",
                                            "measuredValue": pytest.approx(0.81424)}

    # A record whose signature no longer holds (edited in the database) is not shown as verified.
    state.conn.execute("UPDATE verifications SET status = 'reproduced' WHERE model_repo = ?", (jobs[doctored].model.key,))
    board = {e.model_id: e for e in HfApi().get_dataset_leaderboard(benchmark, base_model_only=False)}
    assert board[doctored].verified is False and board[doctored].verification["status"] == "pending"

    # The hub's token for the honest claim counts when another model repo carries it... only for that claim.
    token = board[honest].verification["verifyToken"]
    copied = f"{hub.user}/{unique_name('copied')}"
    push_results(copied, [{**entry, "verifyToken": token}])
    board = {e.model_id: e for e in HfApi().get_dataset_leaderboard(benchmark, base_model_only=False)}
    assert board[copied].verified is False  # the token names another model
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    assert evalresults.read_verify_token(state.signing_key, forged) is None


@pytest.mark.parametrize("claim,measured,ok", [("0.8142", 0.81424, True), ("0.8142", 0.81426, False),
                                               ("81.4", 81.449, True), ("81.4", 81.46, False), ("1", 1.4, True),
                                               ("0.0", 0.5, False), ("0.0", 0.04, True), ("8.142e-1", 0.81424, True),
                                               ("0.81400", 0.814004, True), ("0.81400", 0.814006, False)])
def test_a_claim_reproduces_within_half_a_unit_of_its_last_digit(claim, measured, ok):
    assert evalresults.reproduces(claim, measured) is ok


def test_a_claim_keeps_the_digits_its_author_wrote():
    text = "- dataset: {id: a/b, task_id: t}\n  value: 0.8140\n- dataset: {id: a/b, task_id: t}\n  value: 0.0\n"
    entries = evalresults.parse_results_file(".eval_results/x.yaml", text)
    assert [e.claim for e in entries] == ["0.8140", "0.0"]


def test_a_mirrored_model_lives_in_a_namespace_no_user_can_write(hub, tmp_path):
    from hubkit.hub import admin

    folder = tmp_path / "upstream"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    (folder / "model.safetensors").write_bytes(b"\x00weights" * 10)
    namespace = unique_name("upstream-org")
    repo_id = f"{namespace}/tiny"
    first = admin.mirror_folder(hub.data_dir, repo_id, folder, message="mirror")
    assert admin.mirror_folder(hub.data_dir, repo_id, folder, message="again") == first  # nothing new: no commit
    api = HfApi()
    info = api.model_info(repo_id, files_metadata=True)
    assert info.sha == first and {s.rfilename for s in info.siblings} >= {"config.json", "model.safetensors"}
    assert next(s for s in info.siblings if s.rfilename == "model.safetensors").lfs is not None
    with pytest.raises(HfHubHTTPError) as refused:
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    assert refused.value.response.status_code == 403
    with pytest.raises(ValueError, match="mirror namespace"):
        admin.issue_token(hub.data_dir, hub.user, orgs=[namespace])
    with pytest.raises(ValueError, match="mirror namespace"):
        admin.issue_token(hub.data_dir, namespace)
