"""Entity F1 against the seqeval package (default and strict mode, IOB1/IOB2/IOBES), and bad input."""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
from seqeval import metrics as sq
from seqeval.metrics import sequence_labeling
from seqeval.metrics import v1 as sq_v1
from seqeval.scheme import IOB1, IOB2, IOBES

from hubkit import metrics

TOL = 1e-9
TYPES = ["PER", "LOC", "ORG"]
PREFIXES = {"IOB1": "IB", "IOB2": "IB", "IOBES": "BIES"}
SEQEVAL_SCHEMES = {"IOB1": IOB1, "IOB2": IOB2, "IOBES": IOBES}


@pytest.fixture(scope="module")
def seqeval_module():
    return metrics.load("seqeval")


def well_formed(rng: np.random.Generator, length: int, scheme: str) -> list[str]:
    """A tag sequence made of valid spans under ``scheme``."""
    tags, previous_type = [], None
    while len(tags) < length:
        if rng.uniform() < 0.4:
            tags.append("O")
            previous_type = None
            continue
        kind = TYPES[rng.integers(len(TYPES))]
        size = int(min(rng.integers(1, 4), length - len(tags)))
        if scheme == "IOB2":
            span = ["B-" + kind] + ["I-" + kind] * (size - 1)
        elif scheme == "IOB1":
            span = ["B-" + kind if kind == previous_type else "I-" + kind] + ["I-" + kind] * (size - 1)
        else:
            span = ["S-" + kind] if size == 1 else ["B-" + kind] + ["I-" + kind] * (size - 2) + ["E-" + kind]
        tags.extend(span)
        previous_type = kind
    return tags


def random_tags(rng: np.random.Generator, length: int, scheme: str) -> list[str]:
    """Arbitrary (often ill-formed) tags using the scheme's prefixes."""
    vocabulary = ["O"] + [f"{p}-{t}" for p in PREFIXES[scheme] for t in TYPES]
    return [vocabulary[i] for i in rng.integers(0, len(vocabulary), length)]


def corpus(rng: np.random.Generator, scheme: str, ill_formed: bool):
    make = random_tags if ill_formed else well_formed
    lengths = rng.integers(0, 12, int(rng.integers(1, 8)))
    lengths[0] = max(lengths[0], 1)  # at least one token, so token accuracy is defined for seqeval
    refs = [well_formed(rng, int(n), scheme) for n in lengths]
    preds = [make(rng, int(n), scheme) if rng.uniform() < 0.7 else list(r) for n, r in zip(lengths, refs)]
    return preds, refs


def reference_scores(preds, refs, mode: str, scheme: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "strict":
            kw = {"mode": "strict", "scheme": SEQEVAL_SCHEMES[scheme]}
            per_type = sq_v1.precision_recall_fscore_support(refs, preds, average=None, scheme=SEQEVAL_SCHEMES[scheme])
            names = sorted(sq_v1.Entities(refs, SEQEVAL_SCHEMES[scheme]).unique_tags
                           | sq_v1.Entities(preds, SEQEVAL_SCHEMES[scheme]).unique_tags)
        else:
            kw = {}
            per_type = sequence_labeling.precision_recall_fscore_support(refs, preds, average=None)
            names = sorted({e[0] for e in sequence_labeling.get_entities(refs)}
                           | {e[0] for e in sequence_labeling.get_entities(preds)})
        overall = (sq.precision_score(refs, preds, **kw), sq.recall_score(refs, preds, **kw),
                   sq.f1_score(refs, preds, **kw), sq.accuracy_score(refs, preds))
    return overall, names, per_type


def assert_agrees(result: dict, preds, refs, mode: str, scheme: str) -> None:
    overall, names, (precision, recall, f1, support) = reference_scores(preds, refs, mode, scheme)
    ours = [result[k] for k in ("overall_precision", "overall_recall", "overall_f1", "overall_accuracy")]
    np.testing.assert_allclose(ours, overall, atol=TOL, rtol=0)
    assert [k for k in result if k.isupper()] == names
    for i, name in enumerate(names):
        np.testing.assert_allclose([result[name][k] for k in ("precision", "recall", "f1")],
                                   [precision[i], recall[i], f1[i]], atol=TOL, rtol=0)
        assert result[name]["number"] == support[i]


@pytest.mark.parametrize("scheme", ["IOB1", "IOB2", "IOBES"])
@pytest.mark.parametrize("ill_formed", [False, True])
def test_default_mode_agrees_with_seqeval(seqeval_module, scheme, ill_formed):
    rng = np.random.default_rng(zlib.crc32(f"default-{scheme}-{ill_formed}".encode()))
    for _ in range(120):
        preds, refs = corpus(rng, scheme, ill_formed)
        assert_agrees(seqeval_module._compute(preds, refs), preds, refs, "default", scheme)


@pytest.mark.parametrize("scheme", ["IOB1", "IOB2", "IOBES"])
@pytest.mark.parametrize("ill_formed", [False, True])
def test_strict_mode_agrees_with_seqeval(seqeval_module, scheme, ill_formed):
    rng = np.random.default_rng(zlib.crc32(f"strict-{scheme}-{ill_formed}".encode()))
    for _ in range(80):
        preds, refs = corpus(rng, scheme, ill_formed)
        result = seqeval_module._compute(preds, refs, mode="strict", scheme=scheme)
        assert_agrees(result, preds, refs, "strict", scheme)
        if not ill_formed:
            assert result["ill_formed_entities"] == {"predictions": 0, "references": 0}
            loose = seqeval_module._compute(preds, refs)
            assert loose["overall_f1"] == result["overall_f1"]


def test_ill_formed_entities_are_counted_and_named_by_mode(seqeval_module):
    preds, refs = [["O", "I-PER", "I-PER", "B-LOC"]], [["O", "B-PER", "I-PER", "B-LOC"]]
    default = seqeval_module._compute(preds, refs, scheme="IOB2")
    strict = seqeval_module._compute(preds, refs, mode="strict", scheme="IOB2")
    assert default["ill_formed_entities"] == {"predictions": 1, "references": 0}
    assert default["PER"]["f1"] == 1.0          # repaired: O I-PER starts an entity, as conlleval
    assert strict["PER"]["f1"] == 0.0           # dropped in strict mode
    assert strict["LOC"]["f1"] == 1.0


def test_no_entities_anywhere_is_zero_with_documented_zero_division(seqeval_module):
    preds = refs = [["O", "O"], []]
    result = seqeval_module._compute(preds, refs)
    assert (result["overall_precision"], result["overall_recall"], result["overall_f1"]) == (0.0, 0.0, 0.0)
    assert result["overall_accuracy"] == 1.0
    assert seqeval_module._compute(preds, refs, zero_division=1)["overall_f1"] == 1.0
    assert sq.f1_score(refs, preds, zero_division=1) == 1.0


@pytest.mark.parametrize("preds, refs, kwargs, message", [
    ([["O"]], [["O"], ["O"]], {}, "number of sentences"),
    ([["O", "O"]], [["O"]], {}, "sentence 0 has 2 predicted tags"),
    ([], [], {}, "empty"),
    ([["PER"]], [["O"]], {}, "malformed tag .PER.* at sentence 0, token 0"),
    ([["O"]], [["U-PER"]], {}, "malformed tag 'U-PER'"),
    ([["S-PER"]], [["O"]], {"scheme": "IOB2"}, "not allowed in the IOB2 scheme"),
    ([["O"]], [["O"]], {"mode": "strict"}, "needs a scheme"),
    ("O O", "O O", {}, "differ in number|is a string"),
])
def test_bad_input_raises_clear_errors(seqeval_module, preds, refs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        seqeval_module._compute(preds, refs, **kwargs)
