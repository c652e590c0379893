"""The dataset viewer API on the hub (``/viewer/...``), with the real service's routes and shapes.

huggingface.co runs its viewer as a separate service (``datasets-server.huggingface.co``) over
Parquet exports of each dataset. Here the hub answers the same routes under ``/viewer/`` itself,
so a viewer client only changes its base URL. Modules, one job each:

- :mod:`.discovery`: which configs and splits a repo has, and which files make each split;
- :mod:`.store`: a split as Parquet on disk (its own files, or a streamed conversion), cached
  under the hub's data dir by commit sha, so a new commit never reads stale results;
- :mod:`.convert`: CSV, JSON Lines and Arrow files to Parquet, batch by batch;
- :mod:`.pages`: rows by position or by index, read row group by row group, as JSON;
- :mod:`.search` and :mod:`.where`: which rows a ``search`` query or ``filter`` condition selects;
- :mod:`.statistics`: per-column statistics, computed once per split and cached;
- :mod:`.routes`: the HTTP handlers, their parameters and errors.
"""
