"""Errors a dataset command reports to its user as one line.

Each carries the facts its message needs (file, line, field), so the CLI prints ``str(error)`` and
exits non-zero without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class DatasetError(Exception):
    """Base class: something about a dataset, its files or its builder is wrong."""


class UnknownDatasetError(DatasetError):
    """No builder is registered under the requested name."""

    def __init__(self, name: str, known: list[str]) -> None:
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        super().__init__(f"unknown dataset '{name}'.{hint} Known: {', '.join(known) or 'none'}.")
        self.name = name


class BuilderLoadError(DatasetError):
    """A registered builder could not be imported or does not honour the builder contract."""


class SourceFileError(DatasetError):
    """A source file is missing or malformed; the message is ``path:line: what is wrong``."""

    def __init__(self, path: str | Path, message: str, line: int | None = None,
                 field: str | None = None) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        what = f"field '{field}': {message}" if field else message
        super().__init__(f"{where}: {what}")
        self.path = str(path)
        self.line = line
        self.field = field


class ChecksumError(SourceFileError):
    """A downloaded file does not have the sha256 its builder pins."""

    def __init__(self, path: str | Path, url: str, expected: str, actual: str) -> None:
        super().__init__(path, f"sha256 {actual} does not match the pinned {expected} for {url}")
        self.expected = expected
        self.actual = actual


class OutputExistsError(DatasetError):
    """The output already exists and the user did not ask to replace it."""
