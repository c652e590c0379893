"""hubkit's Hub-compatible server.

The server speaks the subset of the Hugging Face Hub HTTP API that the unmodified
``huggingface_hub``, ``datasets``, ``evaluate`` and ``transformers`` clients use (the contract is
``shared/hub-api.md``). Layout:

- :mod:`.errors`: the one exception type handlers raise; it becomes a 4xx with ``X-Error-Code``.
- :mod:`.blobs`: content-addressed file storage (sha256), written atomically and streamed.
- :mod:`.db`: the SQLite schema for users, tokens, repos, refs, commits and discussions.
- :mod:`.repos`: repositories as the Hub sees them: revisions, trees, commits, refs.
- :mod:`.auth`: users, organisations and tokens; who may read and write what.
- :mod:`.app`: the HTTP layer (routing on the raw path, request parsing, responses).
- :mod:`.names`: file paths and ref names, refused or normalised as the Hub does.
- :mod:`.bodies`, :mod:`.cardyaml`: JSON bodies and card YAML, parsed with bounds.
- :mod:`.evalresults`, :mod:`.benchmarks`: benchmarks, ``.eval_results``, leaderboards, verification.
- :mod:`.webui`: the small HTML pages a person looks at.
- :mod:`.discussions`, :mod:`.likes`, :mod:`.access`: discussions and their events, likes, and
  gated repos with their access requests; :mod:`.paging` serves their lists page by page.

Public API for the rest of hubkit (``docs/architecture.md``): :mod:`.admin` (users, tokens and the
re-checks of ``hubkit hub verify`` over a data dir), :mod:`.app` and :mod:`.serving` (``hub
serve``) and :mod:`.gc`. Everything else is reached over HTTP.
"""
