"""Working days on the Chinese calendar across National Day 2025 and Spring Festival 2026 (with 调休 days)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from feedback.ledger.rules import DeadlineRule, LedgerError, deadlines, rules_from_mapping
from feedback.ledger.workdays import (
    Calendar,
    CalendarRangeError,
    add_workdays,
    covered_years,
    is_workday,
    workdays_between,
)

D = date


def test_national_day_2025_holidays_and_make_up_days():
    # 2025-10-01 (Wed) … 10-08 (Wed) off; make-up working days Sun 09-28 and Sat 10-11.
    assert all(not is_workday(D(2025, 10, d)) for d in range(1, 9))
    assert is_workday(D(2025, 9, 28)) and is_workday(D(2025, 10, 11))
    assert not is_workday(D(2025, 9, 27)) and not is_workday(D(2025, 10, 12))  # ordinary weekend days
    assert is_workday(D(2025, 10, 9))


@pytest.mark.parametrize("start, n, expected", [
    (D(2025, 9, 30), 1, D(2025, 10, 9)),   # the whole holiday is skipped
    (D(2025, 9, 30), 3, D(2025, 10, 11)),  # Saturday 10-11 is a make-up working day
    (D(2025, 9, 30), 4, D(2025, 10, 13)),  # Sunday 10-12 is not
    (D(2025, 9, 30), 5, D(2025, 10, 14)),
    (D(2025, 9, 26), 1, D(2025, 9, 28)),   # Friday → make-up Sunday 09-28
    (D(2025, 9, 26), 2, D(2025, 9, 29)),
    (D(2025, 10, 1), 1, D(2025, 10, 9)),   # counted from a holiday
    (D(2025, 9, 30), 15, D(2025, 10, 28)),
])
def test_add_workdays_across_national_day(start, n, expected):
    assert add_workdays(start, n) == expected
    assert workdays_between(start, expected) == n


def test_spring_festival_2026():
    # Package data: 2026-02-15 (Sun) … 02-23 (Mon) off; make-up working days Sat 02-14 and Sat 02-28.
    assert all(not is_workday(D(2026, 2, d)) for d in range(15, 24))
    assert is_workday(D(2026, 2, 14)) and is_workday(D(2026, 2, 28))
    assert add_workdays(D(2026, 2, 12), 1) == D(2026, 2, 13)
    assert add_workdays(D(2026, 2, 12), 2) == D(2026, 2, 14)  # make-up Saturday
    assert add_workdays(D(2026, 2, 12), 3) == D(2026, 2, 24)  # first day back
    assert add_workdays(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert add_workdays(D(2026, 2, 13), 6) == D(2026, 2, 28)  # 14, 24, 25, 26, 27, then make-up Saturday 28
    assert add_workdays(D(2026, 2, 13), 7) == D(2026, 3, 2)  # Sunday 03-01 is a rest day
    assert add_workdays(D(2026, 2, 13), 15) == D(2026, 3, 12)
    assert workdays_between(D(2026, 2, 13), D(2026, 3, 2)) == 7
    assert workdays_between(D(2026, 2, 14), D(2026, 2, 23)) == 0


def test_zero_negative_and_datetimes():
    assert add_workdays(D(2025, 10, 3), 0) == D(2025, 10, 9)  # a holiday rolls forward
    assert add_workdays(D(2025, 10, 9), 0) == D(2025, 10, 9)
    assert add_workdays(D(2025, 10, 9), -1) == D(2025, 9, 30)
    assert add_workdays(datetime(2025, 9, 30, 23, 59), 5) == D(2025, 10, 14)
    assert workdays_between(D(2025, 10, 14), D(2025, 9, 30)) == -5
    assert workdays_between(D(2025, 10, 14), D(2025, 10, 14)) == 0


def test_brute_force_agrees_with_day_by_day_walk():
    start = D(2025, 9, 1)
    days = [start + timedelta(days=i) for i in range(1, 200)]
    work = [d for d in days if is_workday(d)]
    for n in (1, 5, 15, 60):
        assert add_workdays(start, n) == work[n - 1]


def test_outside_the_calendar_data_is_a_clear_error():
    first, last = covered_years()
    assert first <= 2025 and last >= 2026
    with pytest.raises(CalendarRangeError, match=f"no official holiday data for {last + 1}"):
        is_workday(D(last + 1, 1, 5))
    with pytest.raises(CalendarRangeError, match="upgrade"):
        add_workdays(D(last, 12, 28), 10)
    with pytest.raises(CalendarRangeError):
        workdays_between(D(first - 1, 12, 1), D(first, 1, 10))


def _saturday(year: int) -> date:
    d = D(year, 1, 1)
    return d + timedelta(days=(5 - d.weekday()) % 7)


def test_config_enters_a_year_the_package_does_not_cover():
    year = covered_years()[1] + 1  # whatever the installed package covers, the next year is not covered
    sat = _saturday(year) + timedelta(days=7)  # the second Saturday: never Jan 1 or 2
    # an arrangement as config would hold it (test dates, not a claim about any real year's holidays)
    cal = Calendar.from_config(holidays=[f"{year}-01-01", D(year, 1, 2)], workdays=[sat.isoformat()])
    assert not is_workday(D(year, 1, 1), cal) and not is_workday(D(year, 1, 2), cal)
    assert is_workday(sat, cal) and not is_workday(sat + timedelta(days=1), cal)  # make-up Saturday, not Sunday
    with pytest.raises(CalendarRangeError):  # the package alone still refuses that year
        is_workday(D(year, 1, 5))
    # a deadline from the last covered December runs into the entered year, skipping its holidays
    last_day = D(year - 1, 12, 31)
    got = add_workdays(last_day, 1, cal)
    expect = next(D(year, 1, 1) + timedelta(days=i) for i in range(10)
                  if (D(year, 1, 1) + timedelta(days=i)) not in (D(year, 1, 1), D(year, 1, 2))
                  and ((D(year, 1, 1) + timedelta(days=i)).weekday() < 5 or D(year, 1, 1) + timedelta(days=i) == sat))
    assert got == expect
    assert workdays_between(last_day, got, cal) == 1
    # the ledger counts its deadlines on the configured calendar
    rules = rules_from_mapping({"4399": {"rectify_days": 3}}, cal)
    assert rules["default"].calendar is cal and rules["4399"].calendar is cal
    assert deadlines(last_day, rules["4399"]) == (got, add_workdays(last_day, 3, cal))
    with pytest.raises(CalendarRangeError):
        deadlines(last_day, DeadlineRule())


def test_config_calendar_errors_are_clear():
    with pytest.raises(ValueError, match="holidays: '2027-13-01' is not a date"):
        Calendar.from_config(holidays=["2027-13-01"])
    with pytest.raises(ValueError, match="both list 2027-01-01"):
        Calendar.from_config(holidays=["2027-01-01"], workdays=["2027-01-01"])
    with pytest.raises(LedgerError):  # the calendar is not a per-region key
        rules_from_mapping({"4399": {"calendar": "x"}})
