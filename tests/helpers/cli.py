"""The ``hubkit`` command line, invoked in this process as tests need it."""

from __future__ import annotations

from click.testing import CliRunner, Result


def hubkit(*args: object, catch_exceptions: bool = False) -> Result:
    """``hubkit ARGS…`` through click's runner; arguments may be paths or numbers (made strings).

    Exceptions propagate by default, so a crash shows its traceback instead of a bare exit code 1;
    tests of error messages pass ``catch_exceptions=True`` and read ``result.output``."""
    from hubkit.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=catch_exceptions)
