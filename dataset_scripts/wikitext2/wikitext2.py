"""WikiText-2: Wikipedia Good and Featured articles for language modelling.

Two configs, as distributed: ``wikitext-2-v1`` reads the tokenized ``wiki.{train,valid,test}.tokens``
(rare words replaced by ``<unk>``), ``wikitext-2-raw-v1`` the untokenized ``wiki.*.raw``. Each split
whose file is present is built, one row per line of the file (blank lines, which separate
paragraphs, are kept as empty rows so the text can be rebuilt exactly). Lines of a single space are
how these files write blank lines, so they are the format, not a flaw; a byte-order mark inside a
file is one, removed and recorded (:mod:`hubkit.datasets.anomalies`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import datasets
import pyarrow as pa

from hubkit.datasets.builder import HubkitTableBuilder
from hubkit.datasets.errors import SourceFileError
from hubkit.datasets.sources import read_text, split_lines
from hubkit.datasets.spec import CardInfo, Download, TaskSpec

METAMIND = "https://s3.amazonaws.com/research.metamind.io/wikitext"
SPLIT_FILES = {datasets.Split.TRAIN: "train", datasets.Split.VALIDATION: "valid", datasets.Split.TEST: "test"}
EXTENSION = {"wikitext-2-v1": "tokens", "wikitext-2-raw-v1": "raw"}


class Wikitext2(HubkitTableBuilder):
    VERSION = datasets.Version("1.0.0")
    BUILDER_CONFIGS = [
        datasets.BuilderConfig(name="wikitext-2-v1", version=VERSION, description="tokenized, with <unk>"),
        datasets.BuilderConfig(name="wikitext-2-raw-v1", version=VERSION, description="raw text"),
    ]
    DEFAULT_CONFIG_NAME = "wikitext-2-v1"
    DOWNLOADS = {
        "wikitext-2-v1": Download(f"{METAMIND}/wikitext-2-v1.zip",
                                  "92675f1d63015c1c8b51f1656a52d5bdbc33aafa60cc47a218a66e7ee817488c", ".",
                                  "wikitext-2"),
        # No trustworthy sha256 is known for the raw archive: hubkit asks for --data-dir instead.
        "wikitext-2-raw-v1": Download(f"{METAMIND}/wikitext-2-raw-v1.zip", None, ".", "wikitext-2-raw"),
    }
    LAYOUT = "wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens (or wiki.*.raw for wikitext-2-raw-v1)"
    TASK = TaskSpec("language-modeling", {"text": "text"})
    CARD = CardInfo(
        # Its canonical repo on huggingface.co (the card names it when the data is built here).
        hub_id="Salesforce/wikitext",
        pretty_name="WikiText-2",
        description=(
            "WikiText-2: over two million tokens from verified Good and Featured Wikipedia articles, kept "
            "with case, punctuation and numbers, for language modelling. One row per line of the original "
            "files; empty rows are the blank lines between paragraphs."),
        homepage="https://www.salesforce.com/blog/the-wikitext-long-term-dependency-language-modeling-dataset/",
        citation=(
            "@misc{merity2016pointer,\n  title={Pointer Sentinel Mixture Models},\n"
            "  author={Merity, Stephen and Xiong, Caiming and Bradbury, James and Socher, Richard},\n"
            "  year={2016}, eprint={1609.07843}, archivePrefix={arXiv}\n}"),
        license="cc-by-sa-3.0", language=("en",), task_categories=("text-generation", "fill-mask"),
        task_ids=("language-modeling", "masked-language-modeling"), source_datasets=("extended|wikipedia",),
        build_notes="Token counts in the literature add one end-of-line token per line to the "
                    "whitespace-separated tokens.")

    def card_info(self) -> CardInfo:
        return dataclasses.replace(self.CARD, hub_config=self.config.name)

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.CARD.description, citation=self.CARD.citation, homepage=self.CARD.homepage,
            features=datasets.Features({"text": datasets.Value("string")}))

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        root = self.source(dl_manager, self.config.name)
        extension = EXTENSION[self.config.name]
        files = {split: root / f"wiki.{name}.{extension}" for split, name in SPLIT_FILES.items()}
        present = {split: path for split, path in files.items() if path.is_file()}
        if not present:
            raise SourceFileError(root, f"no wiki.*.{extension} file found; expected {self.LAYOUT}")
        return [datasets.SplitGenerator(split, gen_kwargs={"path": path}) for split, path in present.items()]

    def _generate_tables(self, path: Path) -> Iterator[tuple[str, pa.Table]]:
        text, _ = read_text(path, encodings=("utf-8",), anomalies=self.anomaly_log)
        yield path.name, pa.table({"text": pa.array(split_lines(text), pa.string())})
