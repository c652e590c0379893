"""Ctrl-C during training: finish the step, save a checkpoint, stop; a second Ctrl-C stops at once.

Letting the first Ctrl-C raise ``KeyboardInterrupt`` wherever the interpreter happens to be leaves
the run to chance: in the middle of a checkpoint write it tears the checkpoint, in a finaliser it
prints a traceback, and the work since the last checkpoint is lost. Instead the first SIGINT only
sets a flag; the callback turns it, at the next step end, into the Trainer's own "save, then stop",
so the run ends on a whole checkpoint at the step it reached. A second SIGINT restores Python's
default and raises ``KeyboardInterrupt`` for whoever cannot wait.

Under ``torchrun`` every rank gets the signal at a slightly different step, and ranks that stop at
different steps would wait for each other forever; there the default behaviour is kept.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def graceful_stop_callback(can_save: bool) -> Any:
    """A ``TrainerCallback`` with ``requested`` (set by :func:`stop_on_sigint`) and ``stopped_at``."""
    from transformers import TrainerCallback

    class GracefulStop(TrainerCallback):
        def __init__(self) -> None:
            self.requested = False
            self.stopped_at: int | None = None

        def on_step_end(self, args, state, control, **kwargs):
            if self.requested:
                control.should_save = can_save
                control.should_training_stop = True
                self.stopped_at = state.global_step

    return GracefulStop()


@contextmanager
def stop_on_sigint(callback: Any) -> Iterator[bool]:
    """Route SIGINT to ``callback.requested`` while the block runs; yields whether it did.

    Only the main thread of a single process can own the handler; elsewhere nothing changes
    (and ``False`` is yielded), so Ctrl-C keeps its default meaning. A process started with SIGINT
    ignored keeps ignoring it.
    """
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed or threading.current_thread() is not threading.main_thread():
        yield False
        return
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # Started with SIGINT ignored (``nohup``, or ``&`` from a script): the caller chose that.
        yield False
        return

    def on_sigint(signum, frame) -> None:
        if callback.requested:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        callback.requested = True
        print("stopping after this step and saving a checkpoint (Ctrl-C again to stop at once)",
              file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield True
    finally:
        signal.signal(signal.SIGINT, previous)
