"""Issue 17, points 4, 5 and 12: the first hour of training, as a new user meets it.

Ctrl-C and piped output are tested on a real ``hubkit train`` process (the terminal-facing
behaviour lives in the process: signals, ``isatty``, library loggers); the rest in-process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.cli import hubkit
from helpers.data import write_mrpc, write_small_sst2

import hubkit as hubkit_package

# The checkout whose hubkit this session imports: the subprocesses run the same code.
SOURCE = Path(hubkit_package.__file__).resolve().parent.parent


def _train_args(data: Path, model: Path, out: Path, *extra: object) -> list[str]:
    return ["train", "sst2", "--data-dir", str(data), "--model", str(model), "--output-dir", str(out),
            "--batch-size", "8", "--bootstrap-resamples", "10", *map(str, extra)]


def _process(args: list[str]) -> subprocess.Popen:
    """``hubkit ARGS`` in its own process, stdout piped (not a terminal), one torch thread.

    SIGINT is reset to its default in the child, as a terminal's foreground job has it: pytest run
    in the background by a non-interactive shell inherits SIGINT *ignored*, and so would the child,
    which then (rightly) ignores the test's Ctrl-C.
    """
    env = {**os.environ, "PYTHONPATH": str(SOURCE), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "hubkit.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=SOURCE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _written(state: Path) -> bool:
    """A checkpoint's trainer_state.json exists from its open, before its text is written."""
    try:
        return bool(json.loads(state.read_text()))
    except (OSError, ValueError):
        return False


def _log_steps(out: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (out / "train_log.jsonl").read_text().splitlines()
            if "loss" in json.loads(line)]


@pytest.fixture
def sst2(tmp_path) -> Path:
    return write_small_sst2(tmp_path / "SST-2")


def test_ctrl_c_names_the_resume_command_and_resume_continues(tiny_bert, sst2, tmp_path, one_thread):
    out = tmp_path / "run"
    # 48 examples, batch 8: 6 steps an epoch; 15 epochs leave time to interrupt after the first checkpoint.
    args = _train_args(sst2, tiny_bert, out, "--epochs", 15, "--save-steps", 2, "--early-stopping-patience", 0)
    process = _process(args)
    checkpoints = out / "checkpoints"
    deadline = time.monotonic() + 240
    while not any(_written(state) for state in checkpoints.glob("checkpoint-*/trainer_state.json")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoint within 4 minutes"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("interrupted")]
    assert len(lines) == 1, stderr
    assert "resume with: hubkit train sst2" in lines[0] and lines[0].endswith("--resume"), lines[0]
    assert "Traceback" not in stderr and "Aborted!" not in stderr
    saved = int(lines[0].split("last checkpoint: step ")[1].split(")")[0])
    assert saved >= 2 and saved < 90
    # The first Ctrl-C finishes the step and saves it: nothing done before the signal is lost.
    assert "stopping after this step and saving a checkpoint" in stderr
    assert lines[0].startswith(f"interrupted at step {saved} (last checkpoint: step {saved})"), lines[0]

    resumed = hubkit(*args, "--resume")
    assert resumed.exit_code == 0, resumed.output
    steps = _log_steps(out)
    assert steps == sorted(set(steps)), "a resumed log keeps each step once"
    assert steps[-1] == 90 and (out / "results.json").is_file()


def test_a_checkpoint_is_saved_within_the_first_epoch_by_the_clock():
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from hubkit.train.runner import timed_checkpoint_callback

    now = [0.0]
    callback = timed_checkpoint_callback(300, clock=lambda: now[0])
    args, state = TrainingArguments(output_dir="unused", report_to="none"), TrainerState()
    control = TrainerControl()
    callback.on_train_begin(args, state, control)
    now[0] = 299
    callback.on_step_end(args, state, control)
    assert not control.should_save
    now[0] = 300
    callback.on_step_end(args, state, control)
    assert control.should_save, "5 minutes after the start, a checkpoint is due whatever the epoch"
    callback.on_save(args, state, control)
    control.should_save = False
    now[0] = 400
    callback.on_step_end(args, state, control)
    assert not control.should_save, "the clock restarts at each save"


def test_finished_run_needs_overwrite_and_overwrite_starts_a_fresh_log(tiny_bert, sst2, tmp_path, one_thread):
    out = tmp_path / "run"
    first = hubkit(*_train_args(sst2, tiny_bert, out, "--epochs", 1, "--no-progress"))
    assert first.exit_code == 0, first.output
    steps_one_run = _log_steps(out)

    again = hubkit(*_train_args(sst2, tiny_bert, out, "--epochs", 1), catch_exceptions=True)
    assert again.exit_code == 1
    assert again.output.strip().splitlines() == [
        f"Error: {out} holds a finished run (results.json); pass --overwrite to replace it or choose another "
        "--output-dir"]

    rerun = hubkit(*_train_args(sst2, tiny_bert, out, "--epochs", 1, "--overwrite", "--no-progress"))
    assert rerun.exit_code == 0, rerun.output
    assert _log_steps(out) == steps_one_run, "the rerun's log holds only its own steps"


def test_piped_training_prints_one_plain_line_per_log(tiny_bert, sst2, tmp_path, one_thread):
    out = tmp_path / "run"
    process = _process(_train_args(sst2, tiny_bert, out, "--epochs", 1))
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    both = stdout + stderr
    assert "\x1b[" not in both, "no ANSI escape codes in a pipe"
    assert "\r" not in both and "it/s]" not in both, "no progress bars in a pipe"
    assert "LOAD REPORT" not in both and "{'loss'" not in both
    lines = stdout.splitlines()
    n_logs = len([line for line in (out / "train_log.jsonl").read_text().splitlines()])
    assert len(lines) == n_logs + 1, stdout  # one line per log, then the summary
    assert lines[0].startswith("step 1/6 epoch 0.17 loss ")
    assert lines[-1].startswith("validation accuracy: ")


@pytest.mark.parametrize("command", [["eval"], ["datasets", "push"], ["predict"]])
def test_no_progress_on_eval_push_and_predict(command):
    result = hubkit(*command, "--help")
    assert "--no-progress" in result.output


@pytest.mark.parametrize("command", [["train"], ["eval"], ["predict"], ["datasets", "push"]])
def test_every_touched_help_shows_an_example(command):
    result = hubkit(*command, "--help")
    assert f"hubkit {' '.join(command)} " in result.output, result.output


def test_dry_run_prints_the_recipe_with_sources_and_trains_nothing(sst2, tmp_path):
    out = tmp_path / "run"
    result = hubkit(*_train_args(sst2, "some/model", out, "--learning-rate", "0.001", "--gradient-accumulation-steps",
                                 4, "--dry-run"))
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[1:] if line.startswith("  ")}
    assert rows["learning_rate"] == ["0.001", "--learning-rate"]
    assert rows["max_length"] == ["66", "recipe", "sst2"]
    assert rows["weight_decay"] == ["0.01", "default"]
    assert rows["gradient_accumulation_steps"] == ["4", "--gradient-accumulation-steps"]
    assert rows["precision"][0] == "float32" or rows["precision"][0] == "bfloat16"
    assert not out.exists()


def test_fp16_on_cpu_is_refused_in_one_line(sst2, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU can train in fp16")
    result = hubkit(*_train_args(sst2, "some/model", tmp_path / "run", "--fp16"), catch_exceptions=True)
    assert result.exit_code == 1
    assert result.output == "Error: --fp16 needs a CUDA GPU and this machine has none; drop it (float32) or use --bf16\n"


def test_trainer_options_reach_the_trainer(tmp_path):
    from hubkit.recipes import recipe_for
    from hubkit.train.runner import TrainerOptions, training_arguments

    class Adapter:
        selection_metric, greater_is_better = "accuracy", True

        def ddp_unused_parameters(self):
            return False

    options = TrainerOptions(gradient_accumulation_steps=3, eval_steps=5, save_steps=10)
    args = training_arguments(Adapter(), recipe_for("sst2"), 42, tmp_path, 480, has_validation=True, save=True,
                              progress=False, options=options)
    assert (args.gradient_accumulation_steps, args.eval_steps, args.save_steps) == (3, 5, 10)
    assert (args.eval_strategy.value, args.save_strategy.value) == ("steps", "steps")
    assert args.report_to == [] or args.report_to == "none" or args.report_to == ["none"]


def test_report_to_a_missing_tracker_is_one_line(sst2, tmp_path):
    from transformers.integrations import integration_utils

    if integration_utils.is_tensorboard_available():
        pytest.skip("tensorboard is installed here")
    result = hubkit(*_train_args(sst2, "some/model", tmp_path / "run", "--report-to", "tensorboard", "--dry-run"),
                    catch_exceptions=True)
    assert result.exit_code == 1
    assert result.output == "Error: --report-to tensorboard needs the tensorboard package (pip install tensorboard)\n"


@pytest.fixture(scope="module")
def classifier(tiny_bert, tmp_path_factory) -> Path:
    """A tiny classifier trained for a few steps by hubkit train (in this process)."""
    root = tmp_path_factory.mktemp("predict")
    data = write_small_sst2(root / "SST-2")
    out = root / "model"
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = hubkit(*_train_args(data, tiny_bert, out, "--epochs", 3, "--learning-rate", "0.003", "--no-progress"))
    finally:
        torch.set_num_threads(threads)
    assert result.exit_code == 0, result.output
    return out


def test_predict_texts_prints_label_and_score(classifier):
    result = hubkit("predict", classifier, "--text", "a wonderful film", "--text", "a dull mess")
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert [text for _, _, text in lines] == ["a wonderful film", "a dull mess"]
    assert all(label in ("positive", "negative") and 0.5 <= float(score) <= 1 for label, score, _ in lines)


def test_predict_matches_the_validation_predictions_of_train(classifier, tmp_path):
    data = classifier.parent / "SST-2"
    result = hubkit("predict", classifier, "--dataset", "sst2", "--data-dir", data, "--split", "validation",
                    "--output-dir", tmp_path / "preds")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "preds" / "predictions.jsonl").read_text().splitlines()]
    trained = [json.loads(line) for line in (classifier / "predictions_validation.jsonl").read_text().splitlines()]
    assert len(rows) == len(trained) == 32
    assert [row["label"] for row in rows] == [row["prediction_labels"] for row in trained]


def test_predict_reads_a_tsv_column_and_names_a_missing_one(classifier, tmp_path):
    path = tmp_path / "reviews.tsv"
    path.write_text("id\treview\n1\tI loved it\n2\tawful work\n")
    ok = hubkit("predict", classifier, "--file", path, "--text-column", "review")
    assert [line.split("\t")[2] for line in ok.output.splitlines()] == ["I loved it", "awful work"]
    bad = hubkit("predict", classifier, "--file", path, "--text-column", "text", catch_exceptions=True)
    assert bad.exit_code == 1
    assert bad.output == f"Error: {path} has no column 'text'; pass --text-column (columns: id, review)\n"


def test_predict_takes_sentence_pairs_as_train_scored_them(tiny_bert, tmp_path, one_thread):
    """A cross-encoder (MRPC) scores each text with its pair: from --text/--text-pair, and from a
    dataset split, where the labels match train's own validation predictions."""
    data = write_mrpc(tmp_path / "MRPC", n_train=48, n_dev=16)
    out = tmp_path / "model"
    trained = hubkit("train", "mrpc", "--data-dir", data, "--model", tiny_bert, "--output-dir", out, "--epochs", "1",
                     "--batch-size", "8", "--bootstrap-resamples", "10", "--no-progress")
    assert trained.exit_code == 0, trained.output
    validation = [json.loads(line) for line in (out / "predictions_validation.jsonl").read_text().splitlines()]
    written = hubkit("predict", out, "--dataset", "mrpc", "--data-dir", data, "--split", "validation",
                     "--output-dir", tmp_path / "preds")
    assert written.exit_code == 0, written.output
    rows = [json.loads(line) for line in (tmp_path / "preds" / "predictions.jsonl").read_text().splitlines()]
    assert [row["label"] for row in rows] == [row["prediction_labels"] for row in validation]
    assert all(row["text_pair"] for row in rows)
    first = rows[0]
    printed = hubkit("predict", out, "--text", first["text"], "--text-pair", first["text_pair"])
    assert printed.exit_code == 0, printed.output
    label, score, text, pair = printed.output.rstrip("\n").split("\t")
    assert (label, text, pair) == (first["label"], first["text"], first["text_pair"])
    assert float(score) == pytest.approx(first["score"], abs=1e-4)
    mismatched = hubkit("predict", out, "--text", "a", "--text", "b", "--text-pair", "c")
    assert mismatched.exit_code == 2 and "give one pair per text" in mismatched.output


def test_predict_piped_into_a_reader_that_stops_early_exits_quietly(classifier, tmp_path):
    """`hubkit predict ... | head -1`: the reader closing the pipe is not an error to report."""
    path = tmp_path / "texts.txt"
    path.write_text("".join(f"review number {i}: " + "a rather long and winding sentence " * 6 + "\n"
                            for i in range(600)))
    process = _process(["predict", str(classifier), "--file", str(path), "--batch-size", "64"])
    first = process.stdout.readline()
    process.stdout.close()  # what `head -1` does after its line: more than a pipe buffer is still to come
    stderr = process.stderr.read()
    process.wait(timeout=300)
    assert first.split("\t")[0] in ("positive", "negative")
    assert "Error" not in stderr and "Broken pipe" not in stderr and "Traceback" not in stderr, stderr


def test_a_bare_push_to_name_goes_to_the_token_users_namespace(tiny_bert, sst2, tmp_path, hub, one_thread):
    from huggingface_hub import HfApi

    from helpers.hubserver import unique_name

    name = unique_name("bare")
    result = subprocess.run([sys.executable, "-m", "hubkit.cli", *_train_args(sst2, tiny_bert, tmp_path / "out",
                                                                             "--epochs", 1, "--push-to", name)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"using repo {hub.user}/{name} (the token's user)" in result.stdout
    assert "config.json" in HfApi().list_repo_files(f"{hub.user}/{name}")


def test_a_checkpoint_torn_while_its_state_was_written_is_not_resumed_from(tmp_path):
    """Ctrl-C can land after trainer_state.json is opened and before it is written: that
    checkpoint is skipped, and --resume continues from the one before it."""
    from hubkit.train.runner import last_checkpoint

    for step, state in ((2, '{"global_step": 2}'), (4, ""), (6, '{"global_st')):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        (folder / "trainer_state.json").write_text(state)
    (tmp_path / "checkpoint-8").mkdir()  # no state file at all
    assert last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-2")
