"""The ``hubkit`` command line.

Every module in this package that defines a click command named ``cli`` becomes a sub-command,
named after the module (``hub.py`` -> ``hubkit hub``, ``transfer_curve.py`` ->
``hubkit transfer-curve``). Modules are imported only when their command runs, so that heavy
libraries (torch, transformers) load only for the commands that need them, and so that each
command group has one owner file and nobody edits a central list.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from hubkit import __version__


def _command_modules() -> dict[str, str]:
    """Map command names to the modules that define them."""
    names = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        names[info.name.replace("_", "-")] = f"{__name__}.{info.name}"
    return names


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_command_modules())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = _command_modules().get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(module_name)
        return module.cli

    def invoke(self, ctx: click.Context):
        """Run the sub-command; an unreachable hub, wherever it surfaces, ends it with one line."""
        from hubkit.cli._errors import unreachable_hub_errors

        with unreachable_hub_errors():
            return super().invoke(ctx)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hubkit")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Build, train, evaluate and publish NLP datasets, metrics, models and cards on the Hub."""
    if ctx.invoked_subcommand not in (None, "hub"):
        # Before any sub-command imports huggingface_hub/datasets/evaluate, which read these at import.
        from hubkit.hub_client import configure_environment

        configure_environment()
