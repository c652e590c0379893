"""A token string chosen by the administrator (``admin.register_token``) authenticates over HTTP.

The client libraries' own test suites carry fixed token strings for their CI users; the harness
``bench/hf_hub_suite.py`` registers those strings on a fresh hub. These tests drive the unmodified
``huggingface_hub`` client against a real server.
"""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from hubkit.hub.admin import register_token

FIXED = "hf_FixedSuiteTokenXXXXXXXXXXXXXXX"


def test_registered_string_authenticates_as_its_user_with_its_orgs(own_hub):
    process, _ = own_hub
    register_token(process.data_dir, "suiteuser", FIXED, orgs=("suite-org",))

    info = HfApi(endpoint=process.endpoint, token=FIXED).whoami()

    assert info["name"] == "suiteuser"
    assert [org["name"] for org in info["orgs"]] == ["suite-org"]
    api = HfApi(endpoint=process.endpoint, token=FIXED)
    assert api.create_repo("suite-org/written-with-fixed-token").repo_id == "suite-org/written-with-fixed-token"


def test_read_only_registered_token_cannot_write(own_hub):
    process, _ = own_hub
    register_token(process.data_dir, "reader", FIXED, write=False)

    with pytest.raises(HfHubHTTPError) as caught:
        HfApi(endpoint=process.endpoint, token=FIXED).create_repo("reader/nope")

    assert caught.value.response.status_code == 403


def test_a_string_registers_once_and_blank_or_padded_strings_never(own_hub):
    process, _ = own_hub
    register_token(process.data_dir, "first", FIXED)

    with pytest.raises(ValueError, match="already registered"):
        register_token(process.data_dir, "second", FIXED)
    for bad in ("", "short", f" {FIXED}", "hf_with space inside"):
        with pytest.raises(ValueError):
            register_token(process.data_dir, "second", bad)

    assert HfApi(endpoint=process.endpoint, token=FIXED).whoami()["name"] == "first"
    with pytest.raises(HfHubHTTPError) as caught:
        HfApi(endpoint=process.endpoint, token=FIXED + "x").whoami()
    assert caught.value.response.status_code == 401
