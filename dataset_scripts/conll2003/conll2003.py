"""CoNLL-2003 English named entities, from the shared task's column files.

Layout: ``eng.train``, ``eng.testa`` (validation), ``eng.testb`` (test), or the same files named
``train.txt``, ``valid.txt``, ``test.txt``. Each line is ``word POS chunk NER``; a blank line ends a
sentence and ``-DOCSTART-`` lines separate documents. The original files tag entities in IOB1; NER
tags are emitted in IOB2 whatever the file uses. POS and chunk tags are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import datasets

from hubkit.datasets.builder import HubkitBuilder
from hubkit.datasets.conll import read_conll
from hubkit.datasets.errors import SourceFileError
from hubkit.datasets.sources import first_existing
from hubkit.datasets.spec import CardInfo, Download, TaskSpec

NER_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")
POS_TAGS = ('"', "''", "#", "$", "(", ")", ",", ".", ":", "``", "CC", "CD", "DT", "EX", "FW", "IN", "JJ",
            "JJR", "JJS", "LS", "MD", "NN", "NNP", "NNPS", "NNS", "NN|SYM", "PDT", "POS", "PRP", "PRP$", "RB",
            "RBR", "RBS", "RP", "SYM", "TO", "UH", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "WDT", "WP", "WP$",
            "WRB")
CHUNK_TAGS = ("O", "B-ADJP", "I-ADJP", "B-ADVP", "I-ADVP", "B-CONJP", "I-CONJP", "B-INTJ", "I-INTJ", "B-LST",
              "I-LST", "B-NP", "I-NP", "B-PP", "I-PP", "B-PRT", "I-PRT", "B-SBAR", "I-SBAR", "B-UCP", "I-UCP",
              "B-VP", "I-VP")
SPLIT_FILES = {datasets.Split.TRAIN: ("eng.train", "train.txt"),
               datasets.Split.VALIDATION: ("eng.testa", "valid.txt"),
               datasets.Split.TEST: ("eng.testb", "test.txt")}


class Conll2003(HubkitBuilder):
    VERSION = datasets.Version("1.0.0")
    # The text is Reuters RCV1: no public canonical copy with a known checksum exists.
    DOWNLOADS = {"corpus": Download("https://data.deepai.org/conll2003.zip", None, ".")}
    LAYOUT = "eng.train, eng.testa, eng.testb (or train.txt, valid.txt, test.txt): word POS chunk NER lines"
    TASK = TaskSpec("token-classification", {"tokens": "tokens", "tags": "ner_tags"})
    CARD = CardInfo(
        # Its canonical repo on huggingface.co (the card names it when the data is built here).
        hub_id="eriktks/conll2003", hub_config="conll2003",
        pretty_name="CoNLL-2003 (English NER)",
        description=(
            "The English part of the CoNLL-2003 shared task on language-independent named entity "
            "recognition: Reuters news sentences with part-of-speech, chunk and named-entity tags for "
            "persons, organisations, locations and miscellaneous names. NER tags are IOB2."),
        homepage="https://www.clips.uantwerpen.be/conll2003/ner/",
        citation=(
            "@inproceedings{tjong-kim-sang-de-meulder-2003-introduction,\n"
            "  title={Introduction to the {CoNLL}-2003 Shared Task: Language-Independent Named Entity "
            "Recognition},\n  author={Tjong Kim Sang, Erik F. and De Meulder, Fien},\n"
            "  booktitle={Proceedings of CoNLL-2003}, pages={142--147}, year={2003}\n}"),
        license="other", license_name="reuters-research-use", private_only=True,
        language=("en",), task_categories=("token-classification",), task_ids=("named-entity-recognition",),
        source_datasets=("extended|other-reuters-corpus",))

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=self.CARD.description, citation=self.CARD.citation, homepage=self.CARD.homepage,
            features=datasets.Features({
                "id": datasets.Value("string"),
                "tokens": datasets.List(datasets.Value("string")),
                "pos_tags": datasets.List(datasets.ClassLabel(names=list(POS_TAGS))),
                "chunk_tags": datasets.List(datasets.ClassLabel(names=list(CHUNK_TAGS))),
                "ner_tags": datasets.List(datasets.ClassLabel(names=list(NER_TAGS)))}))

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        root = self.source(dl_manager, "corpus")
        generators = []
        for split, names in SPLIT_FILES.items():
            path = first_existing(root, names)
            if path is None:
                raise SourceFileError(root / names[0], f"missing file (or {names[1]}); expected {self.LAYOUT}")
            generators.append(datasets.SplitGenerator(split, gen_kwargs={"path": path}))
        return generators

    def _generate_examples(self, path: Path) -> Iterator[tuple[str, dict]]:
        # Encoding ids here, not in datasets, keeps 300k tokens from going through encode_example.
        pos_ids = {tag: i for i, tag in enumerate(POS_TAGS)}
        chunk_ids = {tag: i for i, tag in enumerate(CHUNK_TAGS)}
        ner_ids = {tag: i for i, tag in enumerate(NER_TAGS)}
        parsed = read_conll(path, column_counts={4}, tag_names=ner_ids, column_names=("pos", "chunk"),
                            column_vocabularies=(pos_ids, chunk_ids), anomalies=self.anomaly_log)
        for index, sentence in enumerate(parsed.sentences):
            pos, chunk = sentence.columns
            yield f"{path.name}:{sentence.line}", {
                "id": str(index), "tokens": sentence.tokens,
                "pos_tags": [pos_ids[tag] for tag in pos], "chunk_tags": [chunk_ids[tag] for tag in chunk],
                "ner_tags": [ner_ids[tag] for tag in sentence.tags]}
