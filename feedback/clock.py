"""The storage clock: naive wall-clock time in the configured time zone (records keep local wall-clock times)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_now(tz: str = "Asia/Shanghai") -> datetime:
    """Naive wall-clock time in the storage time zone (records keep Asia/Shanghai wall-clock times)."""
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)
