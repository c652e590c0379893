"""A raw-text corpus for pre-training: read, cut into documents, and split for validation.

A corpus is a text file or a folder of ``.txt`` files (read in sorted path order, so the same
folder always gives the same corpus). Two layouts are common and both are read as they are meant:
raw text with paragraphs separated by blank lines (Tiny Shakespeare, WikiText) becomes one
document per paragraph, line breaks kept; a file without blank lines is one document per line.

Validation is the *last* fraction of the documents (by characters), as Tiny Shakespeare's and
WikiText's own splits are contiguous: neighbouring paragraphs share names and phrases, so a random
split would leak them into training and flatter the perplexity.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

from hubkit.train.errors import TrainingError

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclasses.dataclass
class Corpus:
    """The documents of a corpus and where they came from."""

    path: Path
    files: list[dict]
    documents: list[str]

    @property
    def characters(self) -> int:
        return sum(len(d) for d in self.documents)


def documents_of(text: str) -> list[str]:
    """Paragraphs when the text has blank lines, else lines; empty ones dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pieces = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    return [piece.strip("\n") for piece in pieces if piece.strip()]


def corpus_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if not files:
            raise TrainingError(f"corpus folder {path} holds no .txt files")
        return files
    raise TrainingError(f"corpus {path} does not exist; give a text file or a folder of .txt files")


def read_corpus(path: str | Path) -> Corpus:
    """Every document of the corpus, with each file's sha256 for the record."""
    path = Path(path)
    files, documents = [], []
    for file in corpus_files(path):
        data = file.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TrainingError(f"{file}: not UTF-8 text (invalid byte at offset {exc.start})") from None
        found = documents_of(text)
        documents.extend(found)
        files.append({"path": str(file), "sha256": hashlib.sha256(data).hexdigest(), "documents": len(found)})
    if not documents:
        raise TrainingError(f"corpus {path} holds no text")
    return Corpus(path, files, documents)


def split_documents(documents: list[str], validation_fraction: float) -> tuple[list[str], list[str]]:
    """(train, validation): validation is the last documents holding ``validation_fraction`` of the
    characters, at least one document, and never all of them."""
    if not 0.0 < validation_fraction < 1.0:
        raise TrainingError(f"the validation fraction must be between 0 and 1, got {validation_fraction}")
    if len(documents) < 2:
        raise TrainingError("the corpus holds a single document; a held-out validation part needs at least "
                            "two (separate paragraphs by blank lines, or put one document per line)")
    target = validation_fraction * sum(len(d) for d in documents)
    cut, held = len(documents), 0
    while cut > 1 and (held < target or cut == len(documents)):
        cut -= 1
        held += len(documents[cut])
    return documents[:cut], documents[cut:]
