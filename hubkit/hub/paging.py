"""Lists served page by page, as huggingface_hub's ``paginate`` reads them: each page is a JSON
array, and a ``Link: <url>; rel="next"`` header names the next page until the last one.

Pages keep one answer bounded however long the list grows (a user's likes, a repo's access
requests); the cursor is an offset into a stable order that the caller's query defines.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from hubkit.hub.api_read import base_url
from hubkit.hub.errors import HubError
from hubkit.hub.state import HubState

PAGE_SIZE = 500
CURSOR_RE = re.compile(r"^[0-9]{1,9}$")


def paged(hub: HubState, request: Request, fetch: Callable[[int, int], list], render: Callable[[object], dict | None],
          page_size: int = PAGE_SIZE) -> JSONResponse:
    """``fetch(offset, limit)`` gives rows in a stable order; ``render(row)`` their JSON, or None
    for a row this caller may not see (a page may then be short, and the next link still follows)."""
    cursor = request.query_params.get("cursor", "0")
    if not CURSOR_RE.match(cursor):
        raise HubError(400, "InvalidQuery", f"Query parameter 'cursor' must be an offset, got {cursor!r}.")
    start = int(cursor)
    rows = fetch(start, page_size + 1)
    page = [item for item in map(render, rows[:page_size]) if item is not None]
    headers = {}
    if len(rows) > page_size:
        query = urllib.parse.urlencode({**request.query_params, "cursor": start + page_size})
        headers["Link"] = f'<{base_url(hub, request)}{urllib.parse.quote(request.url.path)}?{query}>; rel="next"'
    return JSONResponse(page, headers=headers)
