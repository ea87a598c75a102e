"""The storage clock: naive wall-clock time in the configured time zone (records keep local wall-clock times).

Every write that stamps a time (ledger, alerts, tasks) reads ``local_now``. Inside ``with simulated(at):`` it
returns ``at`` instead, so a replay (the demo's simulated office year) writes history in the data's past,
deterministically; the same code paths and rules run as for a person's change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SIMULATED: ContextVar[datetime | None] = ContextVar("haocha_simulated_now", default=None)


def local_now(tz: str = "Asia/Shanghai") -> datetime:
    """Naive wall-clock time in the storage time zone (records keep Asia/Shanghai wall-clock times), or the
    simulated time inside ``simulated``."""
    at = _SIMULATED.get()
    if at is not None:
        return at
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


@contextmanager
def simulated(at: datetime) -> Iterator[datetime]:
    """Within the block, ``local_now()`` is ``at`` (naive storage wall-clock time, seconds precision)."""
    token = _SIMULATED.set(at.replace(tzinfo=None, microsecond=0))
    try:
        yield at
    finally:
        _SIMULATED.reset(token)


def day_end(day: date, *, storage_tz: str = "Asia/Shanghai", display_tz: str = "Asia/Shanghai") -> datetime:
    """The last moment (to the microsecond) of ``day`` in ``display_tz``, as a naive wall-clock time of
    ``storage_tz`` (what stored times are compared with): where the bulletin of a month ending on ``day`` is
    frozen."""
    following = datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(display_tz))
    return following.astimezone(ZoneInfo(storage_tz)).replace(tzinfo=None) - timedelta(microseconds=1)


def storage_time(text: str, *, storage_tz: str = "Asia/Shanghai", display_tz: str = "Asia/Shanghai") -> datetime:
    """What a person types for a moment, as a naive wall-clock time of ``storage_tz``: a date (YYYY-MM-DD) is
    the last moment of that day (``day_end``), a date and time (ISO, ``T`` or a space) is read in
    ``display_tz`` unless it carries its own offset. ValueError when it is neither."""
    text = text.strip()
    if len(text) == 10:
        return day_end(date.fromisoformat(text), storage_tz=storage_tz, display_tz=display_tz)
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(display_tz))
    return at.astimezone(ZoneInfo(storage_tz)).replace(tzinfo=None)


def display_time(value: object, *, storage_tz: str = "Asia/Shanghai", display_tz: str = "Asia/Shanghai",
                 fmt: str = "%Y-%m-%d %H:%M") -> str:
    """The one way a stored time is shown (screens, exports, the bulletin): a naive wall-clock time of
    ``storage_tz`` (a datetime, a pandas Timestamp or an ISO string) converted to ``display_tz`` and written
    with ``fmt``; "" for a missing value, a bare date as its ISO day."""
    import pandas as pd

    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and len(value.strip()) == 10:
        return value.strip()
    try:
        at = pd.Timestamp(value).to_pydatetime()
    except (ValueError, TypeError):
        return str(value)
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(storage_tz))
    return at.astimezone(ZoneInfo(display_tz)).strftime(fmt)
