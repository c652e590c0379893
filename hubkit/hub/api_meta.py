"""Account and repository-level routes: whoami, create/delete/move repos, card validation."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hubkit.hub import auth
from hubkit.hub.api_read import base_url
from hubkit.hub.auth import Principal
from hubkit.hub.bodies import field
from hubkit.hub.errors import HubError, bad_request
from hubkit.hub.repos import REPO_TYPES, URL_PREFIX
from hubkit.hub.cardyaml import InvalidYaml, parse_front_matter
from hubkit.hub.state import HubState, read_json
from hubkit.hub.viewer import store as viewer_store

REPO_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
SPACE_SDKS = ("gradio", "streamlit", "docker", "static")


async def get_whoami(hub: HubState, principal: Principal | None) -> Response:
    principal = auth.require_user(principal)
    return JSONResponse({
        "type": "user", "id": principal.user, "name": principal.user,
        "fullname": auth.fullname_of(hub.conn, principal.user),
        "email": None, "emailVerified": False, "isPro": False,
        "orgs": [{"type": "org", "name": org, "fullname": auth.fullname_of(hub.conn, org)} for org in principal.orgs],
        "auth": {"type": "access_token", "accessToken": {"displayName": principal.token_name,
                                                          "role": "write" if principal.can_write else "read"}},
    })


def _repo_target(body: dict, principal: Principal | None, *, name_key: str = "name") -> tuple[str, str, str]:
    repo_type = field(body, "type", "string") or "model"
    if repo_type not in REPO_TYPES:
        raise bad_request("InvalidRepoType", f"Unknown repo type {repo_type!r}: use model, dataset or space.")
    name = field(body, name_key, "string", required=True)
    namespace = field(body, "organization", "string")
    if isinstance(name, str) and "/" in name and not namespace:
        namespace, name = name.split("/", 1)
    if not namespace:
        namespace = auth.require_user(principal).user
    for kind, value in (("namespace", namespace), ("repo name", name)):
        if (not isinstance(value, str) or not REPO_NAME_RE.match(value) or "--" in value or ".." in value
                or value.endswith(".git")):
            raise bad_request("InvalidRepoName", f"Invalid {kind} {value!r}: use letters, digits, '.', '_' and '-' "
                              "(at most 96, no '--' or '..', not ending in .git).")
    return repo_type, namespace, name


async def post_create_repo(hub: HubState, request: Request, principal: Principal | None) -> Response:
    body = await read_json(request)
    repo_type, namespace, name = _repo_target(body, principal)
    url = f"{base_url(hub, request)}/{URL_PREFIX[repo_type]}{namespace}/{name}"
    existing = hub.repos.get(repo_type, namespace, name, follow_renames=False)
    if existing is not None and hub.can_read(existing, principal):
        return JSONResponse({"error": f"You already created this {repo_type} repo: {namespace}/{name}", "url": url},
                            status_code=409, headers={"X-Error-Code": "RepoExists"})
    principal = auth.require_write(principal, namespace)
    namespace = principal.own_spelling(namespace) or namespace
    if existing is not None:
        return JSONResponse({"error": f"Repository {namespace}/{name} already exists", "url": url}, status_code=409,
                            headers={"X-Error-Code": "RepoExists"})
    private = field(body, "private", "boolean")
    if private is None:
        private = auth.private_by_default(hub.conn, namespace)
    if field(body, "visibility", "string") in ("private", "public"):
        private = body["visibility"] == "private"
    sdk = None
    if repo_type == "space":
        sdk = field(body, "sdk", "string") or "gradio"
        if sdk not in SPACE_SDKS:
            raise bad_request("InvalidSpaceSdk", f"Unknown space sdk {sdk!r}: use one of {', '.join(SPACE_SDKS)}.")
    repo = hub.repos.create(repo_type, namespace, name, private=private, sdk=sdk, author=principal.user)
    return JSONResponse({"url": url, "name": repo.repo_id, "id": f"{repo.type}-{repo.key}"})


async def delete_repo(hub: HubState, request: Request, principal: Principal | None) -> Response:
    body = await read_json(request)
    repo_type, namespace, name = _repo_target(body, principal)
    repo = hub.visible_repo(repo_type, namespace, name, principal)
    auth.require_write(principal, namespace)
    hub.repos.delete(repo)
    viewer_store.forget_repo(hub.data_dir, repo.key)
    return JSONResponse({})


async def post_move_repo(hub: HubState, request: Request, principal: Principal | None) -> Response:
    body = await read_json(request)
    source = field(body, "fromRepo", "string", required=True)
    target = field(body, "toRepo", "string", required=True)
    if not (isinstance(source, str) and isinstance(target, str) and "/" in source and "/" in target):
        raise bad_request("InvalidRepoName", "Move needs 'fromRepo' and 'toRepo' as namespace/name.")
    repo_type = field(body, "type", "string") or "model"
    _, from_ns, from_name = _repo_target({"type": repo_type, "name": source}, principal)
    _, to_ns, to_name = _repo_target({"type": repo_type, "name": target}, principal)
    repo = hub.visible_repo(repo_type, from_ns, from_name, principal)
    auth.require_write(principal, from_ns)
    auth.require_write(principal, to_ns)
    clash = hub.repos.get(repo_type, to_ns, to_name, follow_renames=False)
    if clash is not None and clash.key != repo.key:  # renaming to another case of itself is fine
        raise HubError(409, "RepoExists", f"A {repo_type} repository called {target} already exists.")
    hub.repos.move(repo, principal.own_spelling(to_ns) or to_ns, to_name)
    return JSONResponse({})


async def post_validate_yaml(hub: HubState, request: Request) -> Response:
    """Validate a card's YAML header; always a JSON body (hub-api.md 3.11), anonymous allowed."""
    body = await read_json(request)
    content = body.get("content")
    if not isinstance(content, str):
        raise bad_request("InvalidCard", "validate-yaml needs {\"content\": \"<README text>\"}.")
    try:
        data = parse_front_matter(content)
    except InvalidYaml as exc:
        return JSONResponse({"errors": [{"message": str(exc)}], "warnings": []}, status_code=400,
                            headers={"X-Error-Code": "InvalidYaml"})
    errors = _metadata_errors(data)
    if errors:
        return JSONResponse({"errors": errors, "warnings": []}, status_code=400,
                            headers={"X-Error-Code": "InvalidCardMetadata"})
    warnings = [] if data else [{"message": "Empty or missing yaml metadata in repo card"}]
    return JSONResponse({"errors": [], "warnings": warnings})


def _metadata_errors(data: dict) -> list[dict]:
    """The structural checks the Hub applies that a client cannot easily get wrong on purpose."""
    errors = []
    for key in ("tags", "datasets", "metrics"):
        if key in data and not isinstance(data[key], (list, str)):
            errors.append({"message": f"\"{key}\" must be a string or a list of strings"})
    index = data.get("model-index")
    if index is not None:
        if not isinstance(index, list):
            errors.append({"message": "\"model-index\" must be a list"})
        else:
            for i, model in enumerate(index):
                if not isinstance(model, dict) or "name" not in model:
                    errors.append({"message": f"\"model-index[{i}].name\" is required"})
                    continue
                results = model.get("results") or []
                if not isinstance(results, list):
                    errors.append({"message": f"\"model-index[{i}].results\" must be a list"})
                    continue
                for j, result in enumerate(results):
                    where = f"model-index[{i}].results[{j}]"
                    if not isinstance(result, dict):
                        errors.append({"message": f"\"{where}\" must be an object"})
                        continue
                    if not isinstance(result.get("task"), dict) or "type" not in result["task"]:
                        errors.append({"message": f"\"{where}.task.type\" is required"})
                    if not isinstance(result.get("dataset"), dict) or not {"name", "type"} <= result["dataset"].keys():
                        errors.append({"message": f"\"{where}.dataset\" needs \"name\" and \"type\""})
                    metrics = result.get("metrics") or []
                    if not isinstance(metrics, list):
                        errors.append({"message": f"\"{where}.metrics\" must be a list"})
                        continue
                    for k, metric in enumerate(metrics):
                        if not isinstance(metric, dict) or "type" not in metric or "value" not in metric:
                            errors.append({"message": f"\"{where}.metrics[{k}]\" needs \"type\" and \"value\""})
    return errors


async def get_health(hub: HubState) -> Response:
    from hubkit import __version__

    return JSONResponse({"server": "hubkit", "version": __version__})  # no paths: strangers can call it

