"""IMDB large movie review dataset: 50,000 polar reviews plus 50,000 unlabelled ones.

Layout (the unpacked ``aclImdb`` folder): ``train/{pos,neg}/<id>_<rating>.txt`` and
``test/{pos,neg}/...``, one review per file; an ``unsupervised`` split is built when ``train/unsup/``
exists (label -1, rating 0). The star rating from the file name is kept. Two files of one folder with
the same id (different ratings) are both kept and recorded as a known flaw, as is a byte-order mark
inside a review, which is removed (:mod:`hubkit.datasets.anomalies`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import datasets

from hubkit.datasets.builder import HubkitBuilder
from hubkit.datasets.errors import SourceFileError
from hubkit.datasets.sources import read_text
from hubkit.datasets.spec import CardInfo, Download, TaskSpec

LABELS = ("neg", "pos")
FILE_NAME = re.compile(r"^(\d+)_(\d+)\.txt$")


class Imdb(HubkitBuilder):
    VERSION = datasets.Version("1.0.0")
    DOWNLOADS = {"archive": Download("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
                                     "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
                                     ".", "aclImdb")}
    LAYOUT = "the aclImdb folder: train/{pos,neg}/<id>_<rating>.txt, test/{pos,neg}/..., optional train/unsup/"
    TASK = TaskSpec("text-classification", {"text": "text", "label": "label"})
    CARD = CardInfo(
        # Its canonical repo on huggingface.co (the card names it when the data is built here).
        hub_id="stanfordnlp/imdb", hub_config="plain_text",
        pretty_name="IMDB Large Movie Review Dataset",
        description=(
            "Movie reviews from IMDB for binary sentiment classification: 25,000 highly polar reviews for "
            "training and 25,000 for testing, plus unlabelled reviews for unsupervised learning. Reviews "
            "rated 4 stars or less out of 10 are negative, 7 or more positive; the rating is kept."),
        homepage="https://ai.stanford.edu/~amaas/data/sentiment/",
        citation=(
            "@inproceedings{maas-etal-2011-learning,\n"
            "  title={Learning Word Vectors for Sentiment Analysis},\n"
            "  author={Maas, Andrew L. and Daly, Raymond E. and Pham, Peter T. and Huang, Dan and Ng, Andrew Y. "
            "and Potts, Christopher},\n  booktitle={Proceedings of ACL}, pages={142--150}, year={2011}\n}"),
        license="other", license_name="imdb-research-use", language=("en",),
        task_categories=("text-classification",), task_ids=("sentiment-classification",))

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.CARD.description, citation=self.CARD.citation, homepage=self.CARD.homepage,
            features=datasets.Features({"text": datasets.Value("string"),
                                        "label": datasets.ClassLabel(names=list(LABELS)),
                                        "rating": datasets.Value("int32")}))

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        root = self.source(dl_manager, "archive")
        generators = []
        for split, folder in ((datasets.Split.TRAIN, "train"), (datasets.Split.TEST, "test")):
            for label in LABELS:
                if not (root / folder / label).is_dir():
                    raise SourceFileError(root / folder / label, f"missing folder; expected {self.LAYOUT}")
            generators.append(datasets.SplitGenerator(split, gen_kwargs={
                "folders": [(root / folder / label, index) for index, label in enumerate(LABELS)]}))
        if (root / "train" / "unsup").is_dir():
            generators.append(datasets.SplitGenerator("unsupervised", gen_kwargs={
                "folders": [(root / "train" / "unsup", -1)]}))
        return generators

    def _generate_examples(self, folders: list[tuple[Path, int]]) -> Iterator[tuple[str, dict]]:
        for folder, label in folders:
            seen: dict[int, Path] = {}
            for review_id, rating, path in _reviews(folder):
                if review_id in seen:
                    self.anomaly_log.add(path, None, "duplicate-id",
                                         f"review id {review_id} already used by {seen[review_id].name}")
                seen.setdefault(review_id, path)
                text, _ = read_text(path, encodings=("utf-8",), anomalies=self.anomaly_log)
                if not text.strip():
                    raise SourceFileError(path, "empty review", line=1)
                yield f"{folder.name}/{path.name}", {"text": text, "label": label, "rating": rating}


def _reviews(folder: Path) -> list[tuple[int, int, Path]]:
    """``(id, rating, path)`` for each review file, in id order (directory order is not stable)."""
    reviews = []
    for path in folder.iterdir():
        match = FILE_NAME.match(path.name)
        if match is None:
            raise SourceFileError(path, "file name is not <id>_<rating>.txt")
        reviews.append((int(match[1]), int(match[2]), path))
    return sorted(reviews)
