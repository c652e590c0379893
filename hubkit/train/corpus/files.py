"""A local corpus: a text file, or a folder of ``.txt``, ``.txt.gz`` and ``.jsonl`` files.

Files are read as streams of lines, never whole: a corpus of many gigabytes passes through in
bounded memory (a document, one paragraph or one line, is the most held at once). The folder is
read in sorted order of the files' relative paths, so the same folder always gives the same corpus.

Document rules, as before this module read streams: a text file with a blank line (only spaces
or tabs) between its lines is one document per paragraph, line breaks kept (Tiny Shakespeare,
WikiText); a file without one is one document per line. A ``.jsonl`` line is one document, the
value of its text column. Empty documents are dropped.

Each file is identified by the sha256 of its bytes as stored (compressed for ``.gz``), computed in
chunks; the identity names files relative to the corpus, never by a path of this machine.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from hubkit.train.errors import TrainingError

SUFFIXES = (".txt", ".txt.gz", ".jsonl")
BINARY_PROBE_BYTES = 1024  # a NUL byte this early means a binary file, not text
HASH_CHUNK_BYTES = 1 << 20
DEFAULT_TEXT_COLUMN = "text"
BOM = b"\xef\xbb\xbf"


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """One file of a local corpus: where it is, what it is called in the record, and how it is read."""

    path: Path
    name: str  # relative to the corpus folder (the file's own name for a one-file corpus), with / separators

    @property
    def compressed(self) -> bool:
        return self.path.name.endswith(".gz")

    @property
    def is_jsonl(self) -> bool:
        return self.path.name.endswith(".jsonl")

    def open_binary(self) -> IO[bytes]:
        return gzip.open(self.path, "rb") if self.compressed else open(self.path, "rb")

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with open(self.path, "rb") as stream:
            for chunk in iter(lambda: stream.read(HASH_CHUNK_BYTES), b""):
                digest.update(chunk)
        return digest.hexdigest()


def source_files(path: Path) -> list[SourceFile]:
    """The files of the corpus at ``path``, in reading order."""
    if path.is_file():
        return [SourceFile(path, path.name)]
    if path.is_dir():
        found = [p for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES)]
        if not found:
            raise TrainingError(f"corpus folder {path} holds no {', '.join(SUFFIXES)} files")
        return sorted((SourceFile(p, p.relative_to(path).as_posix()) for p in found), key=lambda f: f.name)
    raise TrainingError(f"corpus {path} does not exist; give a text file, a folder of text files, "
                        "or a dataset repo NS/NAME")


def file_identity(files: list[SourceFile]) -> list[dict[str, Any]]:
    """Name, sha256 and size of each file, as results.json and the card record them."""
    return [{"name": f.name, "sha256": f.sha256(), "bytes": f.path.stat().st_size} for f in files]


def documents(files: list[SourceFile], text_column: str | None, where: str) -> Iterator[dict[str, str]]:
    """Every document of the corpus as ``{"text": ...}``, in order; raises on the first bad input.

    A generator: :mod:`hubkit.train.corpus.cache` writes the rows to Arrow on disk as they come,
    so nothing here grows with the corpus.
    """
    found = False
    for file in files:
        for text in (_jsonl_documents(file, text_column or DEFAULT_TEXT_COLUMN) if file.is_jsonl
                     else _text_documents(file)):
            found = True
            yield {"text": text}
    if not found:
        raise TrainingError(f"corpus {where} holds no text (no file has a non-empty document)")


def _lines(file: SourceFile) -> Iterator[tuple[int, str]]:
    """(line number, text without its line break) of each line, decoded as UTF-8 (a leading BOM
    dropped); a byte that is not UTF-8 is reported with its offset in the (decompressed) file."""
    _refuse_binary(file)
    offset = 0
    with _opened(file) as stream:
        for number, raw in enumerate(_guarded(stream, file), start=1):
            body = raw[len(BOM):] if number == 1 and raw.startswith(BOM) else raw
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                where = " of the decompressed text" if file.compressed else ""
                at = offset + len(raw) - len(body) + exc.start
                raise TrainingError(f"{file.path}: not UTF-8 text (invalid byte at offset {at}"
                                    f"{where}, line {number})") from None
            if "\0" in text:
                raise TrainingError(f"{file.path}: a binary file (NUL byte on line {number}), not text")
            offset += len(raw)
            yield number, text.rstrip("\n").rstrip("\r")


def _refuse_binary(file: SourceFile) -> None:
    """A NUL byte in the first KB: an image, an archive, a model file; said before any decoding error."""
    with _opened(file) as stream:
        try:
            head = stream.read(BINARY_PROBE_BYTES)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise TrainingError(f"{file.path}: not a readable gzip file ({exc})") from None
    if b"\0" in head:
        raise TrainingError(f"{file.path}: a binary file (NUL byte at offset {head.index(0)}), not text")


def _opened(file: SourceFile):
    try:
        return file.open_binary()
    except OSError as exc:
        raise TrainingError(f"{file.path}: cannot be read ({exc.strerror or exc})") from None


def _guarded(stream: IO[bytes], file: SourceFile) -> Iterator[bytes]:
    """The raw lines of ``stream``; a damaged ``.gz`` is one line naming the file."""
    try:
        yield from stream
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise TrainingError(f"{file.path}: not a readable gzip file ({exc})") from None


def _is_blank(line: str) -> bool:
    return not line.strip(" \t")


def _has_blank_line(file: SourceFile) -> bool:
    """Whether a blank line separates two lines of the file: paragraphs, not lines, are its documents.

    A first, cheap pass over the raw bytes; it stops at the first such line, which in a paragraph
    corpus comes within its first lines.
    """
    seen_text = False
    blank_after_text = False
    with _opened(file) as stream:
        for raw in _guarded(stream, file):
            if not raw.rstrip(b"\r\n").strip(b" \t"):
                blank_after_text = blank_after_text or seen_text
            elif blank_after_text:
                return True
            else:
                seen_text = True
    return False


def _text_documents(file: SourceFile) -> Iterator[str]:
    if not _has_blank_line(file):
        for _, line in _lines(file):
            if not _is_blank(line):
                yield line
        return
    paragraph: list[str] = []
    for _, line in _lines(file):
        if _is_blank(line):
            if paragraph:
                yield "\n".join(paragraph)
            paragraph = []
        else:
            paragraph.append(line)
    if paragraph:
        yield "\n".join(paragraph)


def _jsonl_documents(file: SourceFile, column: str) -> Iterator[str]:
    for number, line in _lines(file):
        if _is_blank(line):
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise TrainingError(f"{file.path}:{number}: not a JSON line ({str(exc).splitlines()[0]})") from None
        if not isinstance(record, dict):
            raise TrainingError(f"{file.path}:{number}: a JSON {type(record).__name__}, not an object with a "
                                f"{column!r} field")
        if column not in record:
            raise TrainingError(f"{file.path}:{number}: no column {column!r} (its columns: "
                                f"{', '.join(map(str, record)) or 'none'}); choose one with --text-column")
        text = record[column]
        if text is None:
            continue
        if not isinstance(text, str):
            raise TrainingError(f"{file.path}:{number}: column {column!r} holds a {type(text).__name__}, not text")
        if text.strip():
            yield text
