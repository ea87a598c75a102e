"""The demo's calendar: its 12-month period, working days and holidays, daily volume, local midnights."""

from __future__ import annotations

import datetime as dt

import numpy as np

DEFAULT_END = dt.date(2026, 10, 31)


def period(end: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the 12 months ending with the last full month on or before `end`."""
    last = end if (end + dt.timedelta(days=1)).day == 1 else end.replace(day=1) - dt.timedelta(days=1)
    first = shift_months(last.replace(day=1), -11)
    return first, last


def shift_months(d: dt.date, k: int) -> dt.date:
    m = d.year * 12 + d.month - 1 + k
    y, mo = divmod(m, 12)
    nxt = dt.date(y + (mo + 1) // 12, (mo + 1) % 12 + 1, 1)
    return dt.date(y, mo + 1, min(d.day, (nxt - dt.timedelta(days=1)).day))


_FALLBACK_HOLIDAYS = {  # statutory days off and make-up working days, used when chinese_calendar lacks a year
    "off": ["01-01", "05-01", "05-02", "05-03", "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07"],
}


def day_kind(d: dt.date) -> int:
    """0 working day, 1 weekend, 2 statutory holiday (make-up working days count as working days)."""
    try:
        import chinese_calendar

        if chinese_calendar.is_workday(d):
            return 0
        return 2 if chinese_calendar.get_holiday_detail(d)[1] else 1
    except (ImportError, NotImplementedError):
        if d.strftime("%m-%d") in _FALLBACK_HOLIDAYS["off"]:
            return 2
        return 1 if d.weekday() >= 5 else 0


MONTH_FACTOR = {1: 1.05, 2: 0.80, 3: 1.10, 4: 1.00, 5: 0.95, 6: 1.00, 7: 1.08, 8: 1.05, 9: 1.00, 10: 0.90,
                11: 1.00, 12: 1.02}


def day_weights(days: list[dt.date]) -> tuple[np.ndarray, np.ndarray]:
    """Relative rating volume per day (weekday, weekend and holiday dips, season) and the day kinds."""
    kinds = np.array([day_kind(d) for d in days])
    base = np.choose(kinds, [1.0, 0.16, 0.05])
    dow = np.array([[1.12, 1.02, 1.0, 0.98, 0.93, 1.0, 1.0][d.weekday()] for d in days])
    season = np.array([MONTH_FACTOR[d.month] for d in days]) * np.linspace(0.97, 1.03, len(days))
    return base * dow * season, kinds


def start_ts(d: dt.date) -> int:
    """Seconds since the epoch of local midnight at the start of `d` (timestamps are naive local time)."""
    return int(np.datetime64(d, "s").astype(np.int64))


