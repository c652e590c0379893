"""The hub server against input written to hurt it or its users (issue 12, items 1 and 2).

Each test plays the attacker over real HTTP (raw requests where the client library would refuse
to send the bad input itself), asserts the 4xx, and checks that nothing was stored.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
import unicodedata
from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import HfHubHTTPError

from helpers.hubserver import make_repo_with_file, request, unique_name
from hubkit.hub.cache import BoundedCache

PLANTED_CONFIG = """[core]
\trepositoryformatversion = 0
\tfsmonitor = "touch {marker}; false"
"""


def raw_commit(hub, repo_id: str, files: dict[str, bytes], *, header: dict | None = None) -> "request":
    lines = [{"key": "header", "value": header or {"summary": "attack"}}]
    lines += [{"key": "file", "value": {"path": path, "content": base64.b64encode(content).decode(),
                                        "encoding": "base64"}} for path, content in files.items()]
    return request(hub.endpoint, "POST", f"/api/models/{repo_id}/commit/main", token=hub.token,
                   body="\n".join(json.dumps(line) for line in lines),
                   headers={"Content-Type": "application/x-ndjson"})


@pytest.fixture
def repo_id(hub) -> str:
    return make_repo_with_file(hub, "hostile", "config.json", b"{}")


# ----- item 1: paths and names -----
def test_a_planted_git_folder_is_refused_and_git_status_runs_nothing(hub, repo_id, tmp_path):
    marker = tmp_path / "PWNED"
    before = HfApi().list_repo_files(repo_id)
    planted = {"config": PLANTED_CONFIG.format(marker=marker).encode(), "HEAD": b"ref: refs/heads/main\n",
               "refs/heads/.keep": b"", "objects/.keep": b""}
    for git_dir in ("sub/.git", "sub/.GIT", ".git", "a/b/.cache/huggingface", ".cache"):
        response = raw_commit(hub, repo_id, {f"{git_dir}/{name}": body for name, body in planted.items()})
        assert response.status == 400, (git_dir, response.status, response.body)
        assert response.headers["x-error-code"] == "InvalidPath"
        assert git_dir.rsplit("/", 1)[-1] in response.json()["error"]
    assert HfApi().list_repo_files(repo_id) == before

    folder = Path(snapshot_download(repo_id, local_dir=tmp_path / "download"))
    for sub in ("", "sub"):
        (folder / sub).mkdir(exist_ok=True)
        subprocess.run(["git", "status"], cwd=folder / sub, capture_output=True, timeout=60)
    assert not marker.exists(), "a command from a planted git config ran"
    assert not list(folder.rglob(".git"))


@pytest.mark.parametrize("path", ["README.md/", "dir/\r\nx.txt", "a\nb.txt", "tab\there.txt", "bell\x07.txt",
                                  "/abs.txt", "a//b.txt", "./a.txt"])
def test_paths_the_hub_refuses_are_refused(hub, repo_id, path):
    response = raw_commit(hub, repo_id, {path: b"x"})
    assert response.status == 400 and response.headers["x-error-code"] == "InvalidPath", response.body
    assert HfApi().list_repo_files(repo_id) == [".gitattributes", "config.json"]


def test_paths_are_one_file_in_any_unicode_spelling_and_echoed_as_sent(hub, repo_id, tmp_path):
    decomposed = "notes/e\u0301te\u0301.txt"  # NFD, as macOS file systems spell it
    composed = unicodedata.normalize("NFC", decomposed)
    assert raw_commit(hub, repo_id, {decomposed: b"summer"}).status == 200
    assert composed in HfApi().list_repo_files(repo_id)
    assert Path(hf_hub_download(repo_id, composed, cache_dir=tmp_path / "a")).read_bytes() == b"summer"
    assert Path(hf_hub_download(repo_id, decomposed, cache_dir=tmp_path / "b")).read_bytes() == b"summer"

    # Overwriting through the other spelling replaces the one file instead of adding a twin.
    assert raw_commit(hub, repo_id, {composed: b"winter"}).status == 200
    assert [f for f in HfApi().list_repo_files(repo_id) if f.startswith("notes/")] == [composed]

    preupload = request(hub.endpoint, "POST", f"/api/models/{repo_id}/preupload/main", token=hub.token,
                        body={"files": [{"path": decomposed, "size": 6, "sample": ""}]})
    assert preupload.status == 200 and preupload.json()["files"][0]["path"] == decomposed
    infos = HfApi().get_paths_info(repo_id, [decomposed])
    assert [i.path for i in infos] == [decomposed]


def test_repo_ids_ignore_case(hub):
    api = HfApi()
    name = unique_name("CaseTwin")
    api.create_repo(f"{hub.user}/{name}")
    with pytest.raises(HfHubHTTPError) as refused:
        api.create_repo(f"{hub.user}/{name.lower()}")
    assert refused.value.response.status_code == 409
    assert api.model_info(f"{hub.user.upper()}/{name.upper()}").id == f"{hub.user}/{name}"
    api.upload_file(path_or_fileobj=b"x", path_in_repo="f.txt", repo_id=f"{hub.user}/{name.lower()}")
    assert "f.txt" in api.list_repo_files(f"{hub.user}/{name}")
    assert [r.id for r in api.list_models(author=hub.user.upper(), search=name.lower())] == [f"{hub.user}/{name}"]


@pytest.mark.parametrize("branch", ["feature x", "refs/pr/1", "0" * 40, "a..b", "x.lock", "-x", "a:b", "@",
                                    "trailing/", ".hidden"])
def test_ref_names_follow_git_check_ref_format(hub, repo_id, branch):
    with pytest.raises(HfHubHTTPError) as refused:
        HfApi().create_branch(repo_id, branch=branch)
    assert refused.value.response.status_code == 400
    assert refused.value.response.headers["X-Error-Code"] == "InvalidRevision"


def test_tag_with_a_space_is_refused_and_good_names_pass(hub, repo_id):
    api = HfApi()
    with pytest.raises(HfHubHTTPError):
        api.create_tag(repo_id, tag="v 1")
    api.create_branch(repo_id, branch="release/v1.0_rc-2")
    api.create_tag(repo_id, tag="v1.0")
    refs = api.list_repo_refs(repo_id)
    assert {b.name for b in refs.branches} == {"main", "release/v1.0_rc-2"}
    assert [t.name for t in refs.tags] == ["v1.0"]


# ----- item 2: bounded YAML and JSON -----
def alias_bomb(levels: int = 9, fan_out: int = 10) -> str:
    lines = ["---", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * fan_out)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    lines += ["license: mit", "---", "# bomb"]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_answered_quickly_with_invalid_yaml(hub):
    card = alias_bomb()
    assert len(card) < 1000
    start = time.perf_counter()
    response = request(hub.endpoint, "POST", "/api/validate-yaml", body={"content": card, "repoType": "model"})
    elapsed = time.perf_counter() - start
    assert response.status == 400 and response.headers["x-error-code"] == "InvalidYaml"
    assert "aliases" in response.json()["errors"][0]["message"]
    assert elapsed < 0.5, f"validate-yaml took {elapsed:.2f} s on an alias bomb"


def test_benign_aliases_and_recursive_ones(hub):
    benign = "---\nbase: &base {lr: 0.1}\nrun: *base\n---\n"
    assert request(hub.endpoint, "POST", "/api/validate-yaml", body={"content": benign}).status == 200
    recursive = "---\nloop: &x [*x]\n---\n"
    response = request(hub.endpoint, "POST", "/api/validate-yaml", body={"content": recursive})
    assert response.status == 400 and response.headers["x-error-code"] == "InvalidYaml"


def test_committed_bomb_and_date_keys_leave_listings_working(hub, repo_id):
    api = HfApi()
    dated = f"{hub.user}/{unique_name('dated')}"
    api.create_repo(dated)
    card = "---\nlicense: mit\n2020-01-01: release\n1: one\n---\n# dated\n"
    assert raw_commit(hub, dated, {"README.md": card.encode()}).status == 200
    assert raw_commit(hub, repo_id, {"README.md": alias_bomb().encode()}).status == 200

    start = time.perf_counter()
    listing = request(hub.endpoint, "GET", "/api/models?full=true", token=hub.token)
    assert listing.status == 200, listing.body[:500]
    assert time.perf_counter() - start < 5
    by_id = {item["id"]: item for item in listing.json()}
    assert by_id[dated]["cardData"] == {"license": "mit", "2020-01-01": "release", "1": "one"}
    assert by_id[repo_id]["cardData"] == {}
    assert api.model_info(dated).card_data["2020-01-01"] == "release"


WRONG_SHAPES = [
    ("POST", "/api/repos/create", {"name": 5}, "name"),
    ("POST", "/api/repos/create", {"name": "x", "private": "yes"}, "private"),
    ("POST", "/api/repos/move", {"fromRepo": ["a"], "toRepo": "b/c"}, "fromRepo"),
    ("POST", "/api/models/{repo}/preupload/main", {"files": {"path": "a"}}, "files"),
    ("POST", "/api/models/{repo}/preupload/main", {"files": [["a"]]}, "files[0]"),
    ("POST", "/api/models/{repo}/preupload/main", {"files": [{"path": "a", "size": "1"}]}, "files[0].size"),
    ("POST", "/api/models/{repo}/preupload/main", {"files": [{"path": "a", "size": 1, "sample": 7}]},
     "files[0].sample"),
    ("POST", "/{repo}.git/info/lfs/objects/batch", {"operation": "upload", "objects": [[1]]}, "objects[0]"),
    ("POST", "/{repo}.git/info/lfs/objects/batch", {"operation": "upload", "ref": ["main"], "objects": []},
     "ref"),
    ("POST", "/{repo}.git/info/lfs/objects/batch", {"operation": "upload", "transfers": [1], "objects": []},
     "transfers[0]"),
    ("POST", "/api/models/{repo}/branch/b1", {"startingPoint": ["main"]}, "startingPoint"),
    ("POST", "/api/models/{repo}/tag/main", {"tag": {"v": 1}}, "tag"),
    ("POST", "/api/models/{repo}/discussions", {"title": {"x": 1}}, "title"),
    ("POST", "/api/models/{repo}/discussions", {"title": "t", "pullRequest": "yes"}, "pullRequest"),
    ("PUT", "/api/models/{repo}/settings", {"private": "no"}, "private"),
]


@pytest.mark.parametrize("method,route,body,field_name", WRONG_SHAPES)
def test_bodies_of_the_wrong_shape_get_400_naming_the_field(hub, repo_id, method, route, body, field_name):
    response = request(hub.endpoint, method, route.format(repo=repo_id), body=body, token=hub.token)
    assert response.status == 400, (response.status, response.body)
    assert response.headers["x-error-code"]
    assert f"'{field_name}'" in response.json()["error"], response.json()["error"]


@pytest.mark.parametrize("route", ["/api/repos/create", "/api/models/{repo}/preupload/main",
                                   "/{repo}.git/info/lfs/objects/batch", "/api/validate-yaml"])
def test_deeply_nested_json_gets_400(hub, repo_id, route):
    deep = '{"files": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = request(hub.endpoint, "POST", route.format(repo=repo_id), body=deep, token=hub.token,
                       headers={"Content-Type": "application/json"})
    assert response.status == 400 and response.headers["x-error-code"] == "InvalidJson"
    assert "nested" in response.json()["error"]


def test_wrong_shapes_in_commit_and_paths_info(hub, repo_id):
    deep_line = '{"key": "header", "value": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = request(hub.endpoint, "POST", f"/api/models/{repo_id}/commit/main", token=hub.token,
                       body=deep_line, headers={"Content-Type": "application/x-ndjson"})
    assert response.status == 400 and "nested" in response.json()["error"]
    response = raw_commit(hub, repo_id, {"x.txt": b"x"}, header={"summary": ["not", "a", "string"]})
    assert response.status == 400 and "'header.summary'" in response.json()["error"]
    for body in ([1, 2], {"paths": "config.json"}, {"paths": [1]}):
        response = request(hub.endpoint, "POST", f"/api/models/{repo_id}/paths-info/main", token=hub.token,
                           body=json.dumps(body), headers={"Content-Type": "application/json"})
        assert response.status == 400, (body, response.body)
    assert HfApi().list_repo_files(repo_id) == [".gitattributes", "config.json"]


def test_the_card_cache_is_bounded_in_entries_and_bytes():
    cache = BoundedCache(max_entries=3, max_bytes=100)
    for key in "abc":
        cache.put(key, key, 10)
    cache.get("a")  # a is now the most recently used
    cache.put("d", "d", 10)
    assert [cache.get(k) for k in "abcd"] == ["a", None, "c", "d"]
    cache.put("e", "e", 90)
    assert len(cache) <= 3 and cache.bytes <= 100 and cache.get("e") == "e"
    cache.put("huge", "huge", 1000)
    assert cache.get("huge") is None and cache.bytes <= 100


# ----- stored active content (issue 12 item 4, as far as static Spaces need it) -----
def test_stored_html_and_svg_run_sandboxed_and_spaces_frame_them(hub):
    api = HfApi()
    space = f"{hub.user}/{unique_name('space')}"
    api.create_repo(space, repo_type="space", space_sdk="static")
    page = b"<!doctype html><script>document.title = document.cookie</script><h1>hi</h1>"
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    api.upload_file(path_or_fileobj=page, path_in_repo="index.html", repo_id=space, repo_type="space")
    api.upload_file(path_or_fileobj=svg, path_in_repo="logo.svg", repo_id=space, repo_type="space")

    for name in ("index.html", "logo.svg"):
        served = request(hub.endpoint, "GET", f"/spaces/{space}/resolve/main/{name}")
        assert served.status == 200
        csp = served.headers["content-security-policy"]
        assert "sandbox allow-scripts" in csp and "allow-same-origin" not in csp
        assert served.headers["x-content-type-options"] == "nosniff"

    shown = request(hub.endpoint, "GET", f"/spaces/{space}")
    assert shown.status == 200 and "script-src" not in shown.headers["content-security-policy"]
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    text = shown.body.decode()
    assert "sandbox='allow-scripts'" in text and "allow-same-origin" not in text and "<script" not in text
    assert f"/spaces/{space}/resolve/" in text

    moved = request(hub.endpoint, "GET", f"/leaderboards/{space}")
    assert moved.status == 308 and moved.headers["location"] == f"/spaces/{space}"
    assert request(hub.endpoint, "GET", "/api/whoami-v2", token=hub.token).headers["x-content-type-options"] == "nosniff"


# ----- no request stalls another (issue 12 item 3) -----
HEALTH_POLLER = """
import json, sys, time, urllib.request
url, seconds = sys.argv[1], float(sys.argv[2])
times, end = [], time.monotonic() + seconds
while time.monotonic() < end:
    start = time.perf_counter()
    urllib.request.urlopen(url, timeout=30).read()
    times.append(time.perf_counter() - start)
    time.sleep(0.02)
print(json.dumps(times))
"""


def test_a_ten_thousand_file_commit_and_listing_do_not_stall_the_health_check(hub, tmp_path):
    import statistics
    import sys

    from huggingface_hub import CommitOperationAdd

    api = HfApi()
    repo_id = f"{hub.user}/{unique_name('tenk')}"
    api.create_repo(repo_id)
    operations = [CommitOperationAdd(f"d{i % 100}/f{i}.txt", str(i).encode()) for i in range(10_000)]
    poller = subprocess.Popen([sys.executable, "-c", HEALTH_POLLER, f"{hub.endpoint}/api/hubkit/health", "12"],
                              stdout=subprocess.PIPE, text=True)
    start = time.perf_counter()
    api.create_commit(repo_id, operations, commit_message="ten thousand files")
    committed_s = time.perf_counter() - start
    start = time.perf_counter()
    listed = list(api.list_repo_tree(repo_id, recursive=True))
    listed_s = time.perf_counter() - start
    health = json.loads(poller.communicate(timeout=120)[0])

    assert sum(1 for item in listed if item.path.endswith(".txt")) == 10_000
    # Stall guards with wide margins (these took 45 s and 9 s, and stalled the health check 12 s).
    assert committed_s < 60 and listed_s < 10, (committed_s, listed_s)
    assert len(health) > 20
    assert statistics.quantiles(health, n=20)[-1] < 0.1, f"health p95 {statistics.quantiles(health, n=20)[-1]:.3f} s"
    assert max(health) < 1.0, f"the health check stalled {max(health):.2f} s"

    # Trees are stored per directory: one more small file rewrites the nodes on its path only
    # (the root's 100 names and d7's 100 files), where a whole-tree copy was 1.4 MB.
    before = stored_tree_bytes(hub.data_dir)
    api.upload_file(path_or_fileobj=b"x", path_in_repo="d7/one-more.txt", repo_id=repo_id)
    added = stored_tree_bytes(hub.data_dir) - before
    assert 0 < added < 64_000, f"a one-file commit stored {added} bytes of tree"
    assert len(list(api.list_repo_tree(repo_id, path_in_repo="d7"))) == 101


def stored_tree_bytes(data_dir: Path) -> int:
    """Bytes of tree kept by the hub: directory nodes plus any flat tree a commit row holds."""
    import sqlite3

    conn = sqlite3.connect(f"file:{data_dir / 'hub.sqlite3'}?mode=ro", uri=True)
    try:
        nodes = conn.execute("SELECT COALESCE(SUM(LENGTH(entries)), 0) FROM tree_nodes").fetchone()[0]
        flat = conn.execute("SELECT COALESCE(SUM(LENGTH(tree)), 0) FROM commits").fetchone()[0]
        return nodes + flat
    finally:
        conn.close()


# ----- tokens, read-only tokens, anonymous callers (issue 12 item 5) and data at rest (item 6) -----
def hubkit_cli(*args) -> subprocess.CompletedProcess:
    import sys

    return subprocess.run([sys.executable, "-m", "hubkit.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_tokens_can_be_listed_and_revoked_and_die_with_their_user(hub):
    from huggingface_hub.errors import HfHubHTTPError as HTTPError

    from helpers.hubserver import create_token

    name = unique_name("eve").replace("-", "")
    first, second = create_token(hub.data_dir, name), create_token(hub.data_dir, name)
    listed = hubkit_cli("hub", "token", "list", "--data-dir", hub.data_dir, "--user", name)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 2
    assert first not in listed.stdout and second not in listed.stdout
    token_id = listed.stdout.split()[0]
    assert hubkit_cli("hub", "token", "revoke", token_id, "--data-dir", hub.data_dir).returncode == 0
    alive = [t for t in (first, second) if request(hub.endpoint, "GET", "/api/whoami-v2", token=t).status == 200]
    assert len(alive) == 1
    assert hubkit_cli("hub", "user", "delete", name, "--data-dir", hub.data_dir).returncode == 0
    assert request(hub.endpoint, "GET", "/api/whoami-v2", token=alive[0]).status == 401
    with pytest.raises(HTTPError):
        HfApi(token=alive[0]).whoami()


def test_read_tokens_cannot_open_discussions_or_pull_requests(hub, repo_id):
    from helpers.hubserver import create_token

    reader = create_token(hub.data_dir, unique_name("reader").replace("-", ""), read_only=True)
    for pull_request in (False, True):
        response = request(hub.endpoint, "POST", f"/api/models/{repo_id}/discussions", token=reader,
                           body={"title": "hi", "pullRequest": pull_request})
        assert response.status == 403, response.body
    assert request(hub.endpoint, "GET", f"/api/models/{repo_id}/discussions", token=hub.token).json()["count"] == 0


def test_anonymous_callers_of_private_or_missing_repos_get_401_repo_not_found(hub):
    from huggingface_hub.errors import RepositoryNotFoundError

    private = f"{hub.user}/{unique_name('secret')}"
    HfApi().create_repo(private, private=True)
    for repo_id in (private, f"{hub.user}/{unique_name('missing')}"):
        response = request(hub.endpoint, "GET", f"/api/models/{repo_id}")
        assert response.status == 401 and response.headers["x-error-code"] == "RepoNotFound"
        with pytest.raises(RepositoryNotFoundError):
            HfApi(token=False).model_info(repo_id)
    assert request(hub.endpoint, "GET", f"/api/models/{hub.user}/{unique_name('missing')}",
                   token=hub.token).status == 404


def test_data_at_rest_is_private_and_health_shows_no_path(hub, repo_id):
    import os
    import stat

    assert stat.S_IMODE(os.stat(hub.data_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(hub.data_dir / "hub.sqlite3").st_mode) == 0o600
    objects = [p for p in (hub.data_dir / "objects").rglob("*") if p.is_file()]
    assert objects and all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in objects)
    health = request(hub.endpoint, "GET", "/api/hubkit/health").body.decode()
    assert str(hub.data_dir) not in health and "/" not in json.loads(health)["version"]


def test_links_use_the_public_url_not_the_host_header(hub, repo_id):
    body = {"operation": "upload", "transfers": ["basic"],
            "objects": [{"oid": "a" * 64, "size": 10}]}
    response = request(hub.endpoint, "POST", f"/{repo_id}.git/info/lfs/objects/batch", token=hub.token, body=body,
                       headers={"Host": "evil.example"})
    href = response.json()["objects"][0]["actions"]["upload"]["href"]
    assert href.startswith(hub.endpoint + "/") and "evil.example" not in href
