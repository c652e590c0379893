"""Extractive QA: windows over long contexts, span post-processing, SQuAD end to end.

The post-processing is checked on hand-made logits (where the right answer is known); the
windowing on MiniLM's real tokenizer; the whole path with a tiny BERT on a SQuAD v1.1 file
written here; the real MiniLM on real SQuAD dev questions, trained and scored on different articles.
"""

from __future__ import annotations

import json
import random
import time

import datasets
import numpy as np
import pytest
from click.testing import CliRunner

from hubkit.cli import main
from hubkit.datasets.spec import TaskSpec
from hubkit.train.errors import TrainingError
from hubkit.train.fine_tune import TrainRequest, fine_tune
from hubkit.train.qa import QuestionAnsweringTask, answer_token_span, best_answers, check_answers
from hubkit.train.recipes import recipe_for
from helpers.data import qa_rows, squad_file, write_squad
from helpers.training import losses, qa_request

SPEC = TaskSpec("question-answering", {"id": "id", "question": "question", "context": "context", "answers": "answers"})
FEATURES = datasets.Features({
    "id": datasets.Value("string"), "context": datasets.Value("string"), "question": datasets.Value("string"),
    "answers": {"text": datasets.List(datasets.Value("string")),
                "answer_start": datasets.List(datasets.Value("int32"))}})

# ---------------------------------------------------------------- post-processing on hand-made logits


def window(offsets, peaks_start, peaks_end):
    """Logits that are 0 everywhere but at the given {token: logit} peaks."""
    starts, ends = np.zeros(len(offsets)), np.zeros(len(offsets))
    for token, value in peaks_start.items():
        starts[token] = value
    for token, value in peaks_end.items():
        ends[token] = value
    return starts, ends


# [CLS] who ? [SEP] the cat sat on the mat [SEP]: question tokens carry no offsets.
CONTEXT = "the cat sat on the mat"
OFFSETS = [None, None, None, None, [0, 3], [4, 7], [8, 11], [12, 14], [15, 18], [19, 22], None]


def test_best_span_is_the_highest_start_plus_end():
    starts, ends = window(OFFSETS, {5: 4.0, 8: 3.0}, {5: 1.0, 9: 5.0})
    answers = best_answers({"q": CONTEXT}, ["q"], [OFFSETS], [starts], [ends], n_best=20, max_answer_length=30)
    assert answers == {"q": "cat sat on the mat"}  # start 5 + end 9 = 9.0 beats 5+5 (5.0) and 8+9 (8.0)


def test_spans_never_start_or_end_in_the_question_or_on_special_tokens():
    starts, ends = window(OFFSETS, {1: 100.0, 0: 90.0, 6: 2.0}, {2: 100.0, 10: 90.0, 6: 1.0})
    answers = best_answers({"q": CONTEXT}, ["q"], [OFFSETS], [starts], [ends], n_best=20, max_answer_length=30)
    assert answers == {"q": "sat"}


def test_max_answer_length_and_end_before_start_are_respected():
    starts, ends = window(OFFSETS, {4: 10.0, 8: 0.2}, {9: 10.0, 6: 0.5, 3: 50.0})
    long = best_answers({"q": CONTEXT}, ["q"], [OFFSETS], [starts], [ends], n_best=20, max_answer_length=30)
    assert long == {"q": CONTEXT}
    short = best_answers({"q": CONTEXT}, ["q"], [OFFSETS], [starts], [ends], n_best=20, max_answer_length=3)
    assert short == {"q": "the cat sat"}  # tokens 4..6: 10.0 + 0.5 beats the 2-token "the mat" (0.2 + 10)
    # The end logit of 50 sits before every start and on a question token: never used.


def test_the_best_window_wins_and_its_span_is_sliced_from_the_whole_context():
    context = "alpha beta gamma delta epsilon zeta"
    first = [None, None, None, [0, 5], [6, 10], [11, 16], [17, 22], None]  # alpha .. delta
    second = [None, None, None, [11, 16], [17, 22], [23, 30], [31, 35], None]  # gamma .. zeta
    s1, e1 = window(first, {4: 3.0}, {4: 3.0})  # "beta", 6.0
    s2, e2 = window(second, {5: 4.0}, {6: 4.0})  # "epsilon zeta", 8.0
    other = [None, [0, 4], None]
    s3, e3 = window(other, {1: 9.0}, {1: 9.0})
    answers = best_answers({"q1": context, "q2": "solo"}, ["q1", "q1", "q2"], [first, second, other],
                           [s1, s2, s3], [e1, e2, e3], n_best=20, max_answer_length=30)
    assert answers == {"q1": "epsilon zeta", "q2": "solo"}
    # With n_best=1 the second window's only candidate ends before it starts: the first window's span wins.
    s2, e2 = window(second, {5: 4.0}, {3: 5.0, 6: 4.0})
    top_one = best_answers({"q1": context}, ["q1", "q1"], [first, second], [s1, s2], [e1, e2], n_best=1,
                           max_answer_length=30)
    assert top_one == {"q1": "beta"}
    top_two = best_answers({"q1": context}, ["q1", "q1"], [first, second], [s1, s2], [e1, e2], n_best=2,
                           max_answer_length=30)
    assert top_two == {"q1": "epsilon zeta"}


def test_a_question_without_any_valid_span_gets_the_empty_answer():
    starts, ends = window(OFFSETS, {9: 5.0}, {4: 5.0})
    answers = best_answers({"q": CONTEXT, "unseen": "x"}, ["q"], [OFFSETS], [starts], [ends], n_best=1,
                           max_answer_length=30)
    assert answers == {"q": "", "unseen": ""}


# ---------------------------------------------------------------- windows and labels on a real tokenizer


def test_windows_overlap_and_label_the_answer_tokens_or_cls(tiny_bert):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_bert))
    rows = qa_rows(12, random.Random(1), filler=10)
    raw = datasets.Dataset.from_list(rows, features=FEATURES)
    recipe = recipe_for("squad", overrides={"max_length": 64, "doc_stride": 24})
    task = QuestionAnsweringTask(SPEC, FEATURES, recipe)
    features = task.tokenize(tokenizer, raw, training=False)
    assert len(features) > 2 * len(rows)  # long contexts really are split
    by_id = {row["id"]: row for row in rows}
    labelled = set()
    for feature in features:
        row = by_id[feature["example_id"]]
        offsets, start, end = feature["offset_mapping"], feature["start_positions"], feature["end_positions"]
        assert len(feature["input_ids"]) <= 64 and len(offsets) == len(feature["input_ids"]) == feature["length"]
        if start == end == 0:  # [CLS]: the answer is not inside this window
            continue
        assert row["context"][offsets[start][0]:offsets[end][1]] == row["answers"]["text"][0]
        labelled.add(row["id"])
    assert labelled == set(by_id)  # every answer is wholly inside at least one window
    # Consecutive windows of a question share doc_stride context tokens.
    for before, after in zip(features, features.select(range(1, len(features)))):
        if before["example_id"] == after["example_id"]:
            tail = [o for o in before["offset_mapping"] if o is not None][-24:]
            head = [o for o in after["offset_mapping"] if o is not None][:24]
            assert tail == head
    assert sum(1 for f in features if f["start_positions"] == 0) > 0
    # Question tokens and special tokens carry no offsets, so no span can come from them.
    first = features[0]
    question_tokens = len(tokenizer(rows[0]["question"], add_special_tokens=False)["input_ids"])
    assert first["offset_mapping"][:question_tokens + 2] == [None] * (question_tokens + 2)
    # Training windows carry no bookkeeping columns the model would not take.
    assert "offset_mapping" not in task.tokenize(tokenizer, raw, training=True).column_names


def test_a_question_too_long_for_the_windows_is_refused(tiny_bert):
    from transformers import AutoTokenizer

    rows = qa_rows(3, random.Random(4))
    rows[1]["question"] = "Which " + "very " * 50 + "old city?"
    raw = datasets.Dataset.from_list(rows, features=FEATURES)
    task = QuestionAnsweringTask(SPEC, FEATURES, recipe_for("squad", overrides={"max_length": 64, "doc_stride": 24}))
    with pytest.raises(TrainingError, match="question 'q1' has 54 tokens, too long"):
        task.tokenize(AutoTokenizer.from_pretrained(str(tiny_bert)), raw, training=True)


def test_answer_span_outside_the_window_is_none():
    offsets = [(0, 0), (0, 3), (0, 0), (10, 14), (15, 19), (0, 0)]
    sequence_ids = [None, 0, None, 1, 1, None]
    assert answer_token_span(offsets, sequence_ids, 10, 19) == (3, 4)
    assert answer_token_span(offsets, sequence_ids, 15, 19) == (4, 4)
    assert answer_token_span(offsets, sequence_ids, 5, 14) is None  # starts before the window's context
    assert answer_token_span(offsets, sequence_ids, 15, 25) is None  # ends after it


def test_bad_answers_are_refused_with_one_line():
    with pytest.raises(TrainingError, match="not at answer_start 1"):
        check_answers(["q1"], ["the cat"], [{"text": ["cat"], "answer_start": [1]}])
    with pytest.raises(TrainingError, match="at least one answer"):
        check_answers(["q1"], ["the cat"], [{"text": [], "answer_start": []}])
    with pytest.raises(TrainingError, match="appears twice"):
        check_answers(["q", "q"], ["a", "a"], [{"text": ["a"], "answer_start": [0]}] * 2)
    with pytest.raises(TrainingError, match="doc_stride"):
        QuestionAnsweringTask(SPEC, FEATURES, recipe_for("squad", overrides={"max_length": 64, "doc_stride": 64}))


def test_a_classifier_checkpoint_is_refused(tiny_bert, tmp_path):
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(tiny_bert)
    config.id2label, config.label2id = {0: "negative", 1: "positive"}, {"negative": 0, "positive": 1}
    config.save_pretrained(tmp_path)
    with pytest.raises(TrainingError, match="not a question-answering head"):
        QuestionAnsweringTask(SPEC, FEATURES, recipe_for("squad")).load_model(str(tmp_path))


# ---------------------------------------------------------------- end to end


@pytest.mark.usefixtures("one_thread")
def test_tiny_bert_on_squad_returns_spans_of_the_context(tiny_bert, tmp_path):
    data, evaluation = write_squad(tmp_path / "squad")
    out = tmp_path / "out"
    results = fine_tune(qa_request(data, out, tiny_bert))

    loss = losses(out)
    assert len(loss) >= 4 and loss[-1] < 0.8 * loss[0], loss
    assert results["task"]["primary_metric"] == "f1" and results["task"]["pipeline_tag"] == "question-answering"
    scores = results["per_seed"][0]["metrics"]["validation"]
    for key in ("exact_match", "f1"):
        low, high = scores["confidence_intervals"][key]
        assert 0 <= low <= scores[key] <= high <= 100
    assert scores["exact_match"] <= scores["f1"]
    rows = [json.loads(line) for line in (out / "predictions_validation.jsonl").read_text().splitlines()]
    contexts = {row["id"]: row["context"] for row in evaluation}
    assert [row["predictions"]["id"] for row in rows] == [row["id"] for row in evaluation]
    for row in rows:
        text = row["predictions"]["prediction_text"]
        assert text and text in contexts[row["predictions"]["id"]]
        assert row["references"]["id"] == row["predictions"]["id"]
    # The saved model is a question-answering model whose positions are within the windows.
    from transformers import AutoConfig

    assert AutoConfig.from_pretrained(out).architectures == ["BertForQuestionAnswering"]


@pytest.mark.usefixtures("one_thread")
def test_same_seed_same_answers(tiny_bert, tmp_path):
    data, _ = write_squad(tmp_path / "squad", n_train=32, n_eval=12)
    runs = []
    for name in ("a", "b"):
        results = fine_tune(qa_request(data, tmp_path / name, tiny_bert, seed=3, epochs=1))
        runs.append((results["per_seed"][0]["metrics"], (tmp_path / name / "predictions_validation.jsonl").read_text(),
                     losses(tmp_path / name)))
    assert runs[0] == runs[1]


def test_cli_refuses_an_answer_that_is_not_in_its_context(tiny_bert, tmp_path):
    folder = tmp_path / "squad"
    folder.mkdir()
    rows = qa_rows(4, random.Random(2))
    rows[2]["answers"]["answer_start"] = [rows[2]["answers"]["answer_start"][0] + 1]
    squad_file(folder / "train-v1.1.json", {"Cities": rows})
    squad_file(folder / "dev-v1.1.json", {"Cities": qa_rows(2, random.Random(3))})
    result = CliRunner().invoke(main, ["train", "squad", "--data-dir", str(folder), "--model", str(tiny_bert),
                                       "--output-dir", str(tmp_path / "out"), "--no-progress"])
    assert result.exit_code == 1
    assert "question 'q2'" in result.output and "answer_start" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "results.json").exists()


# ---------------------------------------------------------------- real SQuAD


def split_dev_by_article(dev_json, folder, train_articles: list[int], eval_articles: list[int], max_eval: int) -> int:
    """train-v1.1.json and dev-v1.1.json made of different articles of the real dev file (the real
    train file is not available offline): no context is shared between training and scoring."""
    document = json.loads(dev_json.read_text())
    articles = document["data"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train-v1.1.json").write_text(json.dumps({"version": "1.1",
                                                        "data": [articles[i] for i in train_articles]}))
    held_out, n = [], 0
    for i in eval_articles:
        article = {"title": articles[i]["title"], "paragraphs": []}
        for paragraph in articles[i]["paragraphs"]:
            if n >= max_eval:
                break
            article["paragraphs"].append(paragraph)
            n += len(paragraph["qas"])
        held_out.append(article)
    (folder / "dev-v1.1.json").write_text(json.dumps({"version": "1.1", "data": held_out}))
    return n


@pytest.mark.slow
@pytest.mark.usefixtures("one_thread")
def test_minilm_on_real_squad(minilm, real_data, tmp_path):
    """MiniLM fine-tuned on the 556 real SQuAD dev questions of three articles (Warsaw, Normans,
    Computational complexity theory) for two epochs, scored on 203 questions of two other articles.
    Measured: EM 24.1, F1 36.2. One epoch is not enough here: it stayed near F1 11 at any
    learning rate tried (2e-4 to 5e-4), before the model learns to read the question."""
    started = time.perf_counter()
    data = tmp_path / "squad"
    n_eval = split_dev_by_article(real_data / "squad-v1.1" / "dev-v1.1.json", data, [1, 2, 4], [8, 9], max_eval=200)
    out = tmp_path / "out"
    recipe = recipe_for("squad", overrides={"model": minilm, "epochs": 2, "batch_size": 8, "learning_rate": 3e-4,
                                            "max_length": 192, "doc_stride": 64})
    results = fine_tune(TrainRequest(dataset="squad", data_dir=str(data), output_dir=out, recipe=recipe,
                                     n_resamples=200, progress=False))
    assert results["dataset"]["train_examples_used"] == 556
    assert results["dataset"]["eval_examples_used"] == {"validation": n_eval}
    scores = results["per_seed"][0]["metrics"]["validation"]
    print(f"SQuAD MiniLM: EM {scores['exact_match']:.1f} F1 {scores['f1']:.1f} on {n_eval} questions in "
          f"{time.perf_counter() - started:.0f}s")
    assert losses(out)[-1] < 0.7 * losses(out)[0]
    assert scores["f1"] > 25 and scores["exact_match"] > 12, scores
