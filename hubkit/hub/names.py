"""File paths and ref names, refused or normalised as the Hub (and git beneath it) does.

Why each rule exists:

- A ``.git`` segment anywhere in a path would plant a git directory in every folder a client
  downloads into (``snapshot_download`` writes what the tree lists); a planted ``sub/.git/config``
  runs commands on the next ``git status``. huggingface_hub itself refuses ``.git`` and ``.cache``
  segments, so the server refuses them before anything is stored. The check ignores case, because
  case-insensitive file systems (macOS, Windows) treat ``.GIT`` as ``.git``.
- Control characters (CR/LF above all) in a path break every line-oriented consumer: HTTP headers
  that echo the path, git's own index, logs.
- A trailing ``/`` names a folder, not a file (``README.md/``).
- A ``..`` segment gets the Hub's 422, and so does a path opening with ``..\\``. A backslash
  elsewhere is a plain character, as on the Hub (``folder/..\\..\\x`` is one odd file name):
  clients guard the local paths they write themselves.
- Paths are stored and looked up in Unicode NFC, so that ``é`` typed as one code point or as
  ``e`` + combining accent is one file, as on macOS clients versus Linux ones. Answers echo the
  path as the client sent it, because clients look their own strings up in the answers.
- Branch and tag names follow ``git check-ref-format``, as the Hub's git storage enforces (no
  spaces among others), and may not pose as a pull-request ref or a commit id, which would make
  a revision ambiguous.
"""

from __future__ import annotations

import re
import unicodedata

from hubkit.hub.errors import HubError, bad_request

MAX_PATH = 1024
MAX_REF = 256
FORBIDDEN_SEGMENTS = (".git", ".cache")
SHA1_RE = re.compile(r"^[0-9a-fA-F]{40}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_REF_FORBIDDEN_CHARS = set(" ~^:?*[\\")


def normalize_path(path: str) -> str:
    """The stored spelling of a path (Unicode NFC); use it for every lookup."""
    return unicodedata.normalize("NFC", path)


def validate_path(path: object, *, folder: bool = False) -> str:
    """Refuse paths the Hub refuses; returns the normalised path. ``folder``: one trailing ``/`` allowed."""
    if not isinstance(path, str) or not path:
        raise bad_request("InvalidPath", "Invalid path: a file path must be a non-empty string.")
    shown = path if len(path) <= 200 else path[:200] + "..."
    if len(path) > MAX_PATH:
        raise bad_request("InvalidPath", f"Invalid path {shown!r}: longer than {MAX_PATH} characters.")
    if _CONTROL_RE.search(path):
        raise bad_request("InvalidPath", f"Invalid path {shown!r}: control characters (CR, LF, NUL, ...) are "
                          "not allowed in paths.")
    if path.startswith("/"):
        raise bad_request("InvalidPath", f"Invalid path {shown!r}: paths are relative to the repo root.")
    body = path[:-1] if folder and path.endswith("/") else path
    if body.endswith("/"):
        raise bad_request("InvalidPath", f"Invalid path {shown!r}: a file path cannot end with '/'.")
    segments = body.split("/")
    if ".." in segments or segments[0].startswith("..\\"):  # a leading '..\\' too, as the Hub refuses it
        raise HubError(422, "InvalidPath", f"Invalid path {shown!r}: a '..' segment would leave the repo.")
    if any(s in ("", ".") for s in segments):
        raise bad_request("InvalidPath", f"Invalid path {shown!r}: no empty or '.' segments.")
    forbidden = next((s for s in segments if s.lower() in FORBIDDEN_SEGMENTS), None)
    if forbidden is not None:
        raise bad_request("InvalidPath", f"Invalid path {shown!r}: a {forbidden!r} folder is not allowed "
                          "anywhere in a repo (it would plant one in every download).")
    return normalize_path(body)


def validate_ref_name(name: object, kind: str = "branch") -> str:
    """Refuse branch/tag names that ``git check-ref-format`` refuses or that shadow another revision."""
    if not isinstance(name, str) or not name:
        raise bad_request("InvalidRevision", f"Invalid {kind} name: it must be a non-empty string.")
    problem = _ref_problem(name)
    if problem is None and name.startswith("refs/"):
        problem = "it would shadow a full ref such as refs/pr/N"
    if problem is None and SHA1_RE.match(name):
        problem = "it looks like a commit id"
    if problem:
        raise bad_request("InvalidRevision", f"Invalid {kind} name {name[:MAX_REF]!r}: {problem}.")
    return name


def _ref_problem(name: str) -> str | None:
    """Why git would refuse ``name`` as a ref name (``git check-ref-format`` rules), or None."""
    if len(name) > MAX_REF:
        return f"longer than {MAX_REF} characters"
    if name == "@":
        return "'@' alone is not a name"
    if _CONTROL_RE.search(name) or any(c in _REF_FORBIDDEN_CHARS for c in name):
        return "no spaces, control characters or any of ~ ^ : ? * [ \\"
    if ".." in name or "@{" in name:
        return "no '..' or '@{'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "no leading, trailing or doubled '/'"
    if name.endswith("."):
        return "it cannot end with '.'"
    if any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        return "no part may start with '.' or end with '.lock'"
    if name.startswith("-"):
        return "it cannot start with '-'"
    return None
