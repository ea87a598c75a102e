"""Working-day arithmetic on the Chinese calendar (statutory holidays and make-up working days, 调休)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
            "upgrade the package, or enter the State Council's arrangement for that year as [ledger] holidays "
            "and workdays in config.toml"
        )
    return d


@dataclass(frozen=True)
class Calendar:
    """The package's official holiday data, plus arrangements entered in config (``[ledger] holidays`` and
    ``workdays``) for years the installed package does not cover yet: a year with any entered holiday counts as
    covered, its other days are working days Monday to Friday."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days (调休上班) on a weekend

    @classmethod
    def from_config(cls, holidays: Iterable[str | date] = (), workdays: Iterable[str | date] = ()) -> Calendar:
        def days(values: Iterable[str | date], key: str) -> frozenset[date]:
            out = set()
            for v in values:
                try:
                    out.add(v if isinstance(v, date) else date.fromisoformat(str(v)))
                except ValueError:
                    raise ValueError(f"[ledger] {key}: {v!r} is not a date (YYYY-MM-DD)") from None
            return frozenset(out)

        cal = cls(days(holidays, "holidays"), days(workdays, "workdays"))
        both = cal.holidays & cal.workdays
        if both:
            raise ValueError(f"[ledger] holidays and workdays both list {min(both).isoformat()}")
        return cal

    @property
    def entered_years(self) -> frozenset[int]:
        return frozenset(d.year for d in self.holidays)

    def is_workday(self, d: date) -> bool:
        if d in self.holidays:
            return False
        if d in self.workdays:
            return True
        if d.year in self.entered_years:
            return d.weekday() < 5
        return chinese_calendar.is_workday(_check(d))


PACKAGE = Calendar()


def is_workday(d: date | datetime, cal: Calendar = PACKAGE) -> bool:
    """True on a working day: Monday-Friday that is not a statutory holiday, or a make-up working day."""
    return cal.is_workday(_day(d))


def add_workdays(start: date | datetime, n: int, cal: Calendar = PACKAGE) -> date:
    """The n-th working day after ``start`` (``start`` itself never counts, whatever kind of day it is).

    ``n = 0`` returns ``start`` when it is a working day, else the next working day. Negative ``n`` counts back.
    """
    d = _day(start)
    if n == 0:
        while not cal.is_workday(d):
            d += timedelta(days=1)
        return d
    step = timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    while left:
        d += step
        if cal.is_workday(d):
            left -= 1
    return d


def workdays_between(start: date | datetime, end: date | datetime, cal: Calendar = PACKAGE) -> int:
    """Working days in the half-open range (start, end]: how many working days ``end`` lies after ``start``.

    So ``workdays_between(d, add_workdays(d, n)) == n`` for n >= 1; negative when ``end`` is before ``start``.
    """
    a, b = _day(start), _day(end)
    if b < a:
        return -workdays_between(b, a, cal)
    return sum(1 for i in range(1, (b - a).days + 1) if cal.is_workday(a + timedelta(days=i)))
