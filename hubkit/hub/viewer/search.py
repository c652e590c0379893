"""Which rows a ``search`` query selects: every word of the query, ignoring case, appears in one
of the row's string columns. (The real service ranks with BM25 over stemmed words; see
docs/hub-compatibility.md.) The scan reads only the string columns, batch by batch, and keeps
only the matching row numbers."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from hubkit.hub.viewer import pages
from hubkit.hub.viewer.errors import invalid_parameter
from hubkit.hub.viewer.store import SplitData

MAX_QUERY = 1000
MAX_WORDS = 32


def string_columns(split: SplitData) -> list[str]:
    return [name for name, kind in split.features.items()
            if kind.get("_type") == "Value" and kind.get("dtype") in ("string", "large_string")]


def words(query: str) -> list[str]:
    if len(query) > MAX_QUERY:
        raise invalid_parameter(f"Parameter 'query' is longer than {MAX_QUERY} characters.")
    found = query.split()
    if not found:
        raise invalid_parameter("Parameter 'query' is empty.")
    if len(found) > MAX_WORDS:
        raise invalid_parameter(f"Parameter 'query' has more than {MAX_WORDS} words.")
    return found


def matching_rows(split: SplitData, query: str) -> np.ndarray:
    """Sorted row numbers of the rows where every word of ``query`` appears."""
    terms = words(query)
    columns = string_columns(split)
    if not columns:
        return np.zeros(0, dtype=np.int64)
    found = []
    for first, batch in pages.scan(split, columns):
        mask = None
        for term in terms:
            term_mask = None
            for column in batch.columns:
                hit = pc.fill_null(pc.match_substring(column, term, ignore_case=True), False)
                term_mask = hit if term_mask is None else pc.or_(term_mask, hit)
            mask = term_mask if mask is None else pc.and_(mask, term_mask)
        found.append(np.flatnonzero(mask.to_numpy(zero_copy_only=False)) + first)
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)

