"""The hub server's public API for code outside :mod:`hubkit.hub`: administration of a data dir.

Everything else in hubkit reaches the server over HTTP. Creating a user and its first token is the
one thing that cannot go over HTTP (there is no token yet to authenticate with), so it is offered
here as a plain function over the data directory. Callers such as :mod:`hubkit.hub_client` use this
instead of the server's database and auth modules, which stay free to change behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hubkit.hub import auth, db


def issue_token(data_dir: Path, user: str, *, write: bool = True, orgs: Iterable[str] = (),
                display_name: str = "cli") -> str:
    """Create ``user`` (and its ``orgs`` memberships) in ``data_dir`` if needed and return a new token.

    The data dir is created when it does not exist; a running server over the same dir sees the
    token at once (tokens live in the database, not in server memory). Raises ``ValueError`` for a
    name the hub would refuse or a user/organization clash, with a message that names it.
    """
    with db.open_database(Path(data_dir)) as conn:
        return auth.create_token(conn, user, write=write, orgs=list(orgs), display_name=display_name)
