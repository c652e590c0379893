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
    """The authenticated caller: a user, the orgs they belong to, and whether the token writes.

    ``read_orgs`` are the orgs among ``orgs`` where the user's role is ``read``: they see the org's
    private repos but write to them only through pull requests, as on the Hub.
    """

    user: str
    orgs: tuple[str, ...]
    can_write: bool
    token_name: str
    read_orgs: tuple[str, ...] = ()

    def may_write_to(self, namespace: str) -> bool:
        """Whether this user's role lets them push to ``namespace`` (the token's own role aside)."""
        spelling = self.own_spelling(namespace)
        return spelling is not None and spelling not in self.read_orgs

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
                 display_name: str = "cli", read_orgs: list[str] = ()) -> str:
    """Create ``user`` (and its org memberships: ``orgs`` with the write role, ``read_orgs`` with
    the read role) if needed and return a new token for it."""
    validate_name("user", user)
    roles = {**{org: "write" for org in orgs}, **{org: "read" for org in read_orgs}}
    orgs = list(roles)
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
        for org, role in roles.items():
            conn.execute("INSERT INTO org_members (org, user, role) VALUES (?, ?, ?) "
                         "ON CONFLICT (org, user) DO UPDATE SET role = excluded.role", (org, user, role))
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
    # A token of a user who no longer exists is no token: deleting a user revokes what it issued.
    row = conn.execute("SELECT tokens.user, role, display_name FROM tokens JOIN users ON users.name = tokens.user "
                       "WHERE token_hash = ?", (_digest(token.strip()),)).fetchone()
    if row is None:
        raise HubError(401, "InvalidCredentials", "Invalid user token: this token is not known to this "
                       "hub. Create one with `hubkit hub token create USER --data-dir DIR`.")
    return _principal(conn, row)


def token_id(token: str) -> str:
    """The public id of a token (what ``hubkit hub token list`` shows): a prefix of its hash."""
    return _digest(token.strip())[:TOKEN_ID_LENGTH]


def principal_for_token_id(conn: sqlite3.Connection, token_id: str) -> Principal | None:
    """The caller a still-valid token id stands for (web sessions carry the id, never the token)."""
    if len(token_id) != TOKEN_ID_LENGTH or not all(c in "0123456789abcdef" for c in token_id):
        return None
    rows = conn.execute("SELECT tokens.user, role, display_name FROM tokens JOIN users ON users.name = tokens.user "
                        "WHERE token_hash >= ? AND token_hash < ? LIMIT 2", (token_id, token_id + "g")).fetchall()
    return _principal(conn, rows[0]) if len(rows) == 1 else None


def _principal(conn: sqlite3.Connection, row: sqlite3.Row) -> Principal:
    memberships = conn.execute("SELECT org, role FROM org_members WHERE user = ? ORDER BY org",
                               (row["user"],)).fetchall()
    return Principal(row["user"], tuple(m["org"] for m in memberships), row["role"] == "write", row["display_name"],
                     read_orgs=tuple(m["org"] for m in memberships if m["role"] == "read"))


TOKEN_ID_LENGTH = 12


def list_tokens(conn: sqlite3.Connection, user: str | None = None) -> list[dict]:
    """Tokens as an administrator sees them: an id (a prefix of the token's hash), never the token."""
    rows = conn.execute("SELECT token_hash, user, role, display_name, created_at FROM tokens "
                        + ("WHERE user = ? " if user else "") + "ORDER BY created_at, token_hash",
                        (user,) if user else ()).fetchall()
    return [{"id": r["token_hash"][:TOKEN_ID_LENGTH], "user": r["user"], "role": r["role"], "name": r["display_name"],
             "created": r["created_at"]} for r in rows]


def revoke_tokens(conn: sqlite3.Connection, *, token_id: str | None = None, user: str | None = None) -> int:
    """Revoke one token (by the id :func:`list_tokens` shows) or every token of ``user``; returns how many."""
    with db.transaction(conn):
        if token_id is not None:
            if len(token_id) < 8:
                raise ValueError("a token id has at least 8 characters (see `hubkit hub token list`)")
            matches = conn.execute("SELECT token_hash FROM tokens WHERE token_hash LIKE ? || '%'",
                                   (token_id.lower(),)).fetchall()
            if len(matches) > 1:
                raise ValueError(f"token id {token_id!r} is ambiguous; give more characters")
            hashes = [m["token_hash"] for m in matches]
        else:
            hashes = [r["token_hash"] for r in conn.execute("SELECT token_hash FROM tokens WHERE user = ?", (user,))]
        for token_hash in hashes:
            conn.execute("DELETE FROM tokens WHERE token_hash = ?", (token_hash,))
    return len(hashes)


def delete_user(conn: sqlite3.Connection, user: str) -> None:
    """Remove a user, their org memberships and every token they hold (their repos stay)."""
    with db.transaction(conn):
        if conn.execute("DELETE FROM users WHERE name = ?", (user,)).rowcount == 0:
            raise ValueError(f"no user {user!r} on this hub")
        conn.execute("DELETE FROM tokens WHERE user = ?", (user,))
        conn.execute("DELETE FROM org_members WHERE user = ?", (user,))


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
    if not principal.may_write_to(namespace):
        raise HubError(403, "Forbidden", f"Your role in the organization {namespace!r} is read: open a pull "
                       "request instead.")
    if not principal.can_write:
        raise HubError(403, "Forbidden", f"Your token {principal.token_name!r} is read-only; create a "
                       "write token to push.")
    return principal


def fullname_of(conn: sqlite3.Connection, name: str) -> str:
    """The display name of a user or org (its name when none was set)."""
    row = conn.execute("SELECT fullname FROM accounts WHERE name = ?", (name,)).fetchone()
    return row["fullname"] if row and row["fullname"] else name


def private_by_default(conn: sqlite3.Connection, namespace: str) -> bool:
    """Whether new repos of ``namespace`` are private unless asked otherwise (an org setting on the
    Hub's enterprise plans)."""
    row = conn.execute("SELECT private_by_default FROM accounts WHERE name = ?", (namespace,)).fetchone()
    return bool(row and row["private_by_default"])


def set_account(conn: sqlite3.Connection, name: str, *, fullname: str | None = None,
                private_by_default: bool | None = None) -> None:
    validate_name("account", name)
    if fullname is not None and (not fullname.strip() or len(fullname) > 200 or "\n" in fullname):
        raise ValueError("a full name is one line of 1 to 200 characters")
    with db.transaction(conn):
        conn.execute("INSERT OR IGNORE INTO accounts (name) VALUES (?)", (name,))
        if fullname is not None:
            conn.execute("UPDATE accounts SET fullname = ? WHERE name = ?", (fullname, name))
        if private_by_default is not None:
            conn.execute("UPDATE accounts SET private_by_default = ? WHERE name = ?", (int(private_by_default), name))


def orgs_of(conn: sqlite3.Connection, user: str) -> list[str]:
    return [r["org"] for r in conn.execute("SELECT org FROM org_members WHERE user = ? ORDER BY org", (user,))]
