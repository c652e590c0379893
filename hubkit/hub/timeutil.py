"""Timestamps in the one format the clients parse: ``2024-01-31T12:00:00.000Z`` (hub-api.md 1.5)."""

from __future__ import annotations

import datetime as _dt


def now_iso() -> str:
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
