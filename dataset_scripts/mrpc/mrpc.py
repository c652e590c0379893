"""GLUE MRPC: pairs of news sentences, labelled paraphrase (equivalent) or not.

Layout (the GLUE ``MRPC`` folder): ``train.tsv`` and ``dev.tsv`` with header
``Quality, #1 ID, #2 ID, #1 String, #2 String`` (the files may start with a UTF-8 BOM). The test
split is labelled from ``msr_paraphrase_test.txt`` when present, else read unlabelled from GLUE's
``test.tsv`` (``index, #1 ID, #2 ID, #1 String, #2 String``). Without ``train.tsv``/``dev.tsv``, train
and dev are cut from ``msr_paraphrase_train.txt`` by ``dev_ids.tsv``, as GLUE's own script does;
that is also how the canonical downloads are turned into splits. A sentence pair (``#1 ID``, ``#2 ID``)
listed twice in one file is kept, and blank lines between rows and a byte-order mark inside a file
are read past; each is recorded as a known flaw (:mod:`hubkit.datasets.anomalies`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.compute as pc

from hubkit.datasets.builder import HubkitTableBuilder
from hubkit.datasets.errors import SourceFileError
from hubkit.datasets.sources import (check_not_empty, encode_labels, iter_lines, parse_ints, read_tsv_rows,
                                     report_duplicate_ids, require_file, row_numbers, unlabelled)
from hubkit.datasets.spec import CardInfo, Download, TaskSpec

LABELS = ("not_equivalent", "equivalent")
PAIR_COLUMNS = ["#1 ID", "#2 ID", "#1 String", "#2 String"]
SENTEVAL = "https://dl.fbaipublicfiles.com/senteval/senteval_data"


class Mrpc(HubkitTableBuilder):
    VERSION = datasets.Version("1.0.0")
    # No trustworthy sha256 is known for these files, so hubkit asks for --data-dir instead of
    # downloading them unverified.
    DOWNLOADS = {
        "msr_train": Download(f"{SENTEVAL}/msr_paraphrase_train.txt", None, "msr_paraphrase_train.txt"),
        "msr_test": Download(f"{SENTEVAL}/msr_paraphrase_test.txt", None, "msr_paraphrase_test.txt"),
        "dev_ids": Download("https://dl.fbaipublicfiles.com/glue/data/mrpc_dev_ids.tsv", None, "dev_ids.tsv"),
    }
    LAYOUT = ("the GLUE MRPC folder: train.tsv, dev.tsv, and msr_paraphrase_test.txt or test.tsv "
              "(or msr_paraphrase_train.txt + dev_ids.tsv instead of train.tsv/dev.tsv)")
    TASK = TaskSpec("text-classification", {"text": "sentence1", "text_pair": "sentence2", "label": "label"})
    CARD = CardInfo(
        # Its canonical repo on huggingface.co (the card names it when the data is built here).
        hub_id="nyu-mll/glue", hub_config="mrpc",
        pretty_name="GLUE MRPC",
        description=(
            "The Microsoft Research Paraphrase Corpus as packaged by GLUE: sentence pairs from online news, "
            "labelled by annotators as semantically equivalent or not. The test labels come from the "
            "corpus's own msr_paraphrase_test.txt when it is available."),
        homepage="https://www.microsoft.com/en-us/download/details.aspx?id=52398",
        citation=(
            "@inproceedings{dolan2005automatically,\n"
            "  title={Automatically Constructing a Corpus of Sentential Paraphrases},\n"
            "  author={Dolan, William B. and Brockett, Chris},\n"
            "  booktitle={Proceedings of the Third International Workshop on Paraphrasing (IWP2005)},\n"
            "  year={2005}\n}"),
        license="other", license_name="microsoft-shared-source",
        language=("en",), task_categories=("text-classification",),
        task_ids=("semantic-similarity-classification",))

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.CARD.description, citation=self.CARD.citation, homepage=self.CARD.homepage,
            features=datasets.Features({"sentence1": datasets.Value("string"),
                                        "sentence2": datasets.Value("string"),
                                        "label": datasets.ClassLabel(names=list(LABELS)),
                                        "idx": datasets.Value("int32")}))

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        local = self.data_dir
        if local is not None and (local / "train.tsv").is_file():
            train = {"path": local / "train.tsv"}
            dev = {"path": require_file(local / "dev.tsv", f"expected {self.LAYOUT}")}
        else:
            msr_train = require_file(self.source(dl_manager, "msr_train"), f"expected {self.LAYOUT}")
            dev_ids = require_file(self.source(dl_manager, "dev_ids"), f"expected {self.LAYOUT}")
            train = {"path": msr_train, "dev_ids": dev_ids, "keep_dev": False}
            dev = {"path": msr_train, "dev_ids": dev_ids, "keep_dev": True}
        if local is not None and not (local / "msr_paraphrase_test.txt").is_file():
            test = {"path": require_file(local / "test.tsv", f"expected {self.LAYOUT}"), "labelled": False}
        else:
            test = {"path": require_file(self.source(dl_manager, "msr_test"), f"expected {self.LAYOUT}")}
        return [datasets.SplitGenerator(datasets.Split.TRAIN, gen_kwargs=train),
                datasets.SplitGenerator(datasets.Split.VALIDATION, gen_kwargs=dev),
                datasets.SplitGenerator(datasets.Split.TEST, gen_kwargs=test)]

    def _generate_tables(self, path: Path, labelled: bool = True, dev_ids: Path | None = None,
                         keep_dev: bool = False) -> Iterator[tuple[str, pa.Table]]:
        table, lines = read_tsv_rows(path, (["Quality"] if labelled else ["index"]) + PAIR_COLUMNS,
                                     self.anomaly_log)
        for column in ("#1 String", "#2 String"):
            check_not_empty(table[column], path, column, lines)
        if labelled:
            labels = encode_labels(table["Quality"], {"0": 0, "1": 1}, path, "Quality", lines)
        else:
            parse_ints(table["index"], path, "index", lines)
            labels = unlabelled(table.num_rows)
        pairs = pc.binary_join_element_wise(table["#1 ID"], table["#2 ID"], "/")
        report_duplicate_ids(pairs, path, "#1 ID/#2 ID", self.anomaly_log, lines)
        result = pa.table({"sentence1": table["#1 String"], "sentence2": table["#2 String"], "label": labels})
        if dev_ids is not None:
            in_dev = pc.is_in(pc.binary_join_element_wise(table["#1 ID"], table["#2 ID"], "\t"),
                              value_set=pa.array(sorted(_read_dev_ids(dev_ids))))
            result = result.filter(in_dev if keep_dev else pc.invert(in_dev))
        result = result.append_column("idx", row_numbers(result.num_rows))
        yield path.name, result


def _read_dev_ids(path: Path) -> set[str]:
    """``#1 ID<TAB>#2 ID`` pairs, one per line, as the joined strings the filter compares."""
    pairs = set()
    for number, line in iter_lines(path):
        fields = line.split("\t")
        if len(fields) != 2 or not all(field.strip().isdigit() for field in fields):
            raise SourceFileError(path, "expected two numeric ids separated by a tab", line=number)
        pairs.add("\t".join(field.strip() for field in fields))
    return pairs
