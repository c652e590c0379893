"""Publish a metric as a Hub Space that ``evaluate.load("ns/name")`` can load.

evaluate fetches ``spaces/<ns>/<name>/resolve/main/<name>.py``, then each sibling module the
script imports relatively (``from ._helper import x`` -> ``_helper.py``). So the Space holds the
script under the repo's name, those helpers, the metric card as ``README.md`` (see
:mod:`hubkit.metrics.card`), and a Gradio
``app.py`` + ``requirements.txt`` so that the Space also runs as a demo on huggingface.co.
Everything goes up in one commit, merged into the Space's card of the commit it lands on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hubkit import safe_push
from hubkit.metrics.card import space_readme
from hubkit.metrics.registry import locate
from hubkit.repocard import fetch

# The same rule evaluate uses (loading.get_imports) to find the files it will download.
_RELATIVE_IMPORT = re.compile(r"^(?:from|import)\s+\.([^\s.]+)", re.MULTILINE)
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")

APP_TEMPLATE = '''import evaluate
from evaluate.utils import launch_gradio_widget

module = evaluate.load("{repo_id}")
launch_gradio_widget(module)
'''
BASE_REQUIREMENTS = ["evaluate>=0.4.6", "numpy", "gradio"]


def helper_modules(script: Path) -> list[str]:
    """Names of the sibling modules a metric script imports relatively, in order of appearance."""
    names: list[str] = []
    for name in _RELATIVE_IMPORT.findall(script.read_text(encoding="utf-8")):
        if name not in names:
            names.append(name)
    return names


def space_files(name: str, repo_id: str, existing_readme: str | None = None) -> dict[str, bytes]:
    """Every file of the Space for metric ``name`` published as ``repo_id``, by path in the repo.

    ``existing_readme`` is the README the Space already has, which the metric card is merged into.
    """
    if not _REPO_ID.match(repo_id):
        raise ValueError(f"repo id must look like 'namespace/name', got {repo_id!r}")
    script = locate(name)
    if not isinstance(script, Path):
        raise ValueError(f"metric {name!r} comes from a plugin class, not a file; only file metrics can be pushed")
    module_name = repo_id.split("/")[1]
    if not module_name.isidentifier():
        raise ValueError(f"the Space name {module_name!r} must be a valid Python module name "
                         f"(evaluate imports {module_name}.py); use underscores, not dashes")
    files = {f"{module_name}.py": script.read_bytes()}
    for helper in helper_modules(script):
        if helper == module_name:
            raise ValueError(f"the Space name {module_name!r} clashes with the helper module {helper}.py")
        path = script.parent / f"{helper}.py"
        if not path.is_file():
            raise FileNotFoundError(f"{script} imports .{helper}, but {path} does not exist")
        files[f"{helper}.py"] = path.read_bytes()
    card = script.parent / "README.md"
    if not card.is_file():
        raise FileNotFoundError(f"metric {name!r} has no card: {card} is missing")
    files["README.md"] = space_readme(card, repo_id, existing_readme).encode()
    files["app.py"] = APP_TEMPLATE.format(repo_id=repo_id).encode()
    extra = script.parent / "requirements.txt"
    requirements = BASE_REQUIREMENTS + (extra.read_text().split() if extra.is_file() else [])
    files["requirements.txt"] = ("\n".join(dict.fromkeys(requirements)) + "\n").encode()
    return files


def push_metric(name: str, repo_id: str, api: Any, private: bool = False) -> str:
    """Create (or update) the Space ``repo_id`` with metric ``name`` in one commit; return its URL.

    ``api`` is an ``HfApi`` bound to the target endpoint (see :func:`hubkit.hub_client.connect`).
    The card is merged into the README of the commit the upload lands on (:mod:`hubkit.safe_push`).
    """
    from huggingface_hub import CommitOperationAdd

    space_files(name, repo_id, fetch.existing_readme(api, repo_id, repo_type="space"))  # a broken metric stops here
    safe_push.create_repo(api, repo_id, repo_type="space", space_sdk="gradio", private=private)

    def change(head: safe_push.Head) -> safe_push.Change:
        files = space_files(name, repo_id, head.read_text("README.md"))
        return safe_push.Change([CommitOperationAdd(path_in_repo=path, path_or_fileobj=content)
                                 for path, content in files.items()], f"Upload metric {name} with hubkit")

    safe_push.commit(api, repo_id, change, repo_type="space")
    return f"{api.endpoint}/spaces/{repo_id}"
