"""pytest plugin that runs huggingface_hub's own tests (and, with ``hf_hub_suite_datasets``,
``datasets``' hub-facing ones) against a local ``hubkit hub serve``.

Loaded by ``bench/hf_hub_suite.py`` (``-p hf_hub_suite_plugin``) into a pytest process over the
test files unpacked from the library's sdist. The sdist ships the tests without the conftest that
upstream CI uses, so this module supplies what the suite needs from one:

- the fixtures (``api``, ``api_prod``, ``repo_factory`` and the ``RepoFactory`` class the test
  modules import from ``.conftest``), bound to the fixed CI users and tokens, which the driver has
  registered on our hub;
- the pointing of the staging endpoint at our server: ``HF_ENDPOINT`` (read by the library at
  import), the ``ENDPOINT_STAGING`` constant, and the literal staging host some tests write out,
  which the transport below routes to our server;
- a guard that refuses any connection to a host other than 127.0.0.1, so a test that would reach
  the internet fails at once instead of hanging on a machine without it;
- the scope: out-of-scope groups are deselected at collection, each with a reason;
- a record per test of its outcome, of how many HTTP requests it sent to our server, and of every
  error answer (method, path, status, ``X-Error-Code``, message) our server gave it. The driver
  prints the tables and the failure list from that record.

Configuration comes from the environment the driver sets (``HF_HUB_SUITE_*``).
"""

from __future__ import annotations

import collections
import contextlib
import inspect
import json
import os
import re
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ENDPOINT = os.environ.get("HF_HUB_SUITE_ENDPOINT", "")
RESULTS_PATH = os.environ.get("HF_HUB_SUITE_RESULTS", "")
LIBRARY = os.environ.get("HF_HUB_SUITE_LIBRARY", "huggingface_hub")
# The suite's fixed user names our hub refuses, mapped to names it accepts (see the driver).
USER_RENAMES: dict[str, str] = json.loads(os.environ.get("HF_HUB_SUITE_USER_RENAMES", "{}"))
STAGING_HOST = "hub-ci.huggingface.co"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_RECORDED_ERRORS = 20


# ----- which tests are in scope -----
# (why, predicate over an item): the first rule that matches deselects the item.
def _marked(name: str) -> Callable[[pytest.Item], bool]:
    return lambda item: item.get_closest_marker(name) is not None


def _named(pattern: str) -> Callable[[pytest.Item], bool]:
    regex = re.compile(pattern, re.IGNORECASE)
    return lambda item: bool(regex.search(item.nodeid))


def _uses_missing_fixture_files(item: pytest.Item) -> bool:
    """Whether the test names a module-level path into ``tests/fixtures`` that is not on disk.

    The sdist ships the test modules without ``tests/fixtures/`` (sample cards, a working repo);
    tests that read those local files cannot run from it, whatever the server does.
    """
    function = getattr(item, "function", None)
    module = getattr(item, "module", None)
    if function is None or module is None:
        return False
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return any(isinstance(value, (str, Path)) and "fixtures" in str(value) and not Path(value).exists()
               and re.search(rf"\b{re.escape(name)}\b", source) for name, value in vars(module).items())


OUT_OF_SCOPE: list[tuple[str, Callable[[pytest.Item], bool]]] = [
    ("marked production: runs against huggingface.co itself", _marked("production")),
    ("marked xet: needs Xet storage, which hubkit does not serve (it keeps clients on LFS)", _marked("xet")),
    ("marked git_lfs: needs git and git-lfs over the git protocol (upstream skips it too unless RUN_GIT_LFS_TESTS)",
     _marked("git_lfs")),
    ("collections: not a hubkit feature", _named(r"collection")),
    ("webhooks: not a hubkit feature", _named(r"webhook")),
    ("inference (providers, endpoints, catalog): not a hub-storage feature", _named(r"inference")),
    ("Spaces hardware, runtime, secrets and variables: hubkit runs no Spaces",
     _named(r"Space\w*::test_\w*(hardware|sleep_time|secret|variable|restart|pause|runtime|storage|duplicate)")),
    ("reads tests/fixtures/ files, which the sdist does not ship (local card files; no server involved)",
     _uses_missing_fixture_files),
]


def scope_rules() -> list[tuple[str, Callable[[pytest.Item], bool]]]:
    """The out-of-scope rules of the library whose suite runs (``HF_HUB_SUITE_LIBRARY``).

    One collection hook deselects for every library, so that the record and the report are the
    same; only the rules differ, and ``datasets``' rules live with its fixtures.
    """
    if LIBRARY == "datasets":
        from hf_hub_suite_datasets import OUT_OF_SCOPE as datasets_rules

        return datasets_rules
    return OUT_OF_SCOPE


def out_of_scope_reason(item: pytest.Item) -> str | None:
    """Why ``item`` is outside the in-scope set, or None when it is in scope."""
    return next((why for why, matches in scope_rules() if matches(item)), None)


# ----- the record of each test -----
class Recorder:
    """Per-test outcomes, request counts and server error answers, written as JSON at the end."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.tests: dict[str, dict[str, Any]] = {}
        self.deselected: list[dict[str, str]] = []

    def entry(self, nodeid: str) -> dict[str, Any]:
        return self.tests.setdefault(nodeid, {
            "nodeid": nodeid, "outcome": None, "requests": 0, "server_errors": [], "blocked": [],
            "message": "", "duration": 0.0})

    def on_request(self) -> dict[str, Any] | None:
        return self.entry(self.current) if self.current else None

    def write(self, path: str) -> None:
        Path(path).write_text(json.dumps({"tests": list(self.tests.values()), "deselected": self.deselected},
                                         indent=1))


RECORDER = Recorder()


# ----- network: route staging to our server, refuse everything not local -----
class BlockedHostError(ConnectionRefusedError):
    """A test tried to reach a host other than 127.0.0.1 (the harness runs offline by design)."""


def _host_of(address: Any) -> str:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return str(address)


def _refuse_unless_local(host: str) -> None:
    if host and host not in LOCAL_HOSTS and not host.startswith("/"):
        entry = RECORDER.on_request()
        if entry is not None and host not in entry["blocked"]:
            entry["blocked"].append(host)
        raise BlockedHostError(f"hf_hub_suite: connection to {host!r} blocked (only 127.0.0.1 is allowed)")


def install_network_guard() -> None:
    """Refuse DNS look-ups of and connections to any host but the loopback one.

    Patched at the socket level so that every client (httpx2, urllib, fsspec, git) is covered.
    A refused connection raises at once; without the guard, a look-up on a machine with no
    internet can hang until a long timeout.
    """
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        _refuse_unless_local(host.decode() if isinstance(host, bytes) else str(host or ""))
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refuse_unless_local(_host_of(address))
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refuse_unless_local(_host_of(address))
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex


def _route(request: Any) -> bool:
    """Send a request for the staging host to our server; True when it goes to our server."""
    ours = urllib.parse.urlsplit(ENDPOINT)
    if request.url.host == STAGING_HOST:
        request.url = request.url.copy_with(scheme=ours.scheme, host=ours.hostname, port=ours.port)
        request.headers["Host"] = ours.netloc
    return (request.url.host, request.url.port) == (ours.hostname, ours.port)


def _error_record(request: Any, status: int, headers: Any, body: bytes) -> dict[str, Any]:
    message = ""
    try:
        message = json.loads(body).get("error", "") if body else ""
    except (ValueError, AttributeError):
        message = body[:200].decode(errors="replace")
    return {"method": request.method, "path": urllib.parse.unquote(request.url.raw_path.decode()),
            "status": status, "error_code": headers.get("x-error-code", ""), "message": str(message)[:300]}


def install_transport_hooks() -> None:
    """Wrap httpx2's transports: route staging, count requests to our server, keep its error answers.

    An error body is read here (it is small) and handed on in a fresh stream, so that the client
    sees the same bytes it would have seen.
    """
    import httpx2

    real_sync = httpx2.HTTPTransport.handle_request
    real_async = httpx2.AsyncHTTPTransport.handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        ours = _route(request)
        response = real_sync(self, request)
        entry = RECORDER.on_request() if ours else None
        if entry is None:
            return response
        entry["requests"] += 1
        if response.status_code < 400 or response.headers.get("content-encoding"):
            return response
        body = b"".join(response.stream)
        response.close()
        if len(entry["server_errors"]) < MAX_RECORDED_ERRORS:
            entry["server_errors"].append(_error_record(request, response.status_code, response.headers, body))
        return httpx2.Response(response.status_code, headers=response.headers, stream=httpx2.ByteStream(body),
                               request=request, extensions=response.extensions)

    async def handle_async_request(self: Any, request: Any) -> Any:
        ours = _route(request)
        response = await real_async(self, request)
        entry = RECORDER.on_request() if ours else None
        if entry is not None:
            entry["requests"] += 1
        return response

    httpx2.HTTPTransport.handle_request = handle_request
    httpx2.AsyncHTTPTransport.handle_async_request = handle_async_request


# ----- pointing the suite's constants at our server -----
def point_testing_constants(module: Any) -> None:
    """Make the suite's ``testing_constants`` name our server and the user names our hub accepts.

    Called by the generated ``tests/conftest.py`` before any test module imports the constants.
    """
    module.ENDPOINT_STAGING = ENDPOINT
    for attribute in ("USER", "OTHER_USER", "ENTERPRISE_USER", "ENTERPRISE_ORG"):
        value = getattr(module, attribute, None)
        if value in USER_RENAMES:
            setattr(module, attribute, USER_RENAMES[value])


def _testing_constants() -> Any:
    import importlib

    return importlib.import_module("tests.testing_constants")


# ----- fixtures -----
class RepoFactory:
    """Creates repos on our hub for a test and deletes them after it (the suite's ``repo_factory``).

    ``repo_factory(repo_type=None, *, repo_id=None, token=None, **create_repo_kwargs)``: a repo id
    without a namespace lands in the token's own namespace (the caller's user), as on the Hub.
    Returns what ``HfApi.create_repo`` returns, a ``RepoUrl``.
    """

    def __init__(self, endpoint: str, default_token: str) -> None:
        self.endpoint = endpoint
        self.default_token = default_token
        self.created: list[tuple[str, str, str]] = []

    def __call__(self, repo_type: str | None = None, *, repo_id: str | None = None, token: str | None = None,
                 **kwargs: Any) -> Any:
        from huggingface_hub import HfApi
        from tests.testing_utils import repo_name

        token = token or self.default_token
        url = HfApi(endpoint=self.endpoint, token=token).create_repo(
            repo_id=repo_id or repo_name(), repo_type=repo_type, **kwargs)
        self.created.append((url.repo_id, url.repo_type, token))
        return url

    def cleanup(self) -> None:
        """Delete what this factory created; a test may have deleted or moved it already."""
        from huggingface_hub import HfApi

        for repo_id, repo_type, token in reversed(self.created):
            # Clean-up must not turn a test's result into an error.
            with contextlib.suppress(Exception):
                HfApi(endpoint=self.endpoint, token=token).delete_repo(repo_id, repo_type=repo_type,
                                                                       missing_ok=True)


@pytest.fixture(scope="session")
def api() -> Any:
    """The suite's authenticated client, as its main CI user, on our server (class-scoped fixtures use it)."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=ENDPOINT, token=_testing_constants().TOKEN)


@pytest.fixture(scope="session")
def api_prod() -> Any:
    """An unauthenticated production client; only production tests (deselected) use it."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=_testing_constants().ENDPOINT_PRODUCTION)


@pytest.fixture
def repo_factory() -> Iterator[RepoFactory]:
    factory = RepoFactory(ENDPOINT, _testing_constants().TOKEN)
    yield factory
    factory.cleanup()


@pytest.fixture(autouse=True)
def _own_cache_and_token_files(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty hub cache and no stored token, as upstream CI gives it.

    Tests that look a file up in the cache after another test downloaded it would otherwise pass
    or fail depending on order.
    """
    from huggingface_hub import constants

    base = tmp_path_factory.mktemp("hf")
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        monkeypatch.setattr(constants, name, str(base / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(base / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(base / "stored_tokens"))


# ----- hooks -----
def pytest_configure(config: pytest.Config) -> None:
    install_network_guard()
    install_transport_hooks()
    for marker in ("api", "transfer", "inference", "xet", "no_xet", "production", "deprecated", "git_lfs", "vcr"):
        config.addinivalue_line("markers", f"{marker}: huggingface_hub suite marker")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        reason = out_of_scope_reason(item)
        if reason is None:
            kept.append(item)
        else:
            dropped.append(item)
            RECORDER.deselected.append({"nodeid": item.nodeid, "reason": reason})
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    RECORDER.current = item.nodeid
    RECORDER.entry(item.nodeid)
    started = time.monotonic()
    yield
    RECORDER.entry(item.nodeid)["duration"] = round(time.monotonic() - started, 2)
    RECORDER.current = None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """One outcome per test: a failed set-up or teardown is an error; a call's result otherwise."""
    entry = RECORDER.entry(report.nodeid)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = "error" if report.when == "setup" and report.failed else report.outcome
        entry["outcome"] = outcome
        entry["message"] = _short_message(report)
    elif report.when == "teardown" and report.failed and entry["outcome"] == "passed":
        entry["outcome"] = "error"
        entry["message"] = "teardown: " + _short_message(report)


def _short_message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    crash = getattr(report.longrepr, "reprcrash", None)
    return (crash.message if crash else str(report.longrepr or ""))[:600]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if RESULTS_PATH:
        RECORDER.write(RESULTS_PATH)


def summarize_by(tests: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> dict[str, collections.Counter]:
    """Outcome counts grouped by ``key`` (used by the driver; here so both sides agree on outcomes)."""
    groups: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for test in tests:
        groups[key(test)][test["outcome"] or "not run"] += 1
    return dict(groups)
