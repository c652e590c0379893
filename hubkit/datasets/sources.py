"""Reading original distribution files, with errors that name the file and the line.

Builders use these helpers so that every malformed input fails the same way: one
:class:`~hubkit.datasets.errors.SourceFileError` reading ``path:line: what is wrong``. Tab-separated
files go through ``pyarrow.csv`` (the fast path ``prepare`` relies on); the exact line of a bad row
is found by a second, plain-Python pass that only runs when something is wrong.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from hubkit.datasets.errors import ChecksumError, SourceFileError

UTF8_BOM = "\ufeff"


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: str | Path, url: str, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected.lower():
        raise ChecksumError(path, url, expected, actual)


def require_file(path: Path, hint: str = "") -> Path:
    """``path`` if it is a file, else a one-line error saying what was expected there."""
    if not path.is_file():
        raise SourceFileError(path, f"missing file{'; ' + hint if hint else ''}")
    return path


def first_existing(folder: Path, names: Sequence[str]) -> Path | None:
    """The first of ``names`` that exists in ``folder`` (layouts that name the same file differently)."""
    for name in names:
        if (folder / name).is_file():
            return folder / name
    return None


def read_text(path: Path, encodings: Sequence[str] = ("utf-8", "latin-1")) -> tuple[str, str]:
    """The file's text and the encoding that decoded it, with any UTF-8 BOM removed.

    Encodings are tried in order; Latin-1 decodes any byte string, so listing it last makes old
    corpora (CoNLL-2002 ships in Latin-1) readable without a flag.
    """
    data = require_file(path).read_bytes()
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            last_error = error
            continue
        return text.removeprefix(UTF8_BOM), encoding
    line = data[: last_error.start].count(b"\n") + 1
    raise SourceFileError(path, f"cannot decode as {' or '.join(encodings)}", line=line)


def iter_lines(path: Path, encodings: Sequence[str] = ("utf-8", "latin-1")) -> Iterator[tuple[int, str]]:
    """``(line number, line without its newline)`` for every line of a text file."""
    text, _ = read_text(path, encodings)
    yield from enumerate(split_lines(text), start=1)


def split_lines(text: str) -> list[str]:
    """Lines split on ``\\n`` only (``str.splitlines`` also breaks on characters such as ``\\x85``,
    which Latin-1 text contains), each without a trailing ``\\r``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def read_tsv(path: Path, header: Sequence[str]) -> pa.Table:
    """A tab-separated file with exactly ``header`` as its first line, every column as text.

    Quotes are not special (GLUE files contain bare ``"``), an optional UTF-8 BOM is skipped, and a
    row with the wrong number of fields is an error naming its line.
    """
    require_file(path)
    _check_header(path, header)
    bad_rows: list[object] = []

    def remember_bad_row(row: object) -> str:
        bad_rows.append(row)
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf8"),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False,
                                          ignore_empty_lines=False,
                                          invalid_row_handler=remember_bad_row),
        convert_options=pacsv.ConvertOptions(column_types={name: pa.string() for name in header},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    if bad_rows:
        _raise_first_bad_row(path, len(header))
    return table


def _check_header(path: Path, header: Sequence[str]) -> None:
    with open(path, encoding="utf-8", errors="replace", newline="") as stream:
        first = stream.readline().removeprefix(UTF8_BOM).rstrip("\r\n")
    found = first.split("\t")
    if found != list(header):
        raise SourceFileError(path, f"header is {found}, expected {list(header)}", line=1)


def _raise_first_bad_row(path: Path, expected: int) -> None:
    for number, line in iter_lines(path, encodings=("utf-8",)):
        found = len(line.split("\t"))
        if found != expected:
            raise SourceFileError(path, f"expected {expected} tab-separated fields, found {found}", line=number)
    raise SourceFileError(path, f"expected {expected} tab-separated fields on every line")


def encode_labels(column: pa.ChunkedArray | pa.Array, mapping: Mapping[str, int], path: Path,
                  field: str, first_line: int = 2) -> pa.Array:
    """Map label strings to class ids; an unknown label is an error naming its line and value.

    ``first_line`` is the file line of row 0 (2 when the file has a header line).
    """
    keys = pa.array(list(mapping), type=pa.string())
    positions = pc.index_in(column, value_set=keys)
    if positions.null_count:
        row = pc.index(pc.is_null(positions), True).as_py()
        value = column[row].as_py()
        raise SourceFileError(path, f"unknown label {value!r}; expected one of {list(mapping)}",
                              line=row + first_line, field=field)
    ids = pa.array(list(mapping.values()), type=pa.int64())
    return pc.take(ids, positions)


def check_not_empty(column: pa.ChunkedArray | pa.Array, path: Path, field: str, first_line: int = 2) -> None:
    """Reject a blank text cell, naming its line: an empty example is always a broken row."""
    blank = pc.equal(pc.utf8_trim_whitespace(column), "")
    if pc.any(blank).as_py():
        row = pc.index(blank, True).as_py()
        raise SourceFileError(path, "empty text", line=row + first_line, field=field)


def parse_ints(column: pa.ChunkedArray | pa.Array, path: Path, field: str, first_line: int = 2) -> pa.Array:
    """Cast a text column to int64; a cell that is not an integer is an error naming its line."""
    invalid = pc.invert(pc.match_substring_regex(column, r"^\s*-?[0-9]+\s*$"))
    if pc.any(invalid).as_py():
        row = pc.index(invalid, True).as_py()
        raise SourceFileError(path, f"{column[row].as_py()!r} is not an integer", line=row + first_line,
                              field=field)
    return pc.cast(pc.utf8_trim_whitespace(column), pa.int64())


def row_numbers(count: int) -> pa.Array:
    """``0 .. count-1`` as int32 (built by numpy: a Python range costs more than parsing the file)."""
    return pa.array(np.arange(count, dtype=np.int32))


def unlabelled(count: int) -> pa.Array:
    """``count`` labels of -1, the ``datasets`` convention for an unlabelled example."""
    return pa.array(np.full(count, -1, dtype=np.int64))
