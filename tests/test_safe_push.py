"""Read-modify-write pushes against the session's real hub server: a commit lands only on the head
it was built from (412 otherwise, then a rebuild), the hub's 403 turns a direct commit into a pull
request, and a failed dataset push deletes only a repo that very call created."""

from __future__ import annotations

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from hubkit import safe_push
from helpers.hubserver import make_repo_with_file, unique_name


def append_line(line: str):
    """A change that appends ``line`` to ``log.txt`` as read at the head it is built from."""
    def build(head: safe_push.Head) -> safe_push.Change:
        text = (head.read_text("log.txt") or "") + line + "\n"
        return safe_push.Change([CommitOperationAdd("log.txt", text.encode())], f"append {line}")
    return build


def text_of(api: HfApi, repo_id: str, path: str = "log.txt", revision: str | None = None) -> str:
    with open(api.hf_hub_download(repo_id, path, revision=revision)) as handle:
        return handle.read()


def test_a_commit_that_lost_the_race_is_rebuilt_from_the_new_head(hub):
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    repo_id = make_repo_with_file(hub, "race", "log.txt", b"start\n")
    heads = []
    ours = append_line("ours")

    def build(head: safe_push.Head) -> safe_push.Change:
        heads.append(head.sha)
        if len(heads) == 1:  # another writer commits after we read and before we commit
            safe_push.commit(api, repo_id, append_line("theirs"))
        return ours(head)

    pushed = safe_push.commit(api, repo_id, build)
    assert len(heads) == 2 and heads[0] != heads[1] and pushed.changed and pushed.pr_url is None
    assert text_of(api, repo_id) == "start\ntheirs\nours\n"  # nothing the other writer did is lost


def test_a_push_that_keeps_losing_gives_up_with_one_line_naming_the_repo(hub):
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    repo_id = make_repo_with_file(hub, "busy", "log.txt", b"start\n")
    ours = append_line("ours")

    def build(head: safe_push.Head) -> safe_push.Change:
        safe_push.commit(api, repo_id, append_line("theirs"))
        return ours(head)

    with pytest.raises(safe_push.PushError, match=f"^{repo_id}: gave up after 3 attempts") as raised:
        safe_push.commit(api, repo_id, build, attempts=3)
    assert "\n" not in str(raised.value) and "ours" not in text_of(api, repo_id)


def test_a_token_the_hub_refuses_opens_a_pull_request_instead(hub):
    owner = HfApi(endpoint=hub.endpoint, token=hub.token)
    repo_id = make_repo_with_file(hub, "theirs", "log.txt", b"start\n")
    head = owner.model_info(repo_id).sha
    bob = HfApi(endpoint=hub.endpoint, token=hub.token_for("bob"))
    with pytest.raises(safe_push.PushError, match=f"^{repo_id}: the hub does not let this token write"):
        safe_push.commit(bob, repo_id, append_line("bob"), create_pr=False)
    pushed = safe_push.commit(bob, repo_id, append_line("bob"), create_pr=None)
    assert "/discussions/" in pushed.summary() and owner.model_info(repo_id).sha == head
    pr = owner.list_repo_refs(repo_id, include_pull_requests=True).pull_requests[-1].ref
    assert text_of(owner, repo_id, revision=pr) == "start\nbob\n"


def test_a_read_only_token_is_refused_with_one_line_naming_the_repo(hub):
    repo_id = make_repo_with_file(hub, "read-only", "log.txt", b"start\n")
    reader = HfApi(endpoint=hub.endpoint, token=hub.token_for(hub.user, read_only=True))
    with pytest.raises(safe_push.PushError, match=f"^{repo_id}: the hub does not let this token open a pull request"):
        safe_push.commit(reader, repo_id, append_line("reader"), create_pr=None)


def test_an_org_member_with_a_write_token_commits_directly(hub):
    owner = HfApi(endpoint=hub.endpoint, token=hub.token)
    repo_id = f"acme/{unique_name('org-model')}"
    assert safe_push.create_repo(owner, repo_id) is True
    member = HfApi(endpoint=hub.endpoint, token=hub.token_for("dora", orgs=("acme",)))
    pushed = safe_push.commit(member, repo_id, append_line("dora"), create_pr=None)
    assert pushed.pr_url is None and text_of(owner, repo_id) == "dora\n"


def test_an_org_member_with_the_read_role_gets_a_pull_request_not_a_403(hub):
    owner = HfApi(endpoint=hub.endpoint, token=hub.token)
    repo_id = f"acme/{unique_name('org-model')}"
    assert safe_push.create_repo(owner, repo_id) is True
    head = owner.model_info(repo_id).sha
    reader = HfApi(endpoint=hub.endpoint, token=hub.token_for("erin", read_orgs=("acme",)))
    pushed = safe_push.commit(reader, repo_id, append_line("erin"), create_pr=None)
    assert pushed.pr_url is not None and "/discussions/" in pushed.pr_url
    assert owner.model_info(repo_id).sha == head  # main untouched: the change waits in the PR


def test_create_repo_says_whether_this_call_created_it(hub):
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    repo_id = f"{hub.user}/{unique_name('created')}"
    assert safe_push.create_repo(api, repo_id, repo_type="dataset") is True
    assert safe_push.create_repo(api, repo_id, repo_type="dataset") is False
    bob = HfApi(endpoint=hub.endpoint, token=hub.token_for("bob"))
    assert safe_push.create_repo(bob, repo_id, repo_type="dataset") is False  # exists, someone else's
    with pytest.raises(safe_push.PushError, match=f"^{hub.user}/never: the dataset repo does not exist"):
        safe_push.create_repo(bob, f"{hub.user}/never", repo_type="dataset")


def test_a_failed_dataset_push_keeps_a_repo_another_client_created_meanwhile(hub, tmp_path):
    from huggingface_hub.errors import HfHubHTTPError

    from hubkit.datasets.prepare import prepare
    from hubkit.datasets.push import push
    from hubkit.datasets.validate import validate

    repo_id = f"acme/{unique_name('raced')}"
    other = HfApi(endpoint=hub.endpoint, token=hub.token_for("erin", orgs=("acme",)))

    class Raced(HfApi):
        """Another member of the org creates the repo just before this client does."""

        def create_repo(self, repo_id, **options):
            other.create_repo(repo_id, repo_type=options.get("repo_type"))
            return super().create_repo(repo_id, **options)

    data = tmp_path / "SST-2"
    data.mkdir()
    (data / "train.tsv").write_text("sentence\tlabel\ngood\t1\nbad\t0\n")
    (data / "dev.tsv").write_text("sentence\tlabel\nfine\t1\n")
    (data / "test.tsv").write_text("index\tsentence\n0\tunseen\n")
    prepared = prepare("sst2", None, str(data))
    api = Raced(endpoint=hub.endpoint, token=hub.token)
    with pytest.raises(HfHubHTTPError):  # a branch name the hub refuses makes the push fail after creation
        push(prepared, validate(prepared), api, repo_id, revision="a..b")
    assert other.repo_exists(repo_id, repo_type="dataset")  # not ours to delete


@pytest.fixture(scope="module")
def classifier(hub, tiny_bert, tmp_path_factory) -> str:
    """The tiny BERT with an (untrained) SST-2 head, pushed as a model repo: something to evaluate."""
    from transformers import AutoTokenizer, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("classifier")
    labels = {0: "negative", 1: "positive"}
    model = BertForSequenceClassification.from_pretrained(tiny_bert, id2label=labels,
                                                          label2id={v: k for k, v in labels.items()})
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(folder)
    repo_id = f"{hub.user}/{unique_name('raced-evals')}"
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    api.create_repo(repo_id)
    api.upload_folder(folder_path=folder, repo_id=repo_id)
    return repo_id


def test_two_concurrent_eval_pushes_both_land_in_the_card_and_eval_results(hub, classifier, real_data, tmp_path):
    import os
    import subprocess
    import sys

    import yaml
    from huggingface_hub import ModelCard, parse_eval_result_entries
    from huggingface_hub.repocard_data import model_index_to_eval_results

    splits = ("validation", "train")
    runs = [subprocess.Popen([sys.executable, "-m", "hubkit.cli", "eval", classifier, "sst2", "--data-dir",
                              str(real_data / "glue" / "SST-2"), "--split", split, "--max-samples", "16",
                              "--bootstrap-resamples", "50", "--output", str(tmp_path / split), "--push"],
                             env=os.environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for split in splits]  # started together, so their read-merge-commit windows overlap
    for run in runs:
        output, _ = run.communicate(timeout=600)
        assert run.returncode == 0, output[-3000:]
    api = HfApi(endpoint=hub.endpoint, token=hub.token)
    _, results = model_index_to_eval_results(ModelCard.load(classifier).data.to_dict()["model-index"])
    assert {r.dataset_split for r in results if r.metric_type == "accuracy"} == set(splits)
    files = set(api.list_repo_files(classifier))
    for split in splits:
        assert f"evaluations/sst2-default-{split}/results.json" in files
        entries = parse_eval_result_entries(yaml.safe_load(
            text_of(api, classifier, f".eval_results/hubkit-sst2-default-{split}.yaml")))
        assert f"sst2-{split}-accuracy" in {entry.task_id for entry in entries}
