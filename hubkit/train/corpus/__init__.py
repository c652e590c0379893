"""A raw-text corpus for pre-training, opened from files or a Hub dataset repo, split for validation.

:func:`open_corpus` is the one entry point: it returns the training and validation documents as
``datasets`` objects with one column, ``text``, in corpus order, plus what identifies the corpus.
Nothing here holds the corpus in memory:

- local files (:mod:`.files`) are read as streams of lines into Arrow on disk (:mod:`.cache`),
  cached under ``datasets``' cache by the files' sha256, so a second run reads them from there;
- a dataset repo (:mod:`.hub`) is read at one commit sha, downloaded to Arrow or, with
  ``streaming``, read as it is needed.

``identity`` is what results.json's ``corpus`` and the model card say about the corpus (file names
relative to the corpus and their sha256, or the repo and its commit sha; never a path of this
machine); ``fingerprint`` hashes it with the split rule, the key of anything derived from the splits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from hubkit.train.errors import TrainingError

# Bump when the document rules change: corpora cached under the old rules are then read again.
DOCUMENT_RULES_VERSION = 1


@dataclasses.dataclass
class CorpusSplits:
    """The training and validation documents of a corpus, and what identifies them."""

    train: Any  # datasets.Dataset or datasets.IterableDataset: one column "text", documents in corpus order
    validation: Any  # the held-out end of the corpus, or the named split
    identity: dict[str, Any]
    fingerprint: str
    rule: dict[str, Any]  # how validation was chosen: {"validation_split": NAME} or {"validation_fraction", "by"}
    documents: int | None = None  # documents in the corpus (both parts), when known without reading it

    def describe(self) -> str:
        """One line for the terminal: what the corpus is and how it was split."""
        ident = self.identity
        if ident["source"] == "hub":
            what = (f"dataset {ident['repo_id']}@{ident['revision'][:12]} split {ident['split']!r} "
                    f"column {ident['text_column']!r}")
        else:
            files = ident["files"]
            size = sum(f["bytes"] for f in files)
            what = (files[0]["name"] if len(files) == 1 else f"{len(files)} files") + f" ({_size(size)})"
        if self.documents is not None:
            what += f", {self.documents:,} documents"
        if "validation_split" in self.rule:
            held = f"split {self.rule['validation_split']!r}"
        else:
            held = f"the last {self.rule['validation_fraction']:.0%} of the {self.rule['by']}"
            if hasattr(self.validation, "__len__"):
                held += f" ({len(self.validation):,} documents)"
        return f"corpus: {what}; validation: {held}"

    def record(self) -> dict[str, Any]:
        """``identity`` with the split rule and fingerprint, for results.json."""
        return {**self.identity, "fingerprint": self.fingerprint, **self.rule}


def open_corpus(source: str | Path, *, text_column: str | None = None, revision: str | None = None,
                streaming: bool = False, validation_fraction: float = 0.05,
                validation_split: str | None = None, config: str | None = None,
                split: str | None = None) -> CorpusSplits:
    """The corpus at ``source``: a text file, a folder of text files, or a dataset repo ``NS/NAME``.

    A path that exists here wins over a repo id; a missing path shaped ``NS/NAME`` is a repo.
    ``streaming`` gives ``IterableDataset`` splits (a repo is then read as needed, not downloaded).
    """
    from hubkit.datasets.repo import is_repo_id

    path = Path(source)
    if path.exists():
        for flag, value in (("--dataset-revision", revision), ("--validation-split", validation_split),
                            ("--dataset-config", config), ("--dataset-split", split)):
            if value is not None:
                raise TrainingError(f"{flag} applies to a dataset repo; {source} is a local corpus "
                                    "(its validation part is its held-out end, --validation-fraction)")
        return _open_files(path, text_column, streaming, validation_fraction)
    if is_repo_id(str(source)):
        from hubkit.train.corpus.hub import open_repo

        repo = open_repo(str(source), text_column=text_column, revision=revision, streaming=streaming,
                         validation_fraction=validation_fraction, validation_split=validation_split,
                         config=config, split=split)
        return CorpusSplits(repo.train, repo.validation, repo.identity, _fingerprint(repo.identity, repo.rule),
                            repo.rule, None)
    raise TrainingError(f"corpus {source} does not exist; give a text file, a folder of text files, "
                        "or a dataset repo NS/NAME")


def _open_files(path: Path, text_column: str | None, streaming: bool, fraction: float) -> CorpusSplits:
    from hubkit.train.corpus import files as local
    from hubkit.train.corpus.cache import arrow_dataset
    from hubkit.train.corpus.split import cut_by_characters

    sources = local.source_files(path)
    if text_column is not None and not any(f.is_jsonl for f in sources):
        raise TrainingError(f"--text-column applies to .jsonl files and dataset repos; corpus {path} has none")
    identity = {"source": "files", "files": local.file_identity(sources),
                "text_column": (text_column or local.DEFAULT_TEXT_COLUMN) if any(f.is_jsonl for f in sources)
                else None}
    everything = arrow_dataset(_fingerprint(identity, {}), local.documents(sources, text_column, str(path)))
    cut = cut_by_characters(everything, fraction, str(path))
    train, validation = everything.select(range(cut)), everything.select(range(cut, len(everything)))
    if streaming:
        train, validation = train.to_iterable_dataset(), validation.to_iterable_dataset()
    rule = {"validation_fraction": fraction, "by": "characters"}
    return CorpusSplits(train, validation, identity, _fingerprint(identity, rule), rule, len(everything))


def _fingerprint(identity: dict[str, Any], rule: dict[str, Any]) -> str:
    payload = {"identity": identity, "rule": rule, "document_rules": DOCUMENT_RULES_VERSION}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"
