"""Tiny Shakespeare: 40,000 lines of Shakespeare in one file, for character-level language models.

Layout: ``input.txt`` (as collected for char-rnn). The text is cut by characters: the first 90% is
train, the next 5% validation, the last 5% test (cut points ``int(0.90 * n)`` and ``int(0.95 * n)``
for ``n`` characters). Each split is one row holding its whole text. A byte-order mark inside the
file is removed before cutting and recorded (:mod:`hubkit.datasets.anomalies`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import datasets
import pyarrow as pa

from hubkit.datasets.builder import HubkitTableBuilder
from hubkit.datasets.errors import SourceFileError
from hubkit.datasets.sources import read_text
from hubkit.datasets.spec import CardInfo, Download, TaskSpec

CUTS = {datasets.Split.TRAIN: (0.0, 0.90), datasets.Split.VALIDATION: (0.90, 0.95),
        datasets.Split.TEST: (0.95, 1.0)}


class TinyShakespeare(HubkitTableBuilder):
    VERSION = datasets.Version("1.0.0")
    DOWNLOADS = {"text": Download(
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", "input.txt")}
    LAYOUT = "input.txt (the char-rnn tinyshakespeare file)"
    TASK = TaskSpec("language-modeling", {"text": "text"})
    CARD = CardInfo(
        # Its canonical repo on huggingface.co (the card names it when the data is built here).
        hub_id="karpathy/tiny_shakespeare", hub_config="default",
        pretty_name="Tiny Shakespeare",
        description=(
            "About 40,000 lines from a variety of Shakespeare's plays, concatenated into one text, as "
            "collected by Andrej Karpathy for character-level recurrent language models."),
        homepage="https://github.com/karpathy/char-rnn",
        citation=(
            "@misc{karpathy2015charrnn,\n  author={Karpathy, Andrej},\n  title={char-rnn},\n"
            "  year={2015}, howpublished={\\url{https://github.com/karpathy/char-rnn}}\n}"),
        license="other", license_name="public-domain", language=("en",),
        task_categories=("text-generation",), task_ids=("language-modeling",),
        build_notes=("Splits are cut by characters from input.txt: train is the first 90% "
                     "(characters [0, int(0.90 n))), validation the next 5% ([int(0.90 n), int(0.95 n))), "
                     "test the rest, where n is the number of characters. Each split is one row."))

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.CARD.description, citation=self.CARD.citation, homepage=self.CARD.homepage,
            features=datasets.Features({"text": datasets.Value("string")}))

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        path = self.source(dl_manager, "text")
        return [datasets.SplitGenerator(split, gen_kwargs={"path": path, "start": start, "end": end})
                for split, (start, end) in CUTS.items()]

    def _generate_tables(self, path: Path, start: float, end: float) -> Iterator[tuple[str, pa.Table]]:
        text, _ = read_text(path, encodings=("utf-8",), anomalies=self.anomaly_log)
        if not text.strip():
            raise SourceFileError(path, "empty file", line=1)
        n = len(text)
        yield path.name, pa.table({"text": pa.array([text[int(start * n):int(end * n)]], pa.string())})
