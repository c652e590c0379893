"""Code the tests share: a real hub server process, tiny dataset folders, readers of training
output, and the check that published files name no machine.

Test modules import from here (``from helpers.data import write_sst2``), never from one another:
a test module is collected by pytest, and importing it elsewhere runs its module-level code twice
and ties unrelated tests together. ``tests/conftest.py`` puts ``tests/`` on ``sys.path`` so that
``helpers`` resolves the same way under pytest and under the benches in ``bench/``.
"""
