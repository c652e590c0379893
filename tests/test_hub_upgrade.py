"""A data dir written by an earlier hubkit keeps working: the embedded hub's default data dir
(``~/.cache/hubkit/hub``) outlives upgrades, so its database is migrated, never a source of 500s."""

from __future__ import annotations

import sqlite3

from huggingface_hub import HfApi, hf_hub_download

from helpers.hubserver import HubProcess, create_token

# The first release's tables that later releases changed: ``commits.tree`` was the commit's flat
# tree, NOT NULL with no default, before directory nodes (``commits.root``) replaced it.
FIRST_RELEASE_TABLES = """
CREATE TABLE repos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL CHECK (type IN ('model', 'dataset', 'space')),
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    private INTEGER NOT NULL,
    gated TEXT,
    sdk TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (type, namespace, name)
);
CREATE TABLE commits (
    repo INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    sha TEXT NOT NULL,
    parent TEXT,
    tree TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    author TEXT NOT NULL,
    date TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (repo, sha)
);
CREATE TABLE org_members (
    org TEXT NOT NULL,
    user TEXT NOT NULL,
    PRIMARY KEY (org, user)
);
"""


def test_a_first_release_data_dir_takes_new_repos_and_commits(tmp_path):
    data_dir = tmp_path / "hub"
    data_dir.mkdir()
    conn = sqlite3.connect(data_dir / "hub.sqlite3")
    conn.executescript(FIRST_RELEASE_TABLES)
    conn.close()
    hub = HubProcess(data_dir).start()
    try:
        token = create_token(data_dir, "upgrader")
        api = HfApi(endpoint=hub.endpoint, token=token)
        repo_id = api.create_repo("upgrader/kept-working").repo_id
        commit = api.upload_file(path_or_fileobj=b"still here\n", path_in_repo="notes.txt", repo_id=repo_id)
        path = hf_hub_download(repo_id, "notes.txt", revision=commit.oid, endpoint=hub.endpoint, token=token,
                               cache_dir=tmp_path / "cache")
        assert open(path, "rb").read() == b"still here\n"
        assert [c.commit_id for c in api.list_repo_commits(repo_id)][0] == commit.oid
    finally:
        hub.stop()
