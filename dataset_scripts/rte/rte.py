"""GLUE RTE: does the first sentence entail the second?

Layout (the GLUE ``RTE`` folder): ``train.tsv`` and ``dev.tsv`` with header
``index, sentence1, sentence2, label`` (labels ``entailment``/``not_entailment``); ``test.tsv`` has
``index, sentence1, sentence2`` and no labels (label -1). Blank lines between rows, a byte-order mark
inside a file and an ``index`` used twice in one file are read past and recorded as known flaws
(:mod:`hubkit.datasets.anomalies`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import datasets
import pyarrow as pa

from hubkit.datasets.builder import HubkitTableBuilder
from hubkit.datasets.sources import (check_not_empty, encode_labels, parse_ints, read_tsv_rows,
                                     report_duplicate_ids, unlabelled)
from hubkit.datasets.spec import CardInfo, Download, TaskSpec

LABELS = ("entailment", "not_entailment")


class Rte(HubkitTableBuilder):
    VERSION = datasets.Version("1.0.0")
    # No trustworthy sha256 is known for RTE.zip: hubkit asks for --data-dir rather than trust it.
    DOWNLOADS = {"glue": Download("https://dl.fbaipublicfiles.com/glue/data/RTE.zip", None, ".", "RTE")}
    LAYOUT = "the GLUE RTE folder: train.tsv, dev.tsv (index, sentence1, sentence2, label), test.tsv (no label)"
    TASK = TaskSpec("text-classification", {"text": "sentence1", "text_pair": "sentence2", "label": "label"})
    CARD = CardInfo(
        # Its canonical repo on huggingface.co (the card names it when the data is built here).
        hub_id="nyu-mll/glue", hub_config="rte",
        pretty_name="GLUE RTE",
        description=(
            "Recognizing Textual Entailment as packaged by GLUE: the RTE1, RTE2, RTE3 and RTE5 challenge "
            "data merged into two classes, entailment and not_entailment. The test split is unlabelled."),
        homepage="https://gluebenchmark.com/",
        citation=(
            "@inproceedings{dagan2005pascal,\n"
            "  title={The {PASCAL} Recognising Textual Entailment Challenge},\n"
            "  author={Dagan, Ido and Glickman, Oren and Magnini, Bernardo},\n"
            "  booktitle={Machine Learning Challenges Workshop}, year={2005}\n}\n"
            "@inproceedings{wang2018glue,\n"
            "  title={{GLUE}: A Multi-Task Benchmark and Analysis Platform for Natural Language Understanding},\n"
            "  author={Wang, Alex and Singh, Amanpreet and Michael, Julian and Hill, Felix and Levy, Omer and "
            "Bowman, Samuel R.},\n  booktitle={Proceedings of BlackboxNLP}, year={2018}\n}"),
        license="other", license_name="research-use",
        language=("en",), task_categories=("text-classification",), task_ids=("natural-language-inference",))

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.CARD.description, citation=self.CARD.citation, homepage=self.CARD.homepage,
            features=datasets.Features({"sentence1": datasets.Value("string"),
                                        "sentence2": datasets.Value("string"),
                                        "label": datasets.ClassLabel(names=list(LABELS)),
                                        "idx": datasets.Value("int32")}))

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        return self.glue_split_generators(dl_manager)

    def _generate_tables(self, path: Path, labelled: bool) -> Iterator[tuple[str, pa.Table]]:
        header = ["index", "sentence1", "sentence2"] + (["label"] if labelled else [])
        table, lines = read_tsv_rows(path, header, self.anomaly_log)
        for column in ("sentence1", "sentence2"):
            check_not_empty(table[column], path, column, lines)
        if labelled:
            labels = encode_labels(table["label"], {name: i for i, name in enumerate(LABELS)}, path, "label",
                                   lines)
        else:
            labels = unlabelled(table.num_rows)
        index = parse_ints(table["index"], path, "index", lines).cast(pa.int32())
        report_duplicate_ids(index, path, "index", self.anomaly_log, lines)
        yield path.name, pa.table({"sentence1": table["sentence1"], "sentence2": table["sentence2"],
                                   "label": labels, "idx": index})
