"""Token classification: first-sub-token labels, word-level predictions, CoNLL-2003 end to end.

The tiny BERT (random weights, MiniLM's WordPiece vocabulary) trains on CoNLL files written here
in the shared task's own column format; the real MiniLM trains on a slice of the real CoNLL-2003.
"""

from __future__ import annotations

import json
import time

import datasets
import pytest
from click.testing import CliRunner

from hubkit.cli import main
from hubkit.datasets.spec import TaskSpec
from hubkit.train.errors import TrainingError
from hubkit.train.fine_tune import TrainRequest, fine_tune
from hubkit.train.recipes import recipe_for
from hubkit.train.tagging import IGNORE, NO_WORD, TaggingTask, first_subtoken_labels, word_tag_ids
from helpers.data import write_conll
from helpers.training import losses, tagging_request

NER_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_labels_go_on_the_first_subtoken_and_predictions_come_back_per_word(tiny_bert):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_bert))
    words = ["Anneliese", "Schwarzkopf", "visited", "Ouagadougou", "."]
    tags = [1, 2, 0, 5, 0]
    encoded = tokenizer([words], is_split_into_words=True)
    word_ids = [NO_WORD if w is None else w for w in encoded.word_ids(0)]
    assert len(word_ids) > len(words) + 2  # some words really are split
    labels = first_subtoken_labels(word_ids, tags)
    assert [label for label in labels if label != IGNORE] == tags
    assert labels[0] == IGNORE and labels[-1] == IGNORE  # [CLS], [SEP]
    # Tags predicted on the continuation sub-tokens must not leak into the word's tag.
    token_tags = [7 if label == IGNORE else label for label in labels]
    assert word_tag_ids(token_tags, word_ids, len(words)) == tags
    # A word the tokenizer dropped (or truncation cut) has no tag of its own.
    assert word_tag_ids(token_tags, word_ids, len(words) + 1)[-1] is None


def test_tags_must_be_a_sequence_of_class_labels():
    spec = TaskSpec("token-classification", {"tokens": "tokens", "tags": "tags"})
    recipe = recipe_for("conll2003")
    strings = datasets.Features({"tokens": datasets.List(datasets.Value("string")),
                                 "tags": datasets.List(datasets.Value("string"))})
    with pytest.raises(TrainingError, match="ClassLabel"):
        TaggingTask(spec, strings, recipe)
    one_label = datasets.Features({"tokens": datasets.List(datasets.Value("string")),
                                   "tags": datasets.ClassLabel(names=["O", "B-PER"])})
    with pytest.raises(TrainingError, match="sequence of ClassLabel"):
        TaggingTask(spec, one_label, recipe)


def test_a_checkpoint_tagging_other_labels_is_refused(tiny_bert, tmp_path):
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(tiny_bert)
    config.id2label, config.label2id = {0: "O", 1: "B-GENE"}, {"O": 0, "B-GENE": 1}
    config.save_pretrained(tmp_path)
    features = datasets.Features({"tokens": datasets.List(datasets.Value("string")),
                                  "tags": datasets.List(datasets.ClassLabel(names=NER_TAGS))})
    task = TaggingTask(TaskSpec("token-classification", {"tokens": "tokens", "tags": "tags"}), features,
                       recipe_for("conll2003"))
    with pytest.raises(TrainingError, match="start from a base model"):
        task.load_model(str(tmp_path))


@pytest.mark.usefixtures("one_thread")
def test_tiny_bert_learns_conll_tags_with_word_level_predictions(tiny_bert, tmp_path):
    from transformers import AutoConfig

    data = write_conll(tmp_path / "conll")
    out = tmp_path / "out"
    results = fine_tune(tagging_request(data, out, tiny_bert))

    loss = losses(out)
    assert len(loss) >= 4 and loss[-1] < 0.5 * loss[0], loss
    config = AutoConfig.from_pretrained(out)
    assert [config.id2label[i] for i in range(len(NER_TAGS))] == NER_TAGS
    assert results["task"]["labels"] == NER_TAGS
    assert results["task"]["primary_metric"] == "overall_f1"

    rows = read_jsonl(out / "predictions_validation.jsonl")
    assert len(rows) == 30
    for row in rows:
        assert len(row["predictions"]) == len(row["references"]) == len(row["tokens"])
        assert set(row["predictions"]) <= set(NER_TAGS)
    scores = results["per_seed"][0]["metrics"]["validation"]
    low, high = scores["confidence_intervals"]["overall_f1"]
    assert 0 <= low <= scores["overall_f1"] <= high <= 1
    assert set(scores["f1_per_type"]) <= {"PER", "ORG", "LOC", "MISC"}
    assert "test" in results["per_seed"][0]["metrics"]
    # The templates are trivially learnable: a tagger that reads words must find the entities.
    assert scores["overall_f1"] > 0.5, scores


@pytest.mark.usefixtures("one_thread")
def test_same_seed_same_metrics_through_the_cli(tiny_bert, tmp_path):
    data = write_conll(tmp_path / "conll", n_train=48, n_eval=12)
    scores = []
    for run in ("a", "b"):
        result = CliRunner().invoke(main, [
            "train", "conll2003", "--data-dir", str(data), "--model", str(tiny_bert), "--output-dir",
            str(tmp_path / run), "--seed", "7", "--epochs", "2", "--learning-rate", "3e-3", "--bootstrap-resamples",
            "20", "--no-progress"])
        assert result.exit_code == 0, result.output
        assert "validation overall_f1" in result.output
        scores.append(json.loads((tmp_path / run / "results.json").read_text())["per_seed"][0]["metrics"])
        assert losses(tmp_path / run)
    assert scores[0] == scores[1]
    assert losses(tmp_path / "a") == losses(tmp_path / "b")


@pytest.mark.slow
@pytest.mark.usefixtures("one_thread")
def test_minilm_on_real_conll2003(minilm, real_data, tmp_path):
    """MiniLM fine-tuned on the first 2,000 real CoNLL-2003 training sentences for one epoch, scored
    on the first 300 validation sentences. Measured: entity F1 0.74 at learning rate 3e-4; the
    recipe's 1e-4, meant for 3 epochs on the full set, reached only 0.40 in this short run."""
    started = time.perf_counter()
    out = tmp_path / "out"
    recipe = recipe_for("conll2003", overrides={"model": minilm, "epochs": 1, "learning_rate": 3e-4})
    request = TrainRequest(dataset="conll2003", data_dir=str(real_data / "conll2003"), output_dir=out, recipe=recipe,
                           max_train_samples=2000, max_eval_samples=300, n_resamples=200, progress=False)
    results = fine_tune(request)
    scores = results["per_seed"][0]["metrics"]
    print(f"CoNLL-2003 MiniLM: validation {scores['validation']['overall_f1']:.3f}, test "
          f"{scores['test']['overall_f1']:.3f} in {time.perf_counter() - started:.0f}s")
    assert losses(out)[-1] < 0.5 * losses(out)[0]
    assert scores["validation"]["overall_f1"] > 0.6, scores["validation"]
    assert set(scores["validation"]["f1_per_type"]) == {"PER", "ORG", "LOC", "MISC"}
