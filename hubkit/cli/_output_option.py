"""One name for every output folder: ``--output-dir``, as transformers' scripts and the Trainer
call it. Commands that took ``--output`` for a folder still accept it, so existing scripts keep
working, but ``--help`` shows only ``--output-dir``. (``compare --output`` and ``datasets card
--output`` name a file, and keep their name.)"""

from __future__ import annotations

from typing import Any

import click


class _OutputDirOption(click.Option):
    """An option whose old ``--output`` spelling works but is left out of ``--help``."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        names, text = record
        return names.replace(", --output ", " ").replace(", --output", ""), text


def output_dir_option(dest: str, **kwargs: Any):
    """``--output-dir`` (alias ``--output``) stored in parameter ``dest``."""
    return click.option("--output-dir", "--output", dest, cls=_OutputDirOption, **kwargs)
