"""Dataset builders: find them, prepare them from their original files, validate, card and push.

A builder is a :class:`hubkit.datasets.builder.HubkitBuilder` (a ``datasets.GeneratorBasedBuilder``,
or an ``ArrowBasedBuilder`` for :class:`~hubkit.datasets.builder.HubkitTableBuilder`, that also
declares its card metadata, its task and its canonical downloads). hubkit runs builders locally
through ``download_and_prepare`` and publishes Parquet plus a dataset card, because ``datasets`` 4+ no longer runs loading
scripts: whoever loads the published repo needs no remote code.

Modules, one job each:

- ``spec``: the plain records a builder declares (downloads, card facts, task columns).
- ``builder``: the builder base class and its source-locating helpers.
- ``sources``: reading original files with errors that name the file and line.
- ``conll``, ``iob``: the CoNLL column format and IOB1/IOB2 tag schemes.
- ``registry``: finding builders (entry points and ``dataset_scripts/``).
- ``prepare``: running a builder into a ``DatasetDict`` (``generate``) and saving it atomically.
- ``validate``, ``card``, ``card_check``, ``push``, ``scaffold``: the other CLI verbs.

Importing this package is cheap: ``datasets`` is imported by the submodules only, because
:func:`hubkit.hub_client.configure_environment` must run before it when a command talks to a hub.
"""
