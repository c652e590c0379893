"""Every ``hubkit`` command's ``--help`` shows an example to copy (issue 17, point 12): the
commands are found by walking the click groups, so a new command without one fails here."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from hubkit.cli import main


def leaf_commands() -> list[list[str]]:
    context = click.Context(main)
    found: list[list[str]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(context):
                walk(command.get_command(context, name), [*path, name])
        else:
            found.append(path)

    walk(main, [])
    return found


def test_the_walk_finds_the_commands():
    commands = {" ".join(path) for path in leaf_commands()}
    assert {"train", "eval", "predict", "datasets push", "hub serve", "hub status"} <= commands


@pytest.mark.parametrize("path", leaf_commands(), ids=" ".join)
def test_help_shows_a_hubkit_example(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    command = "hubkit " + " ".join(path)
    examples = [line.strip() for line in result.output.splitlines()
                if line.strip() == command or line.strip().startswith(command + " ")]
    assert examples, f"`{command} --help` shows no example command line"


@pytest.mark.parametrize("path", [["datasets", "prepare"], ["eval"], ["leaderboard", "build"], ["transfer-curve"]])
def test_output_folders_are_named_output_dir_and_the_old_name_still_works(path, tmp_path):
    help_text = CliRunner().invoke(main, [*path, "--help"]).output
    assert "--output-dir" in help_text and "--output " not in help_text.replace("--output-dir", "")
    # The old spelling still parses: both reach the same parameter (a missing dataset fails later).
    for spelling in ("--output-dir", "--output"):
        result = CliRunner().invoke(main, [*path, *(["no-such-dataset"] if path != ["eval"] else
                                                    ["alice/model", "no-such-dataset"]), spelling, str(tmp_path / "o")])
        assert "No such option" not in result.output, result.output
