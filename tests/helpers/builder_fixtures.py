"""Hand-written source folders of a few rows, one per builder in ``dataset_scripts/``.

The builders' parsing tests assert exact rows, so these fixtures are literal text (quotes, a BOM,
Latin-1, IOB1 tags) rather than generated. ``TINY`` names one fixture per builder folder so that a
common test can prepare every builder; a new folder without an entry there fails that test.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Callable


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` as bytes in ``encoding`` (builders must read the encoding the corpus uses)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------- GLUE

SST2_TRAIN = 'sentence\tlabel\na "gripping" film \t1\ndull , dull , dull\t0\n'
SST2_DEV = "sentence\tlabel\nsharp and funny\t1\n"
SST2_TEST = "index\tsentence\n0\tunseen words\n1\tmore unseen words\n"


def tiny_sst2(folder: Path, train: str = SST2_TRAIN, dev: str = SST2_DEV, test: str = SST2_TEST) -> Path:
    """train.tsv, dev.tsv and test.tsv exactly as given (whole files, headers included)."""
    write(folder / "train.tsv", train)
    write(folder / "dev.tsv", dev)
    write(folder / "test.tsv", test)
    return folder


MRPC_HEADER = "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
MRPC_ROWS = ["1\t11\t12\tThe cat sat.\tA cat was sitting.\n", "0\t21\t22\tRain fell.\tStocks rose.\n",
             "1\t31\t32\tHe left early.\tHe departed early.\n"]


def tiny_mrpc(folder: Path, labelled_test: bool = True) -> Path:
    """GLUE's MRPC files (with the BOM the real ones carry), and the MSR test file with labels."""
    write(folder / "train.tsv", "\ufeff" + MRPC_HEADER + MRPC_ROWS[0] + MRPC_ROWS[1])
    write(folder / "dev.tsv", "\ufeff" + MRPC_HEADER + MRPC_ROWS[2])
    write(folder / "test.tsv", "index\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t41\t42\tOne.\tUno.\n")
    if labelled_test:
        write(folder / "msr_paraphrase_test.txt", "\ufeff" + MRPC_HEADER + "1\t41\t42\tOne.\tUno.\n")
    return folder


RTE_HEADER = "index\tsentence1\tsentence2\tlabel\n"


def tiny_rte(folder: Path) -> Path:
    write(folder / "train.tsv", RTE_HEADER + "0\tA man sleeps.\tA person sleeps.\tentailment\n"
          "1\tA man sleeps.\tA man runs.\tnot_entailment\n")
    write(folder / "dev.tsv", RTE_HEADER + "0\tIt rains.\tIt is wet.\tentailment\n")
    write(folder / "test.tsv", "index\tsentence1\tsentence2\n0\tX is Y.\tY is X.\n")
    return folder


# ---------------------------------------------------------------- IMDB

def tiny_imdb(folder: Path, unsup: bool = True) -> Path:
    """aclImdb's layout: ``<split>/<pos|neg|unsup>/<id>_<rating>.txt``."""
    write(folder / "train" / "pos" / "10_9.txt", "Loved it.<br />Would watch again.")
    write(folder / "train" / "pos" / "2_7.txt", "Good.")
    write(folder / "train" / "neg" / "3_1.txt", "Awful.")
    write(folder / "test" / "pos" / "0_10.txt", "Superb.")
    write(folder / "test" / "neg" / "0_2.txt", "Boring.")
    if unsup:
        write(folder / "train" / "unsup" / "5_0.txt", "Saw it on a plane.")
    return folder


# ---------------------------------------------------------------- CoNLL

CONLL_IOB1 = """-DOCSTART- -X- O O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O
. . O O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
Paris NNP I-NP B-PER
"""
CONLL_IOB2 = "Peter NNP I-NP B-PER\nBlackburn NNP I-NP I-PER\nin IN I-PP O\nParis NNP I-NP B-LOC\n\n"


def tiny_conll2003(folder: Path, train: str = CONLL_IOB1,
                   names: tuple[str, str, str] = ("eng.train", "eng.testa", "eng.testb")) -> Path:
    """An IOB1 train file (as the 2003 release is) and IOB2 validation/test files."""
    write(folder / names[0], train)
    write(folder / names[1], CONLL_IOB2)
    write(folder / names[2], CONLL_IOB2)
    return folder


def tiny_conll2002(folder: Path) -> Path:
    """Spanish and Dutch train/testa/testb files, in Latin-1 like the release."""
    for prefix, text in (("esp", "La O\nAgencia B-ORG\nEFE I-ORG\nen O\nEspaña B-LOC\n\n"),
                         ("ned", "De Art O\nBelgische Adj I-MISC\nregering N O\n\n")):
        for suffix in ("train", "testa", "testb"):
            write(folder / f"{prefix}.{suffix}", text, encoding="latin-1")
    return folder


# ---------------------------------------------------------------- SQuAD, WikiText, Tiny Shakespeare, csv

SQUAD = {"version": "1.1", "data": [{"title": "Normans", "paragraphs": [{
    "context": "The Normans gave their name to Normandy.",
    "qas": [{"id": "q1", "question": "Who named Normandy?",
             "answers": [{"text": "The Normans", "answer_start": 0}, {"text": "Normans", "answer_start": 4}]},
            {"id": "q2", "question": "What was named?", "answers": [{"text": "Normandy", "answer_start": 31}]}]}]}]}


def write_files(folder: Path, files: dict[str, str]) -> Path:
    """Each ``name: text`` of ``files`` under ``folder``; returns ``folder``."""
    for name, text in files.items():
        write(folder / name, text)
    return folder


def tiny_squad(folder: Path) -> Path:
    """Only dev-v1.1.json: the builder builds the splits whose files are present."""
    return write_files(folder, {"dev-v1.1.json": json.dumps(SQUAD)})


def tiny_wikitext2(folder: Path) -> Path:
    return write_files(folder, {"wiki.train.tokens": " \n = Title = \n \n The <unk> sat on the mat . \n",
                                "wiki.valid.tokens": " \n = Title = \n \n The <unk> sat . \n",
                                "wiki.test.tokens": " Another line . \n"})


def tiny_shakespeare(folder: Path) -> Path:
    """1,000 characters, so the builder's 90/5/5 character cut leaves text in every split."""
    return write_files(folder, {"input.txt": "".join(chr(ord("a") + i % 26) for i in range(1000)) + "\n"})


def tiny_csv(folder: Path) -> Path:
    """A contributor's own files in the three formats the csv builder reads."""
    return write_files(folder, {"train.csv": 'review,stars\n"Great, really great",good\n"Meh ""fine""",bad\n',
                                "dev.tsv": "review\tstars\nnot bad\tgood\n",
                                "test.jsonl": '{"review": "unknown yet"}\n\n{"review": "also", "stars": ""}\n'})


@dataclasses.dataclass(frozen=True)
class Tiny:
    """How to prepare one builder on its tiny fixture: the writer, and the config and options to pass."""

    write: Callable[[Path], Path]
    config: str | None = None
    options: dict | None = None


TINY: dict[str, Tiny] = {
    "sst2": Tiny(tiny_sst2),
    "mrpc": Tiny(tiny_mrpc),
    "rte": Tiny(tiny_rte),
    "imdb": Tiny(tiny_imdb),
    "conll2003": Tiny(tiny_conll2003),
    "conll2002": Tiny(tiny_conll2002, config="nl"),
    "squad": Tiny(tiny_squad),
    "wikitext2": Tiny(tiny_wikitext2),
    "tiny_shakespeare": Tiny(tiny_shakespeare),
    "csv": Tiny(tiny_csv, options={"text_columns": ("review",), "label_column": "stars"}),
}


# ---------------------------------------------------------------- known flaws of real distributions
# Each reproduces, in a few lines, one flaw real corpora ship with (tests/test_datasets_anomalies.py):
# builders read past them with a warning naming file:line, and refuse them with --strict.

# IOB2 file (two B- starts) whose line 5 opens an entity with I-LOC right after O, as in one official
# CoNLL-style distribution's training file.
CONLL_IOB2_I_START = ("Peter NNP I-NP B-PER\nBlackburn NNP I-NP I-PER\n\n"
                      "in IN I-PP O\nParis NNP I-NP I-LOC\n\nBonn NNP I-NP B-LOC\n")
# IOB1 file (two I- starts) whose line 5 opens an entity with B-LOC after O, which IOB1 never does.
CONLL_IOB1_B_START = ("EU NNP I-NP I-ORG\nrejects VBZ I-VP O\n\n"
                      "in IN I-PP O\nBonn NNP I-NP B-LOC\n\nParis NNP I-NP I-LOC\n")
# A -DOCSTART- line at line 3, inside a sentence (no blank line before it).
CONLL_STRAY_DOCSTART = "EU NNP I-NP B-ORG\nrejects VBZ I-VP O\n-DOCSTART- -X- O O\nBonn NNP I-NP B-LOC\n"
# Line 3 separates two sentences with spaces and a tab instead of an empty line.
CONLL_WHITESPACE_LINE = "EU NNP I-NP B-ORG\nrejects VBZ I-VP O\n  \t\nBonn NNP I-NP B-LOC\n"
# Two files joined, the second keeping its byte-order mark: line 4 starts with U+FEFF.
CONLL_INNER_BOM = "EU NNP I-NP B-ORG\nrejects VBZ I-VP O\n\n\ufeffBonn NNP I-NP B-LOC\n"

# SST-2 with a blank line of spaces (line 3) and a joined file's byte-order mark (line 4) in train,
# and a test index used twice (lines 2 and 3).
SST2_FLAWED_TRAIN = "sentence\tlabel\na gripping film\t1\n   \n\ufeffdull , dull\t0\n"
SST2_DUPLICATE_TEST = "index\tsentence\n0\tunseen words\n0\tmore unseen words\n"
