"""The one error type of training: a message a person can act on, printed as one line."""


class TrainingError(RuntimeError):
    """Training cannot start or cannot go on (bad input, a diverging loss, out of memory)."""


class TrainingInterrupted(Exception):
    """Ctrl-C during training: carries where it stopped, so the command can say how to resume.

    Not a :class:`TrainingError`: an interruption is the user's choice, reported with its own exit
    status (130, as a shell reports SIGINT), not as a failure.
    """

    def __init__(self, step: int, checkpoint_step: int | None):
        super().__init__(f"interrupted at step {step}")
        self.step = step
        self.checkpoint_step = checkpoint_step
