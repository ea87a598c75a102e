"""Working-day arithmetic on the Chinese calendar (statutory holidays and make-up working days, 调休)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import chinese_calendar


class CalendarRangeError(ValueError):
    """A date outside the years the installed chinesecalendar package has official holiday data for."""


@cache
def covered_years() -> tuple[int, int]:
    """First and last year with official holiday data in the installed chinesecalendar package."""
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def _day(d: date | datetime) -> date:
    return d.date() if isinstance(d, datetime) else d


def _check(d: date) -> date:
    first, last = covered_years()
    if not first <= d.year <= last:
        raise CalendarRangeError(
            f"{d.isoformat()}: no official holiday data for {d.year} in chinesecalendar "
            f"{getattr(chinese_calendar, '__version__', '?')} (covers {first}-{last}); "
            "upgrade the package once the State Council publishes that year's holiday arrangement"
        )
    return d


def is_workday(d: date | datetime) -> bool:
    """True on a working day: Monday-Friday that is not a statutory holiday, or a make-up working day."""
    return chinese_calendar.is_workday(_check(_day(d)))


def add_workdays(start: date | datetime, n: int) -> date:
    """The n-th working day after ``start`` (``start`` itself never counts, whatever kind of day it is).

    ``n = 0`` returns ``start`` when it is a working day, else the next working day. Negative ``n`` counts back.
    """
    d = _day(start)
    if n == 0:
        while not is_workday(d):
            d += timedelta(days=1)
        return d
    step = timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    while left:
        d += step
        if is_workday(d):
            left -= 1
    return d


def workdays_between(start: date | datetime, end: date | datetime) -> int:
    """Working days in the half-open range (start, end]: how many working days ``end`` lies after ``start``.

    So ``workdays_between(d, add_workdays(d, n)) == n`` for n >= 1; negative when ``end`` is before ``start``.
    """
    a, b = _day(start), _day(end)
    if b < a:
        return -workdays_between(b, a)
    _check(a), _check(b)
    return sum(1 for i in range(1, (b - a).days + 1) if is_workday(a + timedelta(days=i)))
