"""Issue 8's claim on real data: on SST-2, on a CPU, fine-tuning the pre-trained MiniLM beats the same
architecture from random initialisation at every training-set size up to 512 (2 seeds each).

Kept as cheap as the claim allows: sizes 32, 128, 512; 2 seeds; one epoch with a floor of 32
optimizer steps (so the 32- and 128-example subsets are cycled through, as ``--min-steps`` does);
every run scored on the full validation split (872 sentences). Measured: 112 s on 2 idle cores with
2 threads, 183 s with the one thread used here beside another training job.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict

import pytest
from click.testing import CliRunner

from hubkit.cli import main
from hubkit.transfer_curve.subsets import apportion

SIZES = (32, 128, 512)


@pytest.mark.slow
def test_pretrained_beats_random_init_on_sst2_at_every_size(tmp_path, real_data, hub, minilm, one_thread):
    sst2 = real_data / "glue" / "SST-2"
    if not (sst2 / "train.tsv").is_file():
        pytest.skip("SST-2 not available")
    out = tmp_path / "curve"
    result = CliRunner().invoke(main, [
        "transfer-curve", "sst2", "--data-dir", str(sst2), "--model", minilm, "--sizes", ",".join(map(str, SIZES)),
        "--seeds", "2", "--epochs", "1", "--min-steps", "32", "--output", str(out), "--no-progress",
        # Subsets of a few hundred sentences need the higher rate; the SST-2 recipe is tuned for all 67k.
        "--learning-rate", "2e-4"],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    print(result.output)  # the per-run scores and the curve, for `pytest -rP`
    record = json.loads((out / "curve.json").read_text())
    assert record["base_model"]["id"] == minilm and len(record["base_model"]["package"]["weights_sha256"]) == 1
    assert record["dataset"]["validation_examples"] == 872 and record["dataset"]["split_sizes"]["train"] == 67349

    # The scores, re-read from the per-run CSV rather than from the summary the command computed.
    scores: dict[tuple[str, int], list[float]] = defaultdict(list)
    with open(out / "curve.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            scores[(row["variant"], int(row["train_examples"]))].append(float(row["accuracy"]))
            counts = [int(row["n_negative"]), int(row["n_positive"])]
            assert counts == apportion([29780, 37569], int(row["train_examples"]))
    for size in SIZES:
        pretrained, random_init = scores[("pretrained", size)], scores[("random-init", size)]
        assert len(pretrained) == len(random_init) == 2
        assert statistics.fmean(pretrained) > statistics.fmean(random_init), (size, pretrained, random_init)
    assert record["comparison"]["pretrained_better_at_every_size"] is True
    # With 512 examples the pre-trained model is well clear of always answering "positive" (0.509).
    assert statistics.fmean(scores[("pretrained", 512)]) > record["dataset"]["majority_baseline"] + 0.1

    from PIL import Image

    with Image.open(out / "curve.png") as image:
        image.verify()
        assert image.format == "PNG"
    assert "| 512 |" in (out / "card_sections" / "transfer_curve.md").read_text()
