"""The viewer's HTTP routes: ``/viewer/{is-valid,splits,first-rows,rows,search,filter,size,
statistics,parquet,info}`` with the real service's query parameters and JSON shapes, plus the
Hub's ``GET /api/datasets/{id}/parquet[/{config}[/{split}[/{n}.parquet]]]``.

Every route answers for the revision it served in ``X-Revision`` (a commit sha), as ``datasets``
checks. ``revision=`` (a branch, tag or commit; ``main`` by default) is hubkit's extension. A
repo is seen exactly as its files are: private repos of others are RepoNotFound, gated repos
need accepted access (:func:`hubkit.hub.access.require_file_access`).
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse

import pyarrow as pa
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from hubkit.hub import access, sessions
from hubkit.hub.api_read import base_url
from hubkit.hub.cache import BoundedCache
from hubkit.hub.errors import HubError, repo_not_found
from hubkit.hub.repos import Repo
from hubkit.hub.state import HubState
from hubkit.hub.viewer import discovery, pages, search, statistics, store, where
from hubkit.hub.viewer.errors import (
    invalid_parameter,
    missing_parameter,
    not_found,
    unreadable,
)

MAX_LENGTH = 100
MAX_PARAMETER = 4096
_INT_RE = re.compile(r"^-?\d{1,18}$")
_CONFIGS = BoundedCache(4096, 32 * 1024 * 1024)
_MATCHES = BoundedCache(256, 64 * 1024 * 1024)  # row numbers of recent searches and filters
ROUTES = ("is-valid", "splits", "first-rows", "rows", "search", "filter", "size", "statistics", "parquet", "info")


class Target:
    """The dataset a request names, at the commit it resolves to, and its configs."""

    def __init__(self, hub: HubState, repo: Repo, sha: str):
        self.hub, self.repo, self.sha = hub, repo, sha
        key = f"{repo.key}:{sha}"
        configs = _CONFIGS.get(key)
        if configs is None:
            tree = hub.repos.tree(repo, sha)
            readme = tree.get("README.md")
            configs = discovery.discover(hub.card_data(readme.sha256 if readme else None), list(tree))
            _CONFIGS.put(key, configs, sum(len(p) for splits in configs.values() for ps in splits.values() for p in ps) + 64)
        self.configs = configs

    @property
    def dataset(self) -> str:
        return self.repo.repo_id

    def split(self, config: str, split: str) -> store.SplitData:
        paths = discovery.split_files(self.configs, self.dataset, config, split)
        return store.load_split(self.hub, self.repo, self.sha, config, split, paths)

    def pairs(self, config: str | None = None) -> list[tuple[str, str]]:
        if config is not None and config not in self.configs:
            discovery.split_files(self.configs, self.dataset, config, "")  # raises, naming the config
        return [(c, s) for c, splits in self.configs.items() if config in (None, c) for s in splits]


# ----- parameters -----
def _param(request: Request, name: str, *, required: bool = True) -> str | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        if required:
            raise missing_parameter(name)
        return None
    if len(value) > MAX_PARAMETER:
        raise invalid_parameter(f"Parameter '{name}' is longer than {MAX_PARAMETER} characters.")
    return value


def _int(request: Request, name: str, default: int) -> int:
    value = _param(request, name, required=False)
    if value is None:
        return default
    if not _INT_RE.match(value):
        raise invalid_parameter(f"Parameter '{name}' must be an integer, got {value!r}.")
    return int(value)


def _page(request: Request) -> tuple[int, int]:
    offset, length = _int(request, "offset", 0), _int(request, "length", MAX_LENGTH)
    if offset < 0:
        raise invalid_parameter(f"Parameter 'offset' must be positive or zero, got {offset}.")
    if not 0 <= length <= MAX_LENGTH:
        raise invalid_parameter(f"Parameter 'length' must be between 0 and {MAX_LENGTH}, got {length}.")
    return offset, length


def _target(hub: HubState, request: Request, dataset: str | None = None, revision: str | None = None) -> Target:
    dataset = dataset or _param(request, "dataset")
    # The viewer page calls these read-only routes from the owner's signed-in browser, as its
    # file links call /resolve; API clients send tokens. Nothing here writes (GET/HEAD only).
    principal = hub.principal(request) or sessions.principal(hub, request)
    parts = dataset.split("/")
    if len(parts) != 2 or not all(parts):
        error = repo_not_found(dataset)
        if principal is None:
            error.status = 401
        raise error
    repo = hub.visible_repo("dataset", parts[0], parts[1], principal)
    access.require_file_access(hub, request, repo, principal)
    return Target(hub, repo, hub.repos.resolve(repo, revision or _param(request, "revision", required=False) or "main"))


def _answer(target: Target, body: dict | list) -> Response:
    return JSONResponse(body, headers={"X-Revision": target.sha})


# ----- /viewer/... -----
async def route(hub: HubState, request: Request, segs: list[str]) -> Response:
    """``/viewer/{name}``; ``segs`` follow ``viewer``."""
    if len(segs) != 1 or segs[0] not in ROUTES:
        raise HubError(404, "NotFound", f"No viewer route {request.url.path}; the routes are: {', '.join(ROUTES)}.")
    if request.method not in ("GET", "HEAD"):
        raise HubError(405, "MethodNotAllowed", f"{request.method} is not allowed on {request.url.path}; use GET.")
    handler = _HANDLERS[segs[0]]
    target = _target(hub, request)
    with _readable(target):
        return handler(hub, request, target)


@contextlib.contextmanager
def _readable(target: Target):
    """A data file that breaks while being read (a truncated or forged Parquet file) is the
    dataset's fault: 422 naming the dataset, never a 5xx."""
    try:
        yield
    except (pa.ArrowException, OSError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise unreadable(f"Cannot read the data files of {target.dataset} at {target.sha}: {message}") from None


def is_valid(hub: HubState, request: Request, target: Target) -> Response:
    viewable = bool(target.configs)
    searchable = False
    for config, split in target.pairs():
        try:
            searchable = bool(search.string_columns(target.split(config, split)))
        except HubError:
            viewable = False
        break
    return _answer(target, {"preview": viewable, "viewer": viewable, "search": viewable and searchable,
                            "filter": viewable, "statistics": viewable})


def splits(hub: HubState, request: Request, target: Target) -> Response:
    config = _param(request, "config", required=False)
    listed = [{"dataset": target.dataset, "config": c, "split": s} for c, s in target.pairs(config)]
    if not listed:
        raise not_found(f"Dataset {target.dataset!r} has no Parquet, CSV, JSON Lines or Arrow data files "
                        f"at revision {target.sha}.")
    return _answer(target, {"splits": listed, "pending": [], "failed": []})


def _split(request: Request, target: Target) -> tuple[str, str, store.SplitData]:
    config, split = _param(request, "config"), _param(request, "split")
    return config, split, target.split(config, split)


def first_rows(hub: HubState, request: Request, target: Target) -> Response:
    config, name, split = _split(request, target)
    return _answer(target, {"dataset": target.dataset, "config": config, "split": name,
                            "features": split.feature_list(), "rows": pages.read_range(split, 0, MAX_LENGTH),
                            "truncated": False})


def _rows_body(split: store.SplitData, rows: list[dict], total: int) -> dict:
    return {"features": split.feature_list(), "rows": rows, "num_rows_total": total,
            "num_rows_per_page": MAX_LENGTH, "partial": False}


def rows(hub: HubState, request: Request, target: Target) -> Response:
    _, _, split = _split(request, target)
    offset, length = _page(request)
    return _answer(target, _rows_body(split, pages.read_range(split, offset, length), split.num_rows))


def _matching_page(target: Target, split: store.SplitData, key: str, find, request: Request) -> Response:
    offset, length = _page(request)
    cache_key = f"{split.directory}|{key}"
    matches = _MATCHES.get(cache_key)
    if matches is None:
        matches = find()
        _MATCHES.put(cache_key, matches, matches.nbytes + 64)
    page = pages.read_indices(split, matches[offset: offset + length]) if offset < len(matches) else []
    return _answer(target, _rows_body(split, page, len(matches)))


def search_rows(hub: HubState, request: Request, target: Target) -> Response:
    _, _, split = _split(request, target)
    query = _param(request, "query")
    search.words(query)  # bad input is refused before any reading
    return _matching_page(target, split, "search\x00" + query, lambda: search.matching_rows(split, query), request)


def filter_rows(hub: HubState, request: Request, target: Target) -> Response:
    _, _, split = _split(request, target)
    text = _param(request, "where")
    condition = where.parse(text, split.columns)
    return _matching_page(target, split, "where\x00" + text, lambda: where.matching_rows(split, condition), request)


def statistics_route(hub: HubState, request: Request, target: Target) -> Response:
    _, _, split = _split(request, target)
    return _answer(target, store.cached_json(split.directory, "statistics.json", lambda: statistics.compute(split)))


def _split_size(target: Target, config: str, name: str, split: store.SplitData) -> dict:
    return {"dataset": target.dataset, "config": config, "split": name, "num_bytes_original_files": split.original_bytes,
            "num_bytes_parquet_files": sum(split.parquet_bytes), "num_bytes_memory": split.memory_bytes,
            "num_rows": split.num_rows, "num_columns": len(split.features)}


def _sum(items: list[dict], keys: tuple[str, ...]) -> dict:
    return {key: sum(item[key] for item in items) for key in keys}


SIZE_KEYS = ("num_bytes_original_files", "num_bytes_parquet_files", "num_bytes_memory", "num_rows")


def size(hub: HubState, request: Request, target: Target) -> Response:
    config = _param(request, "config", required=False)
    split_sizes = [_split_size(target, c, s, target.split(c, s)) for c, s in target.pairs(config)]
    configs = []
    for name in dict.fromkeys(item["config"] for item in split_sizes):
        mine = [item for item in split_sizes if item["config"] == name]
        configs.append({"dataset": target.dataset, "config": name, **_sum(mine, SIZE_KEYS),
                        "num_columns": max(item["num_columns"] for item in mine)})
    if config is not None:
        body = {"size": {"config": configs[0], "splits": split_sizes}}
    else:
        body = {"size": {"dataset": {"dataset": target.dataset, **_sum(split_sizes, SIZE_KEYS)}, "configs": configs,
                         "splits": split_sizes}}
    return _answer(target, {**body, "pending": [], "failed": [], "partial": False})


def _parquet_url(hub: HubState, request: Request, target: Target, config: str, split: str, index: int) -> str:
    quote = urllib.parse.quote
    return (f"{base_url(hub, request)}/api/datasets/{target.dataset}/parquet/{quote(config, safe='')}/"
            f"{quote(split, safe='')}/{index}.parquet")


def parquet(hub: HubState, request: Request, target: Target) -> Response:
    config = _param(request, "config", required=False)
    files = []
    for c, s in target.pairs(config):
        split = target.split(c, s)
        for index, size_bytes in enumerate(split.parquet_bytes):
            files.append({"dataset": target.dataset, "config": c, "split": s,
                          "url": _parquet_url(hub, request, target, c, s, index), "filename": f"{index:04d}.parquet",
                          "size": size_bytes})
    return _answer(target, {"parquet_files": files, "pending": [], "failed": [], "partial": False})


def _config_info(target: Target, config: str) -> dict:
    names = list(target.configs[config])
    parts = {name: target.split(config, name) for name in names}
    first = parts[names[0]]
    split_infos = {name: {"name": name, "num_bytes": part.memory_bytes, "num_examples": part.num_rows,
                          "dataset_name": target.repo.name} for name, part in parts.items()}
    return {"description": "", "citation": "", "homepage": "", "license": "", "features": first.features,
            "builder_name": first.file_format, "dataset_name": target.repo.name, "config_name": config,
            "version": {"version_str": "0.0.0", "major": 0, "minor": 0, "patch": 0}, "splits": split_infos,
            "download_size": sum(part.original_bytes for part in parts.values()),
            "dataset_size": sum(part.memory_bytes for part in parts.values())}


def info(hub: HubState, request: Request, target: Target) -> Response:
    config = _param(request, "config", required=False)
    if config is not None:
        target.pairs(config)  # 404 naming it when missing
        return _answer(target, {"dataset_info": _config_info(target, config), "partial": False})
    return _answer(target, {"dataset_info": {c: _config_info(target, c) for c in target.configs},
                            "pending": [], "failed": [], "partial": False})


_HANDLERS = {"is-valid": is_valid, "splits": splits, "first-rows": first_rows, "rows": rows, "search": search_rows,
             "filter": filter_rows, "size": size, "statistics": statistics_route, "parquet": parquet, "info": info}


# ----- the Hub's /api/datasets/{id}/parquet -----
async def hub_parquet(hub: HubState, request: Request, repo: Repo, rest: list[str]) -> Response:
    """``GET /api/datasets/{id}/parquet[/{config}[/{split}[/{n}.parquet]]]``; ``rest`` follows ``parquet``."""
    if len(rest) > 3:
        raise HubError(404, "NotFound", f"No API route for GET {request.url.path}.")
    target = _target(hub, request, dataset=repo.repo_id)
    with _readable(target):
        return _hub_parquet(hub, request, target, rest)


def _hub_parquet(hub: HubState, request: Request, target: Target, rest: list[str]) -> Response:
    if len(rest) == 3:
        match = re.fullmatch(r"(\d{1,6})\.parquet", rest[2])
        if not match:
            raise not_found(f"No Parquet file {rest[2]!r}: the files are named 0.parquet, 1.parquet, ...")
        split = target.split(rest[0], rest[1])
        index = int(match.group(1))
        if index >= len(split.files):
            raise not_found(f"Split {rest[1]!r} of config {rest[0]!r} has {len(split.files)} Parquet file(s); "
                            f"there is no {rest[2]}.")
        return FileResponse(split.files[index], media_type="application/octet-stream",
                            filename=f"{index:04d}.parquet", headers={"X-Revision": target.sha})
    listing: dict = {}
    for config, name in target.pairs(rest[0] if rest else None):
        if len(rest) == 2 and name != rest[1]:
            continue
        count = len(target.split(config, name).files)
        listing.setdefault(config, {})[name] = [_parquet_url(hub, request, target, config, name, i) for i in range(count)]
    if len(rest) == 2:
        if rest[0] not in listing:
            target.split(rest[0], rest[1])  # raises, naming the missing split
        return _answer(target, listing[rest[0]][rest[1]])
    return _answer(target, listing[rest[0]] if rest else listing)
