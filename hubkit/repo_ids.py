"""Completing a repo id the way the ``hf`` CLI and ``push_to_hub`` do: no namespace means the token's user.

``--repo reviews-demo`` would otherwise reach the hub as a one-part id and come back as a raw 404;
every command that takes ``--repo`` or ``--push-to`` resolves it here first, so they all agree on
what a bare name means and print the full id they used.
"""

from __future__ import annotations

from typing import Any


class RepoIdError(ValueError):
    """A repo id that cannot be completed or used; the message is one line naming it."""


def full_repo_id(repo_id: str, api: Any) -> str:
    """``repo_id`` itself when it is ``NAMESPACE/NAME``, else ``<token user>/repo_id``.

    ``api`` is a ``huggingface_hub.HfApi`` (its ``whoami()`` names the token's user); it is asked only
    when the namespace is missing, so a full id costs no request.
    """
    parts = repo_id.strip().split("/")
    if len(parts) == 2 and all(parts):
        return repo_id.strip()
    if len(parts) != 1 or not parts[0]:
        raise RepoIdError(f"repo id '{repo_id}' is not NAME or NAMESPACE/NAME")
    return f"{_token_user(api, repo_id)}/{parts[0]}"


def _token_user(api: Any, repo_id: str) -> str:
    """The name of the token's user, or one line saying why a bare ``repo_id`` cannot be completed."""
    try:
        user = api.whoami()
    except Exception as error:  # no token, a revoked one, or no hub: all mean "give the namespace"
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise RepoIdError(f"repo id '{repo_id}' has no namespace and the token's user is unknown "
                          f"({first}); pass NAMESPACE/{repo_id}") from None
    name = user.get("name") if isinstance(user, dict) else None
    if not name:
        raise RepoIdError(f"repo id '{repo_id}' has no namespace and the token names no user; "
                          f"pass NAMESPACE/{repo_id}")
    return str(name)
