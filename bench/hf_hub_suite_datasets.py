"""pytest plugin: what the hub-facing tests of ``datasets`` need from a conftest, bound to our hub.

Loaded by ``bench/hf_hub_suite.py --library datasets`` (``-p hf_hub_suite_datasets``, next to
``hf_hub_suite_plugin``, which supplies the network guard, the per-test record and the report).
The ``datasets`` sdist ships its test modules without ``tests/fixtures/``, ``tests/utils.py`` and
its conftest. The hub-facing modules import ``tests/fixtures/hub.py`` (the CI Hub's endpoint, user
and token) and a few helpers from ``tests/utils.py``; the driver writes both as one-line modules
that re-export from here, so that everything the suite runs on is written by us:

- the CI constants, pointed at the hub the driver started (``CI_HUB_ENDPOINT``), with the fixed CI
  user and token string that upstream's CI Hub has, which the driver registers on our hub;
- the hub fixtures (``ci_hub_config``, ``hf_api``, ``hf_token``, ``temporary_repo``,
  ``cleanup_repo``, ``set_ci_hub_access_token``, the private and gated repos with sample data);
- the sample files those repos hold (a text file, CSV files, zips of CSVs and of images), made
  here at run time with the shapes the tests assert on (sizes, entry counts);
- the scope (which tests talk to the CI Hub; see ``OUT_OF_SCOPE``);
- isolation: each test gets its own ``datasets`` cache, as upstream's conftest gives it.

Configuration comes from the environment the driver sets (``HF_HUB_SUITE_*``).
"""

from __future__ import annotations

import contextlib
import csv
import enum
import inspect
import json
import os
import re
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_ENDPOINT = os.environ.get("HF_HUB_SUITE_ENDPOINT", "")
_RENAMES: dict[str, str] = json.loads(os.environ.get("HF_HUB_SUITE_USER_RENAMES", "{}"))

# The user and token string of upstream's CI Hub (datasets' tests/fixtures/hub.py); the driver
# registers them on our hub. Our hub refuses the underscored name; the driver registers it renamed
# and passes the rename here, so that repo ids the tests build name a user that exists.
UPSTREAM_CI_HUB_USER = "__DUMMY_TRANSFORMERS_USER__"
CI_HUB_USER = _RENAMES.get(UPSTREAM_CI_HUB_USER, UPSTREAM_CI_HUB_USER)
CI_HUB_USER_FULL_NAME = "Dummy User"
CI_HUB_USER_TOKEN = "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"
CI_HUB_ENDPOINT = _ENDPOINT
CI_HUB_DATASETS_URL = CI_HUB_ENDPOINT + "/datasets/{repo_id}/resolve/{revision}/{path}"
CI_HFH_HUGGINGFACE_CO_URL_TEMPLATE = CI_HUB_ENDPOINT + "/{repo_id}/resolve/{revision}/{filename}"


def ci_accounts() -> list[dict[str, Any]]:
    """The CI accounts to register on the hub (the driver's ``register_accounts`` format)."""
    return [{"user": UPSTREAM_CI_HUB_USER, "token": CI_HUB_USER_TOKEN, "orgs": [],
             "settings": {UPSTREAM_CI_HUB_USER: {"fullname": CI_HUB_USER_FULL_NAME}}}]


# ----- scope -----
# Fixtures that stand for upstream's CI Hub: a test that requests one (or sits in a class that
# uses ``ci_hub_config``) sends its requests to the CI Hub, which here is our server.
CI_HUB_FIXTURES = frozenset({
    "ci_hub_config", "ci_hfh_hf_hub_url", "set_ci_hub_access_token", "hf_api", "hf_token", "cleanup_repo",
    "temporary_repo", "hf_private_dataset_repo_txt_data", "hf_private_dataset_repo_zipped_txt_data",
    "hf_private_dataset_repo_zipped_img_data", "hf_gated_dataset_repo_txt_data"})
PRODUCTION_NAMES = re.compile(r"hf-internal-testing/|SAMPLE_\w*DATASET")


def _source(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    try:
        return inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        return ""


def _uses_buckets(item: pytest.Item) -> bool:
    return "temporary_bucket" in getattr(item, "fixturenames", ())


def _uses_ci_hub(item: pytest.Item) -> bool:
    return bool(CI_HUB_FIXTURES & set(getattr(item, "fixturenames", ())))


def _uses_production(item: pytest.Item) -> bool:
    """Marked ``integration`` (upstream's mark for tests that need the network) or names one of
    huggingface.co's ``hf-internal-testing`` repos, in its code or its parameters.

    A test that only formats a huggingface.co URL (``hf_dataset_url``) is neither: it is local.
    """
    return (item.get_closest_marker("integration") is not None
            or bool(PRODUCTION_NAMES.search(_source(item)) or PRODUCTION_NAMES.search(item.nodeid)))


OUT_OF_SCOPE: list[tuple[str, Callable[[pytest.Item], bool]]] = [
    ("Storage Buckets: Xet-only storage (files are addressed by xet hash), which hubkit does not serve",
     _uses_buckets),
    ("production: needs huggingface.co's hf-internal-testing repos or another internet host (upstream: integration)",
     lambda item: _uses_production(item) and not _uses_ci_hub(item)),
    ("not hub-facing: uses no CI Hub fixture (local files, mocks, or the network only through mocks)",
     lambda item: not _uses_ci_hub(item)),
]


# ----- helpers of upstream's tests/utils.py that the hub-facing modules import -----
def for_all_test_methods(*decorators: Callable) -> Callable[[type], type]:
    """Class decorator: apply ``decorators`` to every ``test_*`` method of the class."""
    def decorate(cls: type) -> type:
        for name, attribute in list(vars(cls).items()):
            if callable(attribute) and name.startswith("test"):
                for decorator in decorators:
                    attribute = decorator(attribute)
                setattr(cls, name, attribute)
        return cls
    return decorate


def xfail_if_500_502_http_error(function: Callable) -> Callable:
    """Left as the test itself, on purpose.

    Upstream turns a 500 or 502 from its CI Hub into an xfail, because that Hub is shared and
    flaky. Here a 500 is a fault of our server, so it must count as a failure.
    """
    return function


def _require(module: str) -> pytest.MarkDecorator:
    import importlib.util

    return pytest.mark.skipif(importlib.util.find_spec(module) is None, reason=f"test requires {module}")


require_pil = _require("PIL")
require_torchcodec = _require("torchcodec")
require_zstandard = _require("zstandard")
slow = pytest.mark.skipif(os.environ.get("RUN_SLOW", "") not in ("1", "true", "yes"), reason="test is slow")


class OfflineSimulationMode(enum.Enum):
    """Importable only: the offline simulations are used by tests that are out of scope here."""

    CONNECTION_FAILS = 0
    CONNECTION_TIMES_OUT = 1
    HF_HUB_OFFLINE_SET_TO_1 = 2


def _not_supplied(name: str) -> Callable[..., Any]:
    def helper(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"hf_hub_suite: {name} is used only by out-of-scope tests and is not supplied")
    helper.__name__ = name
    return helper


offline = _not_supplied("offline")
assert_arrow_memory_increases = _not_supplied("assert_arrow_memory_increases")
assert_arrow_memory_doesnt_increase = _not_supplied("assert_arrow_memory_doesnt_increase")
set_current_working_directory_to_temp_dir = _not_supplied("set_current_working_directory_to_temp_dir")


# ----- sample files -----
# test_xgetsize_private asserts the text file is 39 bytes: two indented lines.
TEXT_CONTENT = "    Text data.\n    Second line of data."
CSV_ROWS = [{"col_1": "0", "col_2": 0, "col_3": 0.0}, {"col_1": "1", "col_2": 1, "col_3": 1.0},
            {"col_1": "2", "col_2": 2, "col_3": 2.0}, {"col_1": "3", "col_2": 3, "col_3": 3.0}]


def _write_csv(path: Path) -> Path:
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["col_1", "col_2", "col_3"])
        writer.writeheader()
        writer.writerows(CSV_ROWS)
    return path


@pytest.fixture(scope="session")
def text_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "file.txt"
    path.write_text(TEXT_CONTENT)
    return path


@pytest.fixture(scope="session")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(_write_csv(tmp_path_factory.mktemp("data") / "dataset.csv"))


@pytest.fixture(scope="session")
def zip_csv_with_dir_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zip holding ``main_dir/`` with two CSV files (xlistdir/xglob/xwalk count these entries)."""
    folder = tmp_path_factory.mktemp("zip_csv")
    path = folder / "dataset_with_dir.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(_write_csv(folder / "dataset.csv"), arcname="main_dir/dataset.csv")
        archive.write(_write_csv(folder / "dataset2.csv"), arcname="main_dir/dataset2.csv")
    return path


@pytest.fixture(scope="session")
def image_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    from PIL import Image

    path = tmp_path_factory.mktemp("data") / "test_image_rgb.jpg"
    Image.new("RGB", (64, 48), color=(200, 30, 90)).save(path)
    return str(path)


@pytest.fixture(scope="session")
def zip_image_path(image_file: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zip of two images at its root (the zipped-images test expects two examples)."""
    path = tmp_path_factory.mktemp("zip_img") / "dataset.img.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(image_file, arcname="image.jpg")
        archive.write(image_file, arcname="image2.jpg")
    return path


# ----- CI Hub fixtures -----
@pytest.fixture
def ci_hfh_hf_hub_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub's resolve-URL template on the CI Hub (already so through HF_ENDPOINT)."""
    monkeypatch.setattr("huggingface_hub.constants.HUGGINGFACE_CO_URL_TEMPLATE", CI_HFH_HUGGINGFACE_CO_URL_TEMPLATE)


@pytest.fixture
def ci_hub_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """``datasets``' endpoint and resolve-URL template on the CI Hub, that is, on our server."""
    monkeypatch.setattr("datasets.config.HF_ENDPOINT", CI_HUB_ENDPOINT)
    monkeypatch.setattr("datasets.config.HUB_DATASETS_URL", CI_HUB_DATASETS_URL)


@pytest.fixture
def set_ci_hub_access_token(ci_hub_config: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CI token as the ambient ``HF_TOKEN``, for tests that call the libraries without ``token=``.

    An environment variable, not a token file: ``push_to_hub(num_proc=...)`` uploads from
    *spawned* worker processes, which inherit the environment but not this process's patched
    token path.
    """
    monkeypatch.setenv("HF_TOKEN", CI_HUB_USER_TOKEN)
    yield


@pytest.fixture(scope="session")
def hf_api() -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=CI_HUB_ENDPOINT)


@pytest.fixture(scope="session")
def hf_token() -> str:
    return CI_HUB_USER_TOKEN


@pytest.fixture
def cleanup_repo(hf_api: Any) -> Callable[[str], None]:
    def cleanup(repo_id: str) -> None:
        hf_api.delete_repo(repo_id, token=CI_HUB_USER_TOKEN, repo_type="dataset")
    return cleanup


@pytest.fixture
def temporary_repo(hf_api: Any) -> Callable[..., contextlib.AbstractContextManager[str]]:
    """A dataset repo id in the CI user's namespace, deleted afterwards if the test created it.

    ``missing_ok``: some tests delete the repo themselves, or never create it (they expect the
    push to fail first); the clean-up must not turn their result into an error.
    """
    @contextlib.contextmanager
    def temporary(repo_id: str | None = None) -> Iterator[str]:
        repo_id = repo_id or f"{CI_HUB_USER}/test-{uuid.uuid4().hex[:8]}-{int(time.time() * 1000)}"
        try:
            yield repo_id
        finally:
            hf_api.delete_repo(repo_id, token=CI_HUB_USER_TOKEN, repo_type="dataset", missing_ok=True)
    return temporary


def _dataset_repo(hf_api: Any, token: str, prefix: str, path: Path | str, path_in_repo: str, *,
                  private: bool = True, gated: str | None = None) -> Iterator[str]:
    """Create a dataset repo holding one file, yield its id, delete it at the end of the session."""
    repo_id = f"{CI_HUB_USER}/{prefix}-{uuid.uuid4().hex[:8]}"
    hf_api.create_repo(repo_id, token=token, repo_type="dataset", private=private)
    hf_api.upload_file(path_or_fileobj=str(path), path_in_repo=path_in_repo, repo_id=repo_id,
                       repo_type="dataset", token=token)
    if gated:
        hf_api.update_repo_settings(repo_id, gated=gated, repo_type="dataset", token=token)
    yield repo_id
    with contextlib.suppress(Exception):
        hf_api.delete_repo(repo_id, token=token, repo_type="dataset")


@pytest.fixture(scope="session")
def hf_private_dataset_repo_txt_data_(hf_api: Any, hf_token: str, text_file: Path) -> Iterator[str]:
    yield from _dataset_repo(hf_api, hf_token, "repo_txt_data", text_file, "data/text_data.txt")


@pytest.fixture
def hf_private_dataset_repo_txt_data(hf_private_dataset_repo_txt_data_: str, ci_hub_config: None,
                                     ci_hfh_hf_hub_url: None) -> str:
    return hf_private_dataset_repo_txt_data_


@pytest.fixture(scope="session")
def hf_gated_dataset_repo_txt_data_(hf_api: Any, hf_token: str, text_file: Path) -> Iterator[str]:
    """A public repo gated with automatic approval: readable only by users who asked for access."""
    yield from _dataset_repo(hf_api, hf_token, "repo_gated_txt_data", text_file, "data/text_data.txt",
                             private=False, gated="auto")


@pytest.fixture
def hf_gated_dataset_repo_txt_data(hf_gated_dataset_repo_txt_data_: str, ci_hub_config: None,
                                   ci_hfh_hf_hub_url: None) -> str:
    return hf_gated_dataset_repo_txt_data_


@pytest.fixture(scope="session")
def hf_private_dataset_repo_zipped_txt_data_(hf_api: Any, hf_token: str, zip_csv_with_dir_path: Path) -> Iterator[str]:
    yield from _dataset_repo(hf_api, hf_token, "repo_zipped_txt_data", zip_csv_with_dir_path, "data.zip")


@pytest.fixture
def hf_private_dataset_repo_zipped_txt_data(hf_private_dataset_repo_zipped_txt_data_: str, ci_hub_config: None,
                                            ci_hfh_hf_hub_url: None) -> str:
    return hf_private_dataset_repo_zipped_txt_data_


@pytest.fixture(scope="session")
def hf_private_dataset_repo_zipped_img_data_(hf_api: Any, hf_token: str, zip_image_path: Path) -> Iterator[str]:
    yield from _dataset_repo(hf_api, hf_token, "repo_zipped_img_data", zip_image_path, "data.zip")


@pytest.fixture
def hf_private_dataset_repo_zipped_img_data(hf_private_dataset_repo_zipped_img_data_: str, ci_hub_config: None,
                                            ci_hfh_hf_hub_url: None) -> str:
    return hf_private_dataset_repo_zipped_img_data_


# ----- isolation -----
@pytest.fixture(autouse=True)
def _own_datasets_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty ``datasets`` cache (upstream's conftest does the same): a test that
    finds another test's download in the cache would pass without asking the server."""
    import datasets.config

    base = tmp_path_factory.mktemp("datasets-cache")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", base / "datasets")
    monkeypatch.setattr(datasets.config, "HF_MODULES_CACHE", base / "modules")
    monkeypatch.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", base / "datasets" / "downloads")
    monkeypatch.setattr(datasets.config, "EXTRACTED_DATASETS_PATH", base / "datasets" / "downloads" / "extracted")


def write_media_samples(data_dir: Path) -> None:
    """Sample media at the paths some push tests name (``tests/features/data/``), which the sdist
    does not ship: an RGB JPEG and a 44.1 kHz WAV. The tests compare what they pushed with what
    they load back, so any valid file of the right kind does."""
    import wave

    data_dir.mkdir(parents=True, exist_ok=True)
    image = data_dir / "test_image_rgb.jpg"
    if not image.exists():
        from PIL import Image

        Image.new("RGB", (64, 48), color=(30, 120, 200)).save(image)
    audio = data_dir / "test_audio_44100.wav"
    if not audio.exists():
        with wave.open(str(audio), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(44100)
            out.writeframes(bytes(2 * 4410))


def pytest_configure(config: pytest.Config) -> None:
    for marker in ("integration", "unit", "high_memory"):
        config.addinivalue_line("markers", f"{marker}: datasets suite marker")
    write_media_samples(Path(config.rootpath) / "tests" / "features" / "data")
