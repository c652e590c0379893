"""SQuAD v1.1: extractive question answering over Wikipedia paragraphs.

Layout: ``train-v1.1.json`` (train) and/or ``dev-v1.1.json`` (validation), the official files; each
split whose file is present is built. The nested ``data -> paragraphs -> qas`` structure is flattened
to one row per question: ``id, title, context, question, answers {text, answer_start}``. A question id
used twice in one file keeps both rows and is recorded as a known flaw, named by its JSON path
(:mod:`hubkit.datasets.anomalies`); so is a byte-order mark inside the file, which is removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets

from hubkit.datasets.builder import HubkitBuilder
from hubkit.datasets.errors import SourceFileError
from hubkit.datasets.sources import read_text
from hubkit.datasets.spec import CardInfo, Download, TaskSpec

EXPLORER = "https://rajpurkar.github.io/SQuAD-explorer/dataset"


class Squad(HubkitBuilder):
    VERSION = datasets.Version("1.1.0")
    DOWNLOADS = {
        "train": Download(f"{EXPLORER}/train-v1.1.json",
                          "3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955", "train-v1.1.json"),
        "validation": Download(f"{EXPLORER}/dev-v1.1.json",
                               "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9", "dev-v1.1.json"),
    }
    LAYOUT = "train-v1.1.json and/or dev-v1.1.json (the official SQuAD v1.1 files)"
    TASK = TaskSpec("question-answering", {"id": "id", "question": "question", "context": "context",
                                           "answers": "answers"})
    CARD = CardInfo(
        # Its canonical repo on huggingface.co (the card names it when the data is built here).
        hub_id="rajpurkar/squad", hub_config="plain_text",
        pretty_name="SQuAD v1.1",
        description=(
            "The Stanford Question Answering Dataset v1.1: questions posed by crowdworkers on Wikipedia "
            "articles, where every answer is a span of the paragraph. One row per question; validation "
            "questions carry several reference answers."),
        homepage="https://rajpurkar.github.io/SQuAD-explorer/",
        citation=(
            "@inproceedings{rajpurkar-etal-2016-squad,\n"
            "  title={{SQ}u{AD}: 100,000+ Questions for Machine Comprehension of Text},\n"
            "  author={Rajpurkar, Pranav and Zhang, Jian and Lopyrev, Konstantin and Liang, Percy},\n"
            "  booktitle={Proceedings of EMNLP}, pages={2383--2392}, year={2016}\n}"),
        license="cc-by-sa-4.0", language=("en",), task_categories=("question-answering",),
        task_ids=("extractive-qa",), source_datasets=("extended|wikipedia",))

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.CARD.description, citation=self.CARD.citation, homepage=self.CARD.homepage,
            features=datasets.Features({
                "id": datasets.Value("string"), "title": datasets.Value("string"),
                "context": datasets.Value("string"), "question": datasets.Value("string"),
                "answers": {"text": datasets.List(datasets.Value("string")),
                            "answer_start": datasets.List(datasets.Value("int32"))}}))

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        paths = {}
        for split in (datasets.Split.TRAIN, datasets.Split.VALIDATION):
            if self.data_dir is None or (self.data_dir / self.DOWNLOADS[str(split)].local).is_file():
                paths[split] = self.source(dl_manager, str(split))
        if not paths:
            raise SourceFileError(self.data_dir / "dev-v1.1.json", f"missing file; expected {self.LAYOUT}")
        return [datasets.SplitGenerator(split, gen_kwargs={"path": path}) for split, path in paths.items()]

    def _generate_examples(self, path: Path) -> Iterator[tuple[str, dict]]:
        text, _ = read_text(path, encodings=("utf-8",), anomalies=self.anomaly_log)
        seen: dict[str, str] = {}
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise SourceFileError(path, f"invalid JSON: {error.msg} (column {error.colno})", line=error.lineno)
        for a, article in enumerate(_field(document, "data", list, path, "")):
            where = f"data[{a}]"
            title = _field(article, "title", str, path, where)
            for p, paragraph in enumerate(_field(article, "paragraphs", list, path, where)):
                where_p = f"{where}.paragraphs[{p}]"
                context = _field(paragraph, "context", str, path, where_p)
                for q, qa in enumerate(_field(paragraph, "qas", list, path, where_p)):
                    where_q = f"{where_p}.qas[{q}]"
                    answers = _field(qa, "answers", list, path, where_q)
                    key = _field(qa, "id", str, path, where_q)
                    if key in seen:
                        self.anomaly_log.add(path, None, "duplicate-id", f"field '{where_q}.id': {key!r} already "
                                             f"used at {seen[key]}.id")
                    seen.setdefault(key, where_q)
                    yield where_q, {
                        "id": key, "title": title, "context": context,
                        "question": _field(qa, "question", str, path, where_q),
                        "answers": {
                            "text": [_field(answer, "text", str, path, f"{where_q}.answers[{i}]")
                                     for i, answer in enumerate(answers)],
                            "answer_start": [_field(answer, "answer_start", int, path, f"{where_q}.answers[{i}]")
                                             for i, answer in enumerate(answers)]}}


def _field(node: Any, name: str, kind: type, path: Path, where: str) -> Any:
    """``node[name]`` checked to be a ``kind``; errors name the JSON path (parsed JSON has no lines)."""
    location = f"{where}.{name}" if where else name
    if not isinstance(node, dict) or name not in node:
        raise SourceFileError(path, "missing", field=location)
    value = node[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SourceFileError(path, f"expected {kind.__name__}, found {type(value).__name__}", field=location)
    return value
