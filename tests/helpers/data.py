"""Synthetic source folders, in each benchmark's own file layout, that a tiny model can learn.

Training and evaluation tests need data that is (a) in the exact layout hubkit's builders read,
(b) learnable in a few CPU seconds, so a test can assert that learning happened, and (c) the same
on every run, so a test can assert byte-identical reruns. Every writer here takes a seed and
uses nothing but ``random.Random(seed)``.

Tiny hand-written fixtures for the builders' own parsing tests live in ``builder_fixtures``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

LETTERS = "abcdefghijklmnopqrstuvwxyz"

# ---------------------------------------------------------------- sentiment (SST-2, MRPC)

POSITIVE = ["great", "wonderful", "superb", "moving", "funny", "brilliant", "charming", "delightful"]
NEGATIVE = ["awful", "boring", "dull", "terrible", "clumsy", "tedious", "bland", "painful"]
FILLER = ["the", "movie", "film", "plot", "acting", "was", "really", "quite", "and", "its", "story", "ending"]


def sentiment_sentence(rng: random.Random, label: int, filler: tuple[int, int] = (2, 8)) -> str:
    """Between ``filler[0]`` and ``filler[1]`` filler words around one sentiment word that decides
    ``label`` (1 positive, 0 negative)."""
    words = rng.sample(FILLER, rng.randint(*filler)) + [rng.choice(POSITIVE if label else NEGATIVE)]
    rng.shuffle(words)
    return " ".join(words)


def write_sst2(folder: Path, n_train: int = 240, n_dev: int = 60, seed: int = 0, *,
               positive_share: float = 0.5, filler: tuple[int, int] = (2, 8), n_test: int = 5) -> Path:
    """An SST-2-format folder (train.tsv, dev.tsv labelled; test.tsv not) whose labels follow one
    sentiment word per sentence. ``positive_share`` skews the classes, for tests of stratification
    and of a majority-class baseline."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def rows(n: int) -> str:
        labels = [int(rng.random() < positive_share) for _ in range(n)]
        return "sentence\tlabel\n" + "".join(f"{sentiment_sentence(rng, y, filler)}\t{y}\n" for y in labels)

    (folder / "train.tsv").write_text(rows(n_train))
    (folder / "dev.tsv").write_text(rows(n_dev))
    (folder / "test.tsv").write_text("index\tsentence\n" + "".join(f"{i}\tplain text {i}\n" for i in range(n_test)))
    return folder


# Whole phrases that carry the sentiment, for the small SST-2 below.
POSITIVE_PHRASES = ["a great film", "wonderful acting", "I loved it", "a delight", "brilliant and moving", "superb work"]
NEGATIVE_PHRASES = ["a terrible film", "boring acting", "I hated it", "a mess", "dull and tedious", "awful work"]


def write_small_sst2(folder: Path, n_train: int = 48, n_dev: int = 32, seed: int = 0) -> Path:
    """A small, easy SST-2 folder (one sentiment phrase a sentence) for tests that evaluate, compare
    or publish trained models rather than test learning: a model trained for a few optimizer steps
    already separates the classes, so two such models can be told apart (measured: on the
    word-based ``write_sst2`` at this size, 4 epochs leave a tiny BERT predicting one class)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def rows(n: int) -> list[tuple[str, int]]:
        out = []
        for _ in range(n):
            label = rng.randint(0, 1)
            phrase = rng.choice(POSITIVE_PHRASES if label else NEGATIVE_PHRASES)
            out.append((f"{phrase} {rng.choice(['', 'indeed', 'overall'])}".strip(), label))
        return out

    for name, n in (("train.tsv", n_train), ("dev.tsv", n_dev)):
        (folder / name).write_text("sentence\tlabel\n" + "".join(f"{s}\t{y}\n" for s, y in rows(n)))
    (folder / "test.tsv").write_text("index\tsentence\n" + "".join(f"{i}\t{s}\n" for i, (s, _) in enumerate(rows(6))))
    return folder


def write_mrpc(folder: Path, n_train: int = 160, n_dev: int = 40, seed: int = 0) -> Path:
    """An MRPC-format folder (BOM, five columns): a pair is a paraphrase when both share a key word."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    header = "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"

    def rows(n: int, offset: int) -> str:
        lines = []
        for i in range(n):
            label = rng.randint(0, 1)
            a_word = rng.choice(POSITIVE)
            b_word = a_word if label else rng.choice(NEGATIVE)
            a = " ".join(rng.sample(FILLER, 3) + [a_word])
            b = " ".join(rng.sample(FILLER, 3) + [b_word])
            lines.append(f"{label}\t{offset + 2 * i}\t{offset + 2 * i + 1}\t{a}\t{b}")
        return header + "\n".join(lines) + "\n"

    (folder / "train.tsv").write_text(rows(n_train, 0), encoding="utf-8")
    (folder / "dev.tsv").write_text(rows(n_dev, 10_000), encoding="utf-8")
    (folder / "test.tsv").write_text("\ufeffindex\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t1\t2\tthe film\tthe movie\n",
                                     encoding="utf-8")
    return folder


# ---------------------------------------------------------------- named entities (CoNLL-2003)

# Long, rare names split into several WordPiece sub-tokens: the first-sub-token rule matters.
PEOPLE = [("Anneliese", "Schwarzkopf"), ("Kwame", "Nkrumah"), ("Jacinda", "Ardern"), ("Bartholomew", "Oyelaran"),
          ("Ludmila", "Zdravkovic"), ("Oscar", "Lindqvist")]
PLACES = ["Ouagadougou", "Reykjavik", "Tegucigalpa", "Paris", "Vladivostok", "Kathmandu"]
CLUBS = [("Borussia", "Dortmund"), ("Red", "Star", "Belgrade"), ("Ajax",), ("Leicestershire",)]


def conll_sentence(rng: random.Random) -> list[tuple[str, str]]:
    """One sentence as (word, IOB2 tag) pairs, from a few templates with random names."""
    person, place, club = rng.choice(PEOPLE), rng.choice(PLACES), rng.choice(CLUBS)
    words = [(person[0], "B-PER"), (person[1], "I-PER")]
    words += [(w, "O") for w in rng.choice([["joined"], ["signed", "for"], ["left"]])]
    words += [(w, "B-ORG" if i == 0 else "I-ORG") for i, w in enumerate(club)]
    words += [(w, "O") for w in rng.choice([["in"], ["near"], ["after", "a", "match", "in"]])]
    words += [(place, "B-LOC"), (".", "O")]
    return words


def write_conll(folder: Path, n_train: int = 160, n_eval: int = 30, seed: int = 0) -> Path:
    """eng.train / eng.testa / eng.testb in the shared task's ``word POS chunk NER`` lines."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in (("eng.train", n_train), ("eng.testa", n_eval), ("eng.testb", n_eval)):
        lines = ["-DOCSTART- -X- O O", ""]
        for _ in range(n):
            lines += [f"{word} NNP I-NP {tag}" for word, tag in conll_sentence(rng)] + [""]
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder


# ---------------------------------------------------------------- extractive QA (SQuAD v1.1)

QA_FILLER = ["The river floods every spring and the farmers welcome it.", "Tourists come for the old markets.",
             "The climate is mild along the coast but harsh in the mountains.", "Trains link it to the capital.",
             "Its university is known for medicine and law.", "Fishing was once the main trade."]
CITIES = ["Ouagadougou", "Tegucigalpa", "Vladivostok", "Kathmandu", "Reykjavik", "Valparaiso", "Timbuktu", "Hobart"]
FOUNDERS = ["Anneliese Schwarzkopf", "Kwame Nkrumah", "Oscar Lindqvist", "Ludmila Zdravkovic"]


def qa_rows(n_questions: int, rng: random.Random, filler: int = 8) -> list[dict]:
    """Questions on contexts of ``filler`` sentences with one fact at a random place."""
    rows = []
    for index in range(n_questions):
        city, founder = rng.choice(CITIES), rng.choice(FOUNDERS)
        year = str(rng.randint(1100, 1900))
        sentences = [rng.choice(QA_FILLER) for _ in range(filler)]
        fact = f"{city} was founded by {founder} in {year}."
        sentences.insert(rng.randint(0, filler), fact)
        context = " ".join(sentences)
        who = rng.random() < 0.5
        answer = founder if who else year
        start = context.index(fact) + fact.index(answer if who else f"in {year}") + (0 if who else 3)
        rows.append({"id": f"q{index}", "context": context, "answers": {"text": [answer], "answer_start": [start]},
                     "question": f"Who founded {city}?" if who else f"In what year was {city} founded?"})
    return rows


def squad_file(path: Path, rows_by_title: dict[str, list[dict]]) -> None:
    """A SQuAD v1.1 JSON file: articles, paragraphs (one per distinct context), questions."""
    data = []
    for title, rows in rows_by_title.items():
        paragraphs: dict[str, list] = {}
        for row in rows:
            answers = [{"text": t, "answer_start": s} for t, s in zip(row["answers"]["text"],
                                                                     row["answers"]["answer_start"])]
            paragraphs.setdefault(row["context"], []).append(
                {"id": row["id"], "question": row["question"], "answers": answers})
        data.append({"title": title, "paragraphs": [{"context": c, "qas": q} for c, q in paragraphs.items()]})
    path.write_text(json.dumps({"version": "1.1", "data": data}))


def write_squad(folder: Path, n_train: int = 96, n_eval: int = 24, seed: int = 0,
                filler: int = 8) -> tuple[Path, list[dict]]:
    """train-v1.1.json and dev-v1.1.json; returns the folder and the evaluation rows (ids ``dev-…``),
    which tests compare with the predictions."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    train = qa_rows(n_train, rng, filler=filler)
    evaluation = [{**row, "id": f"dev-{row['id']}"} for row in qa_rows(n_eval, rng, filler=filler)]
    squad_file(folder / "train-v1.1.json", {"Cities": train})
    squad_file(folder / "dev-v1.1.json", {"More cities": evaluation})
    return folder, evaluation


# ---------------------------------------------------------------- language modelling (WikiText-2)

# Words of the synthetic prose a tiny language model is trained on.
WORDS = ["the", "river", "ran", "past", "old", "mill", "and", "a", "heron", "stood", "still", "in", "reeds",
         "while", "rain", "fell", "on", "stone", "bridge", "children", "watched", "from", "window"]


def write_wikitext(folder: Path) -> Path:
    """The three ``wiki.*.tokens`` files of WikiText-2's layout, of random river-and-heron prose."""
    rng = random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", 60), ("valid", 12), ("test", 6)):
        lines = [" = Heron = ", ""]
        for _ in range(n):
            lines.append(" " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 24))) + " ")
        (folder / f"wiki.{split}.tokens").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def write_corpus(path: Path, n_docs: int = 80, seed: int = 0) -> Path:
    """Paragraphs of a made-up language where each word is followed by one of three others:
    structure a tiny model can learn in a few steps, and enough distinct words for a trained
    tokenizer to reach a few hundred tokens."""
    rng = random.Random(seed)
    words = sorted({"".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 7))) for _ in range(300)})
    successors = {w: rng.sample(words, 3) for w in words}
    docs = []
    for _ in range(n_docs):
        word, sentence = rng.choice(words), []
        for _ in range(rng.randint(20, 50)):
            sentence.append(word)
            word = rng.choice(successors[word])
        docs.append(" ".join(sentence) + ".")
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    return path
