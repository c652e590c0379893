"""What the long-running commands print: bars on a terminal, plain lines in a pipe or a log file.

Progress bars and ANSI colour are for a person watching a terminal. Piped into ``cat``, ``tee`` or
a CI log they become carriage returns and escape codes (the Trainer's bars, ``datasets``' map
bars, transformers' weight-loading bars and its coloured load report), so when stdout is not a
terminal, or ``--no-progress`` is given, every library's bars are turned off and colour removed.
"""

from __future__ import annotations

import logging
import os
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def show_progress(no_progress: bool) -> bool:
    """Whether to draw progress bars: only on a terminal, and never with ``--no-progress``."""
    return not no_progress and sys.stdout.isatty()


class _PlainRecords(logging.Filter):
    """Strips ANSI colour from library log records, and drops the load report of a new head.

    When fine-tuning, transformers reports the new classifier head as MISSING weights on every
    run; that is the expected case and hubkit says nothing about it. Any other finding
    (unexpected or mismatched weights) is kept, without colour.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "LOAD REPORT" in message and not any(word in message for word in ("UNEXPECTED", "MISMATCH", "CONVERSION")):
            return False
        plain = ANSI.sub("", message)
        if plain != message:
            record.msg, record.args = plain, None
        return True


def quiet_libraries() -> None:
    """Turn off the bars of huggingface_hub, datasets and transformers, and plain their log records.

    Each library has its own switch; the environment variable covers huggingface_hub in any
    process that imports it later (workers, the hub client).
    """
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    import datasets
    import huggingface_hub.utils
    import transformers.utils.logging as transformers_logging

    huggingface_hub.utils.disable_progress_bars()
    datasets.disable_progress_bars()
    transformers_logging.disable_progress_bar()
    transformers_logging.get_logger()  # creates the library's handler, which the filter must sit on
    for handler in logging.getLogger("transformers").handlers:
        if not any(isinstance(f, _PlainRecords) for f in handler.filters):
            handler.addFilter(_PlainRecords())
