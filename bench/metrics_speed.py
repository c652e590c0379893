"""How fast are hubkit's metrics? Run: .venv/bin/python bench/metrics_speed.py

1. Entity F1 (conlleval reading) on 10,000 sentences: hubkit's seqeval module vs the `seqeval` package.
2. A 1,000-resample bootstrap of binary F1 over 10,000 examples: hubkit's vectorised engine vs a
   plain Python loop that redraws and recounts each resample.
Both pairs are checked to agree before their times are compared.
"""

from __future__ import annotations

import random
import time
import warnings

import numpy as np

from hubkit import metrics
from hubkit.metrics import bootstrap

TYPES = ["PER", "LOC", "ORG", "MISC"]


def best_of(function, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def random_sentence(rng: random.Random) -> list[str]:
    tags: list[str] = []
    length = rng.randint(5, 25)
    while len(tags) < length:
        if rng.random() < 0.7:
            tags.append("O")
        else:
            kind = rng.choice(TYPES)
            tags += ["B-" + kind] + ["I-" + kind] * rng.randint(0, 2)
    return tags[:length]


def corrupt(tags: list[str], rng: random.Random) -> list[str]:
    vocabulary = ["O"] + [f"{p}-{t}" for p in "BI" for t in TYPES]
    return [rng.choice(vocabulary) if rng.random() < 0.1 else tag for tag in tags]


def bench_entity_f1() -> float:
    from seqeval.metrics import f1_score

    rng = random.Random(0)
    refs = [random_sentence(rng) for _ in range(10_000)]
    preds = [corrupt(sentence, rng) for sentence in refs]
    module = metrics.load("seqeval")
    ours_s, ours = best_of(lambda: module._compute(preds, refs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_s, theirs = best_of(lambda: f1_score(refs, preds))
    assert abs(ours["overall_f1"] - theirs) < 1e-9, (ours["overall_f1"], theirs)
    tokens = sum(map(len, refs))
    print(f"entity F1, 10,000 sentences ({tokens:,} tokens): hubkit {ours_s:.3f} s (all per-type scores), "
          f"seqeval {theirs_s:.3f} s (overall F1 only) -> {theirs_s / ours_s:.1f}x faster")
    return theirs_s / ours_s


def python_loop_bootstrap(preds: list[int], refs: list[int], n_resamples: int, seed: int) -> list[float]:
    """The obvious implementation: draw indices, recount TP/FP/FN, one resample at a time."""
    rng = random.Random(seed)
    n, scores = len(preds), []
    for _ in range(n_resamples):
        tp = fp = fn = 0
        for i in rng.choices(range(n), k=n):
            p, r = preds[i], refs[i]
            tp += p == 1 and r == 1
            fp += p == 1 and r != 1
            fn += p != 1 and r == 1
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return scores


def bench_bootstrap() -> float:
    rng = np.random.default_rng(0)
    refs = rng.integers(0, 2, 10_000)
    preds = np.where(rng.uniform(size=10_000) < 0.8, refs, 1 - refs)
    stat, _ = metrics.statistic(metrics.load("f1"), preds.tolist(), refs.tolist())
    ours_s, ours = best_of(lambda: bootstrap.confidence_intervals(stat, 1000, 0)["f1"])
    loop_s, loop = best_of(lambda: python_loop_bootstrap(preds.tolist(), refs.tolist(), 1000, 0), repeat=1)
    low, high = np.quantile(loop, [0.025, 0.975])
    assert abs(ours[0] - low) < 0.01 and abs(ours[1] - high) < 0.01, (ours, (low, high))  # same CI, other draws
    print(f"bootstrap, 1,000 resamples x 10,000 examples (binary F1): hubkit {ours_s:.3f} s, "
          f"Python loop {loop_s:.3f} s -> {loop_s / ours_s:.0f}x faster "
          f"(CI {float(ours[0]):.4f}-{float(ours[1]):.4f} vs {low:.4f}-{high:.4f})")
    return loop_s / ours_s


if __name__ == "__main__":
    bench_entity_f1()
    bench_bootstrap()
