"""The hub's own stylesheets and the viewer page's script, served from ``/static/NAME``.

Pages load nothing from the network, so what they need ships inside hubkit. Only the names
listed here are served (no path from a request reaches the file system). URLs carry a hash of the
content (:func:`url`), so browsers may keep a file for long and still see a new hubkit's version.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from starlette.responses import Response

from hubkit.hub.cardrender import highlight_css
from hubkit.hub.errors import HubError

STATIC_DIR = Path(__file__).parent / "static"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
SHIPPED = ("viewer.js", "viewer.css")
GENERATED = {"highlight.css": highlight_css}


@functools.cache
def _content(name: str) -> bytes:
    if name in GENERATED:
        return GENERATED[name]().encode()
    return (STATIC_DIR / name).read_bytes()


def url(name: str) -> str:
    """``/static/NAME?v=HASH``: the URL pages link, changing whenever the content does."""
    return f"/static/{name}?v={hashlib.sha256(_content(name)).hexdigest()[:12]}"


def response(name: str) -> Response:
    if name not in SHIPPED and name not in GENERATED:
        raise HubError(404, "NotFound", f"No static file {name!r} on this hub.")
    return Response(_content(name), media_type=CONTENT_TYPES[Path(name).suffix],
                    headers={"Cache-Control": "public, max-age=86400"})
