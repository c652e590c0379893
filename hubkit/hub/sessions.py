"""Signing in to the web UI: a session cookie made from a token, for pages only.

A private repo's page must be visible to its owner in a browser, and browsers cannot send a
Bearer token. ``/login`` takes a token once and answers with a cookie that names the token (by
the id ``hubkit hub token list`` shows, never the token or its full hash), an expiry, and an HMAC
with the hub's signing key, so it cannot be forged or extended. Revoking the token, or deleting
its user, ends every session made from it.

The cookie is ``HttpOnly`` (no script can read it), ``SameSite=Strict`` (no other site can make a
browser send it) and, behind an https ``--public-url``, ``Secure``. Only the web pages read it, and
the read-only routes those pages load from (``/resolve`` for files, ``/viewer/...`` for rows):
the API keeps requiring ``Authorization`` headers, so a cookie can never make a browser push,
delete or change settings on a user's behalf.
"""

from __future__ import annotations

import html
import time
import urllib.parse

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hubkit.hub import auth
from hubkit.hub.auth import Principal
from hubkit.hub.errors import HubError
from hubkit.hub.state import HubState, read_body

COOKIE = "hubkit_session"
MAX_AGE_S = 7 * 24 * 3600
MAX_FORM_BYTES = 4096


def principal(hub: HubState, request: Request) -> Principal | None:
    """The signed-in user of a page request, or None (no cookie, a bad one, or an expired one)."""
    value = request.cookies.get(COOKIE, "")
    token_id, _, rest = value.partition(".")
    expires, _, signature = rest.partition(".")
    if not (token_id and expires.isdigit() and signature):
        return None
    if int(expires) < time.time() or not hub.check_signature(signature, "session", token_id, expires):
        return None
    return auth.principal_for_token_id(hub.conn, token_id)


def login_page(hub: HubState, request: Request, page, *, error: str = "", status: int = 200) -> Response:
    target = _safe_next(request.query_params.get("next", "/"))
    message = f"<p class='bad'>{html.escape(error)}</p>" if error else ""
    body = (f"<h1>Sign in</h1>{message}<p class='meta'>Paste an access token of this hub "
            "(<code>hubkit hub token create USER</code>). The page keeps a signed session cookie, not the token.</p>"
            f"<form method='post' action='/login?next={html.escape(urllib.parse.quote(target, safe='/'))}'>"
            "<input type='password' name='token' autocomplete='off' size='50' required> "
            "<button type='submit'>Sign in</button></form>")
    return page("Sign in", body, status=status)


async def post_login(hub: HubState, request: Request, page) -> Response:
    form = urllib.parse.parse_qs((await read_body(request, limit=MAX_FORM_BYTES)).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    try:
        who = auth.authenticate(hub.conn, f"Bearer {token}") if token else None
    except HubError:
        who = None
    if who is None:
        return login_page(hub, request, page, error="That token is not known to this hub.", status=401)
    token_id = auth.token_id(token)
    expires = str(int(time.time()) + MAX_AGE_S)
    response = RedirectResponse(_safe_next(request.query_params.get("next", "/")), status_code=303)
    response.set_cookie(COOKIE, f"{token_id}.{expires}.{hub.sign('session', token_id, expires)}", max_age=MAX_AGE_S,
                        path="/", httponly=True, samesite="strict",
                        secure=bool(hub.public_url and hub.public_url.startswith("https://")))
    return response


def post_logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _safe_next(target: str) -> str:
    """Only a path on this hub: never another site (``//evil``, ``https://...``, ``/\\evil``)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(c < " " for c in target):
        return "/"
    return target
