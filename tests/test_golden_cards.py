"""Golden files: the model card (README.md, YAML metadata included) of one training run per task family.

Each card is built from fixed inputs committed under ``tests/golden/inputs/<family>/``: the small
files of a training output folder that :func:`hubkit.cards.context.load_context` reads
(``results.json``, ``train_log.jsonl``, ``training_args.json``, ``predictions_<split>.jsonl``,
``usage_examples.json``, and for the bi-encoder the ``pair_classifier.json`` that marks it). The
card reads no weights, config or tokenizer, so none are committed. Any change in what the card
code writes for the same inputs shows up here as a unified diff against ``tests/golden/<family>.md``.

The comparison goes through :func:`normalise`, which replaces only what legitimately differs
between two honest runs: library and Python versions, durations, timestamps and content hashes.

Regenerate the golden files after an intended change to the cards::

    HUBKIT_UPDATE_GOLDEN=1 pytest tests/test_golden_cards.py

Regenerate the inputs (a tiny training run per family, minutes on a CPU; then the golden files)::

    HUBKIT_REGENERATE_GOLDEN_INPUTS=1 pytest tests/test_golden_cards.py -k regenerate
    HUBKIT_UPDATE_GOLDEN=1 pytest tests/test_golden_cards.py
"""

from __future__ import annotations

import difflib
import getpass
import json
import os
import re
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from helpers.data import (
    write_conll,
    write_mrpc,
    write_squad,
    write_sst2,
    write_wikitext,
)

GOLDEN = Path(__file__).parent / "golden"
INPUTS = GOLDEN / "inputs"
UPDATE = os.environ.get("HUBKIT_UPDATE_GOLDEN") == "1"
REGENERATE_INPUTS = os.environ.get("HUBKIT_REGENERATE_GOLDEN_INPUTS") == "1"

# family -> (dataset, recipe overrides of the tiny run that produced its inputs)
FAMILIES: dict[str, tuple[str, dict[str, Any]]] = {
    "single-text": ("sst2", {}),
    "pair-cross-encoder": ("mrpc", {"pair_mode": "cross-encoder"}),
    "pair-bi-encoder": ("mrpc", {"pair_mode": "bi-encoder"}),
    "tagging": ("conll2003", {}),
    "question-answering": ("squad", {"max_length": 64, "doc_stride": 24, "max_answer_length": 8}),
    "masked-lm": ("wikitext2", {"block_size": 32}),
}
# The files of an output folder the card code reads; weights, config and tokenizer it never opens.
CARD_INPUTS = ("results.json", "train_log.jsonl", "training_args.json", "usage_examples.json", "best_seed.txt",
               "data_stats.json", "pair_classifier.json")
CARD_INPUT_GLOBS = ("predictions_*.jsonl",)


# ---------------------------------------------------------------- the normaliser

_SECTION = r"<!-- hubkit:begin {name} -->\n(.*?)<!-- hubkit:end {name} -->"
_VERSION_ROW = re.compile(r"^(\| [\w.\-]+ \| )[0-9][^|\n]*( \|)$", re.MULTILINE)
_WALL_TIME = re.compile(r"^(- \*\*Wall time:\*\*.*)$", re.MULTILINE)
_SECONDS = re.compile(r"\b\d+(?:\.\d+)? s\b")
_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b")
_FULL_HASH = re.compile(r"\b(?:[0-9a-f]{64}|[0-9a-f]{40})\b")
_SHORT_HASH = re.compile(r"`[0-9a-f]{12,16}…`")


def normalise(card: str) -> str:
    """The card with what honestly varies between runs and machines replaced by placeholders.

    Only these, and each only where the card writes it, so that everything else still counts:

    - ``<VERSION>``: the value column of the Environment section's package table (Python and
      library versions change with every upgrade, the package names do not);
    - ``<SECONDS>``: the durations on the training procedure's "Wall time" line;
    - ``<TIMESTAMP>``: ISO dates and date-times anywhere (evaluation dates, run times);
    - ``<SHA>``: 64- and 40-hex-digit hashes and commits anywhere, and the 12-16 digit prefixes
      the card quotes in backticks (source files, model commits, example sets).
    """
    def versions(match: re.Match[str]) -> str:
        return match.group(0).replace(match.group(1), _VERSION_ROW.sub(r"\1<VERSION>\2", match.group(1)))

    card = re.sub(_SECTION.format(name="environment"), versions, card, flags=re.DOTALL)
    card = _WALL_TIME.sub(lambda m: _SECONDS.sub("<SECONDS>", m.group(1)), card)
    card = _TIMESTAMP.sub("<TIMESTAMP>", card)
    card = _FULL_HASH.sub("<SHA>", card)
    return _SHORT_HASH.sub("`<SHA>`", card)


# ---------------------------------------------------------------- building and comparing


def repo_id_of(family: str) -> str:
    """A fixed repo id, so the card's title, model-index name and usage snippet do not depend on
    the folder name the inputs were copied to."""
    return f"hubkit-golden/tiny-{family}"


def build_card(folder: Path, family: str) -> str:
    """The README.md text hubkit writes for ``folder``, offline and without any existing README."""
    from hubkit.cards.model_card import build_model_card

    return build_model_card(folder, repo_id=repo_id_of(family), existing="", offline=True).text


def compare(family: str, card: str, golden_path: Path) -> None:
    """Assert the normalised card equals the golden file (or rewrite it under HUBKIT_UPDATE_GOLDEN=1)."""
    actual = normalise(card)
    if UPDATE:
        golden_path.parent.mkdir(parents=True, exist_ok=True)
        golden_path.write_text(actual, encoding="utf-8")
        return
    assert golden_path.is_file(), f"no golden file {golden_path}; create it with HUBKIT_UPDATE_GOLDEN=1"
    expected = golden_path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                            fromfile=f"golden/{golden_path.name}", tofile=f"generated ({family})"))
        raise AssertionError(f"the {family} card differs from its golden file "
                             f"(HUBKIT_UPDATE_GOLDEN=1 rewrites it if the change is intended):\n{diff}")


@pytest.fixture
def no_hub(monkeypatch):
    """Offline for real: HF_HUB_OFFLINE set, and any hub call the card code makes fails the test."""
    import huggingface_hub
    # Libraries that bind `hf_hub_download` by name at import must be imported before the patch,
    # or they would keep the refusing stand-in for the rest of the session.
    import transformers.utils.hub  # noqa: F401

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"the card code reached for the hub: {args} {kwargs}")

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", refuse)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", refuse)


def copied_inputs(family: str, tmp_path: Path) -> Path:
    """The family's inputs in a scratch folder: the card code may cache files beside its inputs,
    and the committed ones must stay as they are."""
    folder = tmp_path / family
    shutil.copytree(INPUTS / family, folder)
    return folder


@pytest.mark.skipif(REGENERATE_INPUTS, reason="the inputs are being regenerated")
@pytest.mark.usefixtures("no_hub")
@pytest.mark.parametrize("family", FAMILIES)
def test_the_card_matches_its_golden_file(family, tmp_path):
    compare(family, build_card(copied_inputs(family, tmp_path), family), GOLDEN / f"{family}.md")


@pytest.mark.skipif(REGENERATE_INPUTS, reason="the inputs are being regenerated")
@pytest.mark.usefixtures("no_hub")
@pytest.mark.parametrize("family", FAMILIES)
def test_the_cards_train_command_pins_the_recipe_it_reports(family, tmp_path, monkeypatch):
    """The Reproduce command, parsed by ``hubkit train`` itself, asks for every recipe value the run
    recorded, even once hubkit's defaults for the dataset are different (recipes get retuned)."""
    import shlex

    from hubkit.cli.train import cli as train
    from hubkit.recipes import Recipe, recipe_for

    folder = copied_inputs(family, tmp_path)
    card = build_card(folder, family)
    command = re.search(r"## Reproduce\n\n```bash\n(hubkit train .*)\n```", card).group(1)
    params = train.make_context("train", shlex.split(command)[2:]).params
    results = json.loads((folder / "results.json").read_text())
    recorded = results["recipe"]
    # Every default moved: a value the command left to the recipe table would now come out different.
    moved = {key: (value * 3 + 1 if isinstance(value, (int, float)) and not isinstance(value, bool) else value)
             for key, value in Recipe().as_dict().items()}
    monkeypatch.setattr("hubkit.recipes.RECIPES", {FAMILIES[family][0]: Recipe(**moved)}, raising=False)
    overrides = {key: params.get(key) for key in recorded}
    rebuilt = recipe_for(FAMILIES[family][0], None, overrides).as_dict()
    fields_read = {"text-classification": ("max_length",), "token-classification": ("max_length",),
                   "question-answering": ("max_length", "doc_stride", "max_answer_length", "n_best"),
                   "language-modeling": ("block_size", "mlm_probability")}[results["task"]["family"]]
    for key in ("epochs", "batch_size", "learning_rate", "warmup_ratio", "weight_decay", "early_stopping_patience",
                *fields_read):
        assert rebuilt[key] == recorded[key], \
            f"{family}: {key} {rebuilt[key]} in the command, {recorded[key]} recorded"
    bi_encoder = recorded["pair_mode"] == "bi-encoder" and family.startswith("pair")
    assert (rebuilt["pair_mode"] == "bi-encoder") == bi_encoder


@pytest.mark.usefixtures("no_hub")
def test_a_changed_input_value_fails_the_comparison_with_a_diff(tmp_path):
    """The golden test can fail: one metric value changed in results.json changes the card, and the
    comparison reports the changed line as a unified diff."""
    if UPDATE:
        pytest.skip("golden files are being rewritten")
    folder = copied_inputs("single-text", tmp_path)
    results = json.loads((folder / "results.json").read_text())
    accuracy = results["aggregate"]["validation"]["accuracy"]
    accuracy["mean"] = accuracy["values"][0] = 0.8125
    results["per_seed"][0]["metrics"]["validation"]["accuracy"] = 0.8125
    (folder / "results.json").write_text(json.dumps(results, indent=2))
    with pytest.raises(AssertionError) as failure:
        compare("single-text", build_card(folder, "single-text"), GOLDEN / "single-text.md")
    message = str(failure.value)
    assert "--- golden/single-text.md" in message and "+++ generated (single-text)" in message
    assert "\n+- **validation accuracy: 0.8125**" in message
    assert "\n+      value: 0.8125" in message  # the model-index in the YAML metadata follows


def test_the_normaliser_replaces_only_what_varies():
    card = ("<!-- hubkit:begin environment -->\n## Environment\n\n| package | version |\n|---|---|\n"
            "| python | 3.11.7 |\n| torch | 2.13.0+cpu |\n<!-- hubkit:end environment -->\n"
            "| accuracy | 0.3125 |\n"
            "- **Wall time:** 2.8 s in all; training per seed: 42: 0.8 s\n"
            "- **Seeds:** 42\n"
            f"evaluated 2025-11-30T11:14:02+00:00, sources `{'a' * 64}`, commit `{'b' * 12}…`, block 2.8 s\n")
    assert normalise(card) == (
        "<!-- hubkit:begin environment -->\n## Environment\n\n| package | version |\n|---|---|\n"
        "| python | <VERSION> |\n| torch | <VERSION> |\n<!-- hubkit:end environment -->\n"
        "| accuracy | 0.3125 |\n"
        "- **Wall time:** <SECONDS> in all; training per seed: 42: <SECONDS>\n"
        "- **Seeds:** 42\n"
        "evaluated <TIMESTAMP>, sources `<SHA>`, commit `<SHA>`, block 2.8 s\n")


# ---------------------------------------------------------------- nothing machine-local committed

_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(?:/(?:home|root|tmp|work|Users|var|private|mnt|opt|srv)\b|~/|[A-Za-z]:\\)")


def machine_local(text: str) -> list[str]:
    """Absolute paths, and this machine's user and host names, found in ``text``."""
    found = [match.group(0) for match in _ABSOLUTE_PATH.finditer(text)]
    for name in {getpass.getuser(), socket.gethostname(), socket.getfqdn()}:
        if len(name) >= 3 and name != "localhost" and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            found.append(name)
    return found


def committed_files() -> list[Path]:
    return sorted(path for path in GOLDEN.rglob("*") if path.is_file())


def test_golden_files_and_inputs_hold_no_paths_user_or_host_names_and_no_weights():
    files = committed_files()
    assert {path.stem for path in GOLDEN.glob("*.md")} == set(FAMILIES)
    assert {path.name for path in INPUTS.iterdir()} == set(FAMILIES)
    problems = {str(path.relative_to(GOLDEN)): machine_local(path.read_text(encoding="utf-8")) for path in files}
    assert {path: found for path, found in problems.items() if found} == {}
    readable = set(CARD_INPUTS)
    extra = [path.name for path in INPUTS.rglob("*") if path.is_file() and path.name not in readable
             and not any(path.match(pattern) for pattern in CARD_INPUT_GLOBS)]
    assert extra == [], f"files the card code does not read: {extra}"
    assert max(path.stat().st_size for path in INPUTS.rglob("*") if path.is_file()) < 16_000


def test_the_machine_local_check_can_fail():
    home_path = "/".join(["", "home", "someone", "tiny-bert"])  # built, so no machine path stands in the source
    assert machine_local(f"model at {home_path}") == ["/" + home_path.split("/")[1]]
    assert machine_local(f"trained on {socket.gethostname()} by {getpass.getuser()}") != []
    assert machine_local("loss 0.69 over 2 s, DATA_DIR/train.tsv, ../tiny-bert") == []


# ---------------------------------------------------------------- producing the inputs (opt-in)


def write_data(dataset: str, folder: Path) -> Path:
    """The family's synthetic source files, small enough for a run of seconds."""
    if dataset == "sst2":
        return write_sst2(folder, n_train=32, n_dev=16)
    if dataset == "mrpc":
        return write_mrpc(folder, n_train=32, n_dev=16)
    if dataset == "conll2003":
        return write_conll(folder, n_train=32, n_eval=8)
    if dataset == "squad":
        return write_squad(folder, n_train=24, n_eval=6, seed=1, filler=2)[0]
    assert dataset == "wikitext2"
    return write_wikitext(folder)


def keep_card_inputs(out: Path, target: Path) -> None:
    """Copy the files the card reads into ``target``, less the recorded command line: it is pytest's
    (absolute paths, this machine's layout), and a ``hubkit train`` line made up here would be a
    fact about no real run. The card then omits "the command as it was run", as it does for any
    run started from Python."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    names = [name for name in CARD_INPUTS if (out / name).is_file()]
    names += sorted(path.name for pattern in CARD_INPUT_GLOBS for path in out.glob(pattern))
    for name in names:
        shutil.copyfile(out / name, target / name)
    results = json.loads((target / "results.json").read_text())
    results.pop("command", None)
    (target / "results.json").write_text(json.dumps(results, indent=2) + "\n")


@pytest.mark.skipif(not REGENERATE_INPUTS, reason="set HUBKIT_REGENERATE_GOLDEN_INPUTS=1 to retrain the inputs")
@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize("family", FAMILIES)
def test_regenerate_golden_inputs(family, tmp_path, tiny_bert):
    from hubkit.recipes import recipe_for
    from hubkit.train.fine_tune import TrainRequest, fine_tune

    dataset, overrides = FAMILIES[family]
    model = tmp_path / "tiny-bert"  # beside the output folder: recorded as ../tiny-bert, no absolute path
    shutil.copytree(tiny_bert, model)
    values = {"model": str(model), "epochs": 1, "batch_size": 16, "learning_rate": 3e-3, "warmup_ratio": 0.0,
              "early_stopping_patience": 0, **overrides}
    out = tmp_path / "out"
    fine_tune(TrainRequest(dataset=dataset, data_dir=str(write_data(dataset, tmp_path / "data")), output_dir=out,
                           recipe=recipe_for(dataset, overrides=values), n_resamples=20, progress=False))
    keep_card_inputs(out, INPUTS / family)
    found = {path.name: machine_local(path.read_text()) for path in (INPUTS / family).iterdir()}
    assert {name: hits for name, hits in found.items() if hits} == {}
