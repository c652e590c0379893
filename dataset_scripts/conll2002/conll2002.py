"""CoNLL-2002 Spanish (``es``) and Dutch (``nl``) named entities, from the shared task's files.

Layout: ``esp.train``, ``esp.testa`` (validation), ``esp.testb`` (test) for Spanish, ``ned.*`` for
Dutch. Lines are ``word tag`` or ``word POS tag`` (the count is fixed per file); the original files are
Latin-1, UTF-8 copies are read too. NER tags come out in IOB2. When a file has no POS column,
``pos_tags`` is an empty list for every sentence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import datasets

from hubkit.datasets.builder import HubkitBuilder
from hubkit.datasets.conll import read_conll
from hubkit.datasets.sources import require_file
from hubkit.datasets.spec import CardInfo, Download, TaskSpec

NER_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")
CLIPS = "https://www.clips.uantwerpen.be/conll2002/ner/data"
PREFIX = {"es": "esp", "nl": "ned"}
SPLIT_SUFFIX = {datasets.Split.TRAIN: "train", datasets.Split.VALIDATION: "testa", datasets.Split.TEST: "testb"}


class Conll2002(HubkitBuilder):
    VERSION = datasets.Version("1.0.0")
    BUILDER_CONFIGS = [
        datasets.BuilderConfig(name="es", version=VERSION, description="Spanish (EFE news agency, May 2000)"),
        datasets.BuilderConfig(name="nl", version=VERSION, description="Dutch (De Morgen newspaper, 2000)"),
    ]
    DEFAULT_CONFIG_NAME = "es"
    # No trustworthy sha256 is known for the CLIPS files: hubkit asks for --data-dir instead.
    DOWNLOADS = {f"{prefix}.{suffix}": Download(f"{CLIPS}/{prefix}.{suffix}", None, f"{prefix}.{suffix}")
                 for prefix in PREFIX.values() for suffix in SPLIT_SUFFIX.values()}
    LAYOUT = "esp.train, esp.testa, esp.testb (config es) or ned.* (config nl): word [POS] tag lines"
    TASK = TaskSpec("token-classification", {"tokens": "tokens", "tags": "ner_tags"})
    CARD = CardInfo(
        # Its canonical repo on huggingface.co (the card names it when the data is built here).
        hub_id="eriktks/conll2002",
        pretty_name="CoNLL-2002 (Spanish and Dutch NER)",
        description=(
            "The CoNLL-2002 shared task on language-independent named entity recognition: Spanish newswire "
            "(config es) and Dutch newspaper text (config nl), tagged for persons, organisations, locations "
            "and miscellaneous names. NER tags are IOB2."),
        homepage="https://www.clips.uantwerpen.be/conll2002/ner/",
        citation=(
            "@inproceedings{tjong-kim-sang-2002-introduction,\n"
            "  title={Introduction to the {CoNLL}-2002 Shared Task: Language-Independent Named Entity "
            "Recognition},\n  author={Tjong Kim Sang, Erik F.},\n"
            "  booktitle={{COLING}-02: The 6th Conference on Natural Language Learning 2002 ({CoNLL}-2002)},\n"
            "  year={2002}\n}"),
        license="unknown", language=("es", "nl"), task_categories=("token-classification",),
        task_ids=("named-entity-recognition",))

    def card_info(self) -> CardInfo:
        return dataclasses.replace(self.CARD, language=(self.config.name,), hub_config=self.config.name)

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.CARD.description, citation=self.CARD.citation, homepage=self.CARD.homepage,
            features=datasets.Features({
                "id": datasets.Value("string"),
                "tokens": datasets.List(datasets.Value("string")),
                "pos_tags": datasets.List(datasets.Value("string")),
                "ner_tags": datasets.List(datasets.ClassLabel(names=list(NER_TAGS)))}))

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        prefix = PREFIX[self.config.name]
        return [datasets.SplitGenerator(split, gen_kwargs={"path": require_file(
                    self.source(dl_manager, f"{prefix}.{suffix}"), f"expected {self.LAYOUT}")})
                for split, suffix in SPLIT_SUFFIX.items()]

    def _generate_examples(self, path: Path) -> Iterator[tuple[str, dict]]:
        ner_ids = {tag: i for i, tag in enumerate(NER_TAGS)}
        parsed = read_conll(path, column_counts={2, 3}, tag_names=ner_ids, column_names=("pos",),
                            anomalies=self.anomaly_log)
        for index, sentence in enumerate(parsed.sentences):
            yield f"{path.name}:{sentence.line}", {
                "id": str(index), "tokens": sentence.tokens,
                "pos_tags": sentence.columns[0] if sentence.columns else [],
                "ner_tags": [ner_ids[tag] for tag in sentence.tags]}
