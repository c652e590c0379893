"""Users, organisations and tokens, and the two questions every route asks: who is calling, and
may they read or write this namespace.

Tokens are stored only as sha256 digests, so a copied data dir does not leak working tokens.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import sqlite3

from hubkit.hub import db
from hubkit.hub.errors import HubError
from hubkit.hub.timeutil import now_iso

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
TOKEN_PREFIX = "hk_"


@dataclasses.dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user, the orgs they belong to, and whether the token writes."""

    user: str
    orgs: tuple[str, ...]
    can_write: bool
    token_name: str

    def owns(self, namespace: str) -> bool:
        """Whether ``namespace`` is this user or one of their orgs (names ignore case, as on the Hub)."""
        return self.own_spelling(namespace) is not None

    def own_spelling(self, namespace: str) -> str | None:
        """The stored spelling of ``namespace`` when the caller owns it, else None."""
        wanted = namespace.lower()
        return next((n for n in (self.user, *self.orgs) if n.lower() == wanted), None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_name(kind: str, name: str) -> None:
    if not NAME_RE.match(name) or "--" in name or ".." in name:
        raise ValueError(f"invalid {kind} name {name!r}: use letters, digits, '.', '_' or '-' "
                         "(at most 96, no '--' or '..')")


def create_token(conn: sqlite3.Connection, user: str, *, write: bool, orgs: list[str],
                 display_name: str = "cli") -> str:
    """Create ``user`` (and its org memberships) if needed and return a new token for it."""
    validate_name("user", user)
    for org in orgs:
        validate_name("organization", org)
        if org == user:
            raise ValueError(f"organization {org!r} cannot have the same name as the user")
    token = TOKEN_PREFIX + secrets.token_urlsafe(30)
    with db.transaction(conn):
        for name in (user, *orgs):
            if conn.execute("SELECT 1 FROM mirror_namespaces WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"{name!r} is a mirror namespace owned by the hub: no user may have or join it")
        taken = conn.execute("SELECT 1 FROM org_members WHERE org = ? LIMIT 1", (user,)).fetchone()
        if taken:
            raise ValueError(f"{user!r} is an organization, not a user")
        for org in orgs:
            if conn.execute("SELECT 1 FROM users WHERE name = ?", (org,)).fetchone():
                raise ValueError(f"{org!r} is a user, not an organization")
        conn.execute("INSERT OR IGNORE INTO users (name, created_at) VALUES (?, ?)", (user, now_iso()))
        for org in orgs:
            conn.execute("INSERT OR IGNORE INTO org_members (org, user) VALUES (?, ?)", (org, user))
        conn.execute("INSERT INTO tokens (token_hash, user, role, display_name, created_at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     (_digest(token), user, "write" if write else "read", display_name, now_iso()))
    return token


def reserve_mirror_namespace(conn: sqlite3.Connection, namespace: str) -> None:
    """Make ``namespace`` the hub's own: refused when a user has it or anyone belongs to it."""
    validate_name("namespace", namespace)
    with db.transaction(conn):
        if conn.execute("SELECT 1 FROM mirror_namespaces WHERE name = ?", (namespace,)).fetchone():
            return
        if conn.execute("SELECT 1 FROM users WHERE name = ? COLLATE NOCASE", (namespace,)).fetchone() or \
                conn.execute("SELECT 1 FROM org_members WHERE org = ? COLLATE NOCASE", (namespace,)).fetchone():
            raise ValueError(f"cannot mirror into {namespace!r}: a user has that name or belongs to that org")
        conn.execute("INSERT INTO mirror_namespaces (name) VALUES (?)", (namespace,))


def authenticate(conn: sqlite3.Connection, authorization: str | None) -> Principal | None:
    """The caller named by an ``Authorization: Bearer`` header; None when anonymous.

    A header with an unknown token is an error (401), as on the Hub, rather than anonymity: a user
    with a mistyped token should hear so, not see their private repos vanish.
    """
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HubError(401, "InvalidCredentials", "Invalid credentials in Authorization header: "
                       "expected 'Bearer <token>'.")
    row = conn.execute("SELECT user, role, display_name FROM tokens WHERE token_hash = ?",
                       (_digest(token.strip()),)).fetchone()
    if row is None:
        raise HubError(401, "InvalidCredentials", "Invalid user token: this token is not known to this "
                       "hub. Create one with `hubkit hub token create USER --data-dir DIR`.")
    orgs = tuple(r["org"] for r in conn.execute("SELECT org FROM org_members WHERE user = ? ORDER BY org",
                                                  (row["user"],)))
    return Principal(row["user"], orgs, row["role"] == "write", row["display_name"])


def require_user(principal: Principal | None) -> Principal:
    if principal is None:
        raise HubError(401, "Unauthorized", "Authentication required: pass a token (HF_TOKEN or "
                       "token=...).")
    return principal


def require_write(principal: Principal | None, namespace: str) -> Principal:
    """Writing needs a write token of the namespace's user or of a member of that org."""
    principal = require_user(principal)
    if not principal.owns(namespace):
        raise HubError(403, "Forbidden", f"You don't have the rights to write to the namespace "
                       f"{namespace!r}: your token belongs to {principal.user!r}.")
    if not principal.can_write:
        raise HubError(403, "Forbidden", f"Your token {principal.token_name!r} is read-only; create a "
                       "write token to push.")
    return principal


def orgs_of(conn: sqlite3.Connection, user: str) -> list[str]:
    return [r["org"] for r in conn.execute("SELECT org FROM org_members WHERE user = ? ORDER BY org", (user,))]
