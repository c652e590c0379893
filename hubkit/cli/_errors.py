"""Turning the errors a user can cause into one line on stderr and a non-zero exit.

An unreachable hub is the most common of them (a stopped server, a typo in ``HF_ENDPOINT``), and
it surfaces from deep inside huggingface_hub, datasets or evaluate as an httpx/requests/urllib
exception, sometimes wrapped in another one. :func:`connection_problem` recognises it once, here,
for every command: :func:`user_errors` and the top-level group both call it, so a command needs no
handling of its own. ``HUBKIT_DEBUG=1`` keeps the traceback, for bug reports.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

import click

DEBUG_ENV = "HUBKIT_DEBUG"


def debugging() -> bool:
    """True when the user asked for tracebacks instead of one-line errors."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _user_error_types() -> tuple[type[BaseException], ...]:
    from hubkit.datasets.errors import DatasetError
    from hubkit.evaluation.errors import EvaluationError
    from hubkit.hub_client import HubConnectionError
    from hubkit.repocard.errors import CardError
    from hubkit.train.errors import TrainingError

    types: list[type[BaseException]] = [CardError, DatasetError, EvaluationError, HubConnectionError, TrainingError,
                                        ValueError, LookupError, OSError]
    try:
        from huggingface_hub.errors import HfHubHTTPError

        types.append(HfHubHTTPError)
    except ImportError:
        pass
    return tuple(types)


def _transport_error_types() -> tuple[type[BaseException], ...]:
    """Exception types meaning "no HTTP response came back", from whichever HTTP clients are loaded.

    Only modules already imported are consulted: an error raised by a library cannot come from
    a client that was never imported, and importing one here would cost time on every error.
    """
    import sys

    types: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):  # huggingface_hub 1.x uses httpx; this environment's 2.x uses httpx2
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "TransportError"):
            types.append(module.TransportError)
    requests_exceptions = sys.modules.get("requests.exceptions")  # evaluate and datasets still use requests
    if requests_exceptions is not None:
        types += [requests_exceptions.ConnectionError, requests_exceptions.Timeout]
    import urllib.error

    types += [urllib.error.URLError, ConnectionRefusedError]
    return tuple(types)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling, innermost last."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _failed_origin(exc: BaseException) -> str | None:
    """``scheme://host[:port]`` of the request that failed, when the exception records it."""
    request = None
    with contextlib.suppress(Exception):  # httpx raises RuntimeError when no request is attached
        request = getattr(exc, "request", None)
    url = str(getattr(request, "url", "") or "")
    match = re.match(r"^([a-z]+://[^/?#]+)", url)
    return match.group(1) if match else None


def _reason(exc: BaseException) -> str:
    """A few words on why no response came: "connection refused", "timed out", ..."""
    for link in _chain(exc):
        if isinstance(link, ConnectionRefusedError):
            return "connection refused"
        if isinstance(link, TimeoutError):
            return "timed out"
    text = one_line(exc)
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", re.sub(r"^<urlopen error (.*)>$", r"\1", text))
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "timed out" in lowered or "timeout" in lowered:
        return "timed out"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return "host name not found"
    return text[:1].lower() + text[1:] if text else type(exc).__name__


def connection_problem(exc: BaseException) -> str | None:
    """One line naming the endpoint that could not be reached, if ``exc`` (or what it wraps) says so.

    The endpoint named is the one the failed request went to; when that is ``HF_ENDPOINT``, the
    line says so, because that variable is what the user changes to fix it.
    """
    types = _transport_error_types()
    import urllib.error

    cause = next((link for link in _chain(exc)
                  if isinstance(link, types) and not isinstance(link, urllib.error.HTTPError)), None)  # a response
    if cause is None:
        return None
    configured = os.environ.get("HF_ENDPOINT", "").rstrip("/")
    origin = _failed_origin(cause) or configured or "the hub"
    from hubkit.hub_client import EMBEDDED_MARKER

    if configured and origin == configured:
        if os.environ.get(EMBEDDED_MARKER) == configured:
            hint = "the embedded hub stopped; see `hubkit hub status`"
        else:
            hint = "is it running? (HF_ENDPOINT)"
    else:
        hint = "is it running?"
    return f"cannot reach the hub at {origin}: {_reason(cause)}; {hint}"


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first or type(exc).__name__


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Inside, a user-caused error becomes ``Error: <one line>`` and exit status 1; bugs keep their traceback."""
    try:
        yield
    except (click.ClickException, BrokenPipeError):
        # A closed pipe (`hubkit predict ... | head`) is the reader being done, not an error:
        # click's own handler exits quietly on it.
        raise
    except Exception as exc:
        if debugging():
            raise
        unreachable = connection_problem(exc)
        if unreachable is not None:
            raise click.ClickException(unreachable) from None
        if isinstance(exc, _user_error_types()):
            raise click.ClickException(one_line(exc)) from None
        raise


@contextlib.contextmanager
def unreachable_hub_errors() -> Iterator[None]:
    """Around a whole command: an unreachable hub becomes one line; everything else passes through."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except Exception as exc:
        if debugging():
            raise
        unreachable = connection_problem(exc)
        if unreachable is None:
            raise
        raise click.ClickException(unreachable) from None
