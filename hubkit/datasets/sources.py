"""Reading original distribution files, with errors that name the file and the line.

Builders use these helpers so that every malformed input fails the same way: one
:class:`~hubkit.datasets.errors.SourceFileError` reading ``path:line: what is wrong``. Tab-separated
files go through ``pyarrow.csv`` (the fast path ``prepare`` relies on); the exact line of a bad row
is found by a second, plain-Python pass that only runs when something is wrong.

Given an :class:`~hubkit.datasets.anomalies.AnomalyLog`, the readers also take real files as
distributed: a byte-order mark in the middle of a file (two files concatenated) is removed, a blank
line between table rows is read past, and each is recorded there with its line instead of stopping
the build. Without a log they behave as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from hubkit.datasets.anomalies import AnomalyLog
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


def read_text(path: Path, encodings: Sequence[str] = ("utf-8", "latin-1"),
              anomalies: AnomalyLog | None = None) -> tuple[str, str]:
    """The file's text and the encoding that decoded it, with any UTF-8 BOM removed.

    Encodings are tried in order; Latin-1 decodes any byte string, so listing it last makes old
    corpora (CoNLL-2002 ships in Latin-1) readable without a flag. With ``anomalies``, a BOM later in
    the file (what concatenating files that each start with one leaves) is removed too and recorded.
    """
    data = require_file(path).read_bytes()
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as error:
            last_error = error
            continue
        text = text.removeprefix(UTF8_BOM)
        if anomalies is not None and UTF8_BOM in text:
            text = _remove_inner_marks(path, text, anomalies)
        return text, encoding
    line = data[: last_error.start].count(b"\n") + 1
    raise SourceFileError(path, f"cannot decode as {' or '.join(encodings)}", line=line)


def _remove_inner_marks(path: Path, text: str, anomalies: AnomalyLog) -> str:
    """``text`` without the byte-order marks after its start, each recorded with its line."""
    line, searched = 1, 0
    position = text.find(UTF8_BOM)
    while position != -1:
        line += text.count("\n", searched, position)
        searched = position
        anomalies.add(path, line, "encoding-declaration",
                      "byte-order mark (U+FEFF) in the middle of the file, as joining files leaves")
        position = text.find(UTF8_BOM, position + 1)
    return text.replace(UTF8_BOM, "")


def iter_lines(path: Path, encodings: Sequence[str] = ("utf-8", "latin-1"),
               anomalies: AnomalyLog | None = None) -> Iterator[tuple[int, str]]:
    """``(line number, line without its newline)`` for every line of a text file."""
    text, _ = read_text(path, encodings, anomalies)
    yield from enumerate(split_lines(text), start=1)


def split_lines(text: str) -> list[str]:
    """Lines split on ``\\n`` only (``str.splitlines`` also breaks on characters such as ``\\x85``,
    which Latin-1 text contains), each without a trailing ``\\r``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def read_tsv(path: Path, header: Sequence[str], anomalies: AnomalyLog | None = None) -> pa.Table:
    """A tab-separated file with exactly ``header`` as its first line, every column as text.

    Quotes are not special (GLUE files contain bare ``"``), an optional UTF-8 BOM is skipped, and a
    row with the wrong number of fields is an error naming its line. See :func:`read_tsv_rows` for
    what ``anomalies`` changes.
    """
    return read_tsv_rows(path, header, anomalies)[0]


def read_tsv_rows(path: Path, header: Sequence[str], anomalies: AnomalyLog | None = None
                  ) -> tuple[pa.Table, np.ndarray]:
    """:func:`read_tsv`'s table and the file line each row came from.

    With ``anomalies``, blank lines (empty, or spaces and tabs only) are read past and a byte-order
    mark inside the file is removed, each recorded with its line; the lines then have gaps, which is
    why they come back with the table (errors found later must still name the right line). Such a
    file is read a second time in plain Python, which only a flawed file pays for.
    """
    require_file(path)
    _check_header(path, header)
    bad_rows: list[object] = []
    blank_rows: list[object] = []

    def remember_bad_row(row: object) -> str:
        (blank_rows if anomalies is not None and not row.text.strip(" \t\r") else bad_rows).append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding="utf8"),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False,
                                              ignore_empty_lines=False,
                                              invalid_row_handler=remember_bad_row),
            convert_options=pacsv.ConvertOptions(column_types={name: pa.string() for name in header},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as error:
        if "UTF8" not in str(error):
            raise
        read_text(path, encodings=("utf-8",))  # names the line of the first undecodable byte
        raise
    if bad_rows:
        _raise_first_bad_row(path, len(header), skip_blank=anomalies is not None)
    if anomalies is not None and (blank_rows or _has_blank_or_marked_row(table)):
        return _read_tsv_flawed(path, header, anomalies)
    return table, np.arange(2, table.num_rows + 2)


def _has_blank_or_marked_row(table: pa.Table) -> bool:
    """Whether a row has only blank fields (a blank line) or any field holds a byte-order mark."""
    if not table.num_rows or not table.num_columns:
        return False
    blank = None
    for column in table.columns:
        if pc.any(pc.match_substring(column, UTF8_BOM)).as_py():
            return True
        empty = pc.equal(pc.utf8_trim(column, " \t\r"), "")
        blank = empty if blank is None else pc.and_(blank, empty)
    return bool(pc.any(blank).as_py())


def _read_tsv_flawed(path: Path, header: Sequence[str], anomalies: AnomalyLog) -> tuple[pa.Table, np.ndarray]:
    """The plain-Python reading of a TSV file that has blank lines or inner byte-order marks."""
    columns: list[list[str]] = [[] for _ in header]
    lines: list[int] = []
    for number, line in iter_lines(path, encodings=("utf-8",), anomalies=anomalies):
        if number == 1:
            continue
        if not line.strip(" \t"):
            anomalies.add(path, number, "whitespace-line",
                          "blank line between rows" + (" (spaces or tabs only)" if line else ""))
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            raise SourceFileError(path, f"expected {len(header)} tab-separated fields, found {len(fields)}",
                                  line=number)
        for values, value in zip(columns, fields):
            values.append(value)
        lines.append(number)
    table = pa.table({name: pa.array(values, pa.string()) for name, values in zip(header, columns)})
    return table, np.array(lines, dtype=np.int64)


def _check_header(path: Path, header: Sequence[str]) -> None:
    with open(path, encoding="utf-8", errors="replace", newline="") as stream:
        first = stream.readline().removeprefix(UTF8_BOM).rstrip("\r\n")
    found = first.split("\t")
    if found != list(header):
        raise SourceFileError(path, f"header is {found}, expected {list(header)}", line=1)


def _raise_first_bad_row(path: Path, expected: int, skip_blank: bool = False) -> None:
    for number, line in iter_lines(path, encodings=("utf-8",)):
        if skip_blank and number > 1 and not line.strip(" \t"):
            continue
        found = len(line.split("\t"))
        if found != expected:
            raise SourceFileError(path, f"expected {expected} tab-separated fields, found {found}", line=number)
    raise SourceFileError(path, f"expected {expected} tab-separated fields on every line")


def line_of(row: int, first_line: int | np.ndarray) -> int:
    """The file line of ``row``: ``first_line`` is row 0's line (2 below a header line), or every
    row's line as :func:`read_tsv_rows` returns them."""
    return int(first_line[row]) if isinstance(first_line, np.ndarray) else row + first_line


def encode_labels(column: pa.ChunkedArray | pa.Array, mapping: Mapping[str, int], path: Path,
                  field: str, first_line: int | np.ndarray = 2) -> pa.Array:
    """Map label strings to class ids; an unknown label is an error naming its line and value.

    ``first_line`` is the file line of row 0 (2 when the file has a header line), or the lines of
    all rows (see :func:`line_of`).
    """
    keys = pa.array(list(mapping), type=pa.string())
    positions = pc.index_in(column, value_set=keys)
    if positions.null_count:
        row = pc.index(pc.is_null(positions), True).as_py()
        value = column[row].as_py()
        raise SourceFileError(path, f"unknown label {value!r}; expected one of {list(mapping)}",
                              line=line_of(row, first_line), field=field)
    ids = pa.array(list(mapping.values()), type=pa.int64())
    return pc.take(ids, positions)


def check_not_empty(column: pa.ChunkedArray | pa.Array, path: Path, field: str,
                    first_line: int | np.ndarray = 2) -> None:
    """Reject a blank text cell, naming its line: an empty example is always a broken row."""
    blank = pc.equal(pc.utf8_trim_whitespace(column), "")
    if pc.any(blank).as_py():
        row = pc.index(blank, True).as_py()
        raise SourceFileError(path, "empty text", line=line_of(row, first_line), field=field)


def parse_ints(column: pa.ChunkedArray | pa.Array, path: Path, field: str,
               first_line: int | np.ndarray = 2) -> pa.Array:
    """Cast a text column to int64; a cell that is not an integer is an error naming its line."""
    invalid = pc.invert(pc.match_substring_regex(column, r"^\s*-?[0-9]+\s*$"))
    if pc.any(invalid).as_py():
        row = pc.index(invalid, True).as_py()
        raise SourceFileError(path, f"{column[row].as_py()!r} is not an integer",
                              line=line_of(row, first_line), field=field)
    return pc.cast(pc.utf8_trim_whitespace(column), pa.int64())


def row_numbers(count: int) -> pa.Array:
    """``0 .. count-1`` as int32 (built by numpy: a Python range costs more than parsing the file)."""
    return pa.array(np.arange(count, dtype=np.int32))


def unlabelled(count: int) -> pa.Array:
    """``count`` labels of -1, the ``datasets`` convention for an unlabelled example."""
    return pa.array(np.full(count, -1, dtype=np.int64))


def report_duplicate_ids(column: pa.ChunkedArray | pa.Array, path: Path, field: str, anomalies: AnomalyLog,
                         first_line: int | np.ndarray = 2) -> None:
    """Record each row whose id an earlier row of the same file already has (both rows are kept:
    real corpora repeat ids, and dropping either row would change the data silently)."""
    counts = pc.value_counts(column)
    if not len(counts) or pc.max(counts.field("counts")).as_py() <= 1:
        return
    first: dict[object, int] = {}
    for row, value in enumerate(column.to_pylist()):
        line = line_of(row, first_line)
        if value in first:
            anomalies.add(path, line, "duplicate-id",
                          f"field '{field}': {value!r} already used at line {first[value]}")
        else:
            first[value] = line
