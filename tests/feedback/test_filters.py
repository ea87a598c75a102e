"""Filters round-trip through URLs, reject bad values, and department scoping overrides what was asked."""

from datetime import date

import pytest

from feedback.filters import FilterError, Filters


def test_round_trip_through_query_args():
    f = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31), depts=("A", "B"), levels=(1, 2), channels=("pc",))
    assert Filters.from_query_args(f.to_query_args()) == f


def test_multidict_style_and_commas():
    f = Filters.from_query_args({"level": ["1,2", "2"], "dept": ["X"], "start": "2026-02-01", "junk": "1"})
    assert f.levels == (1, 2) and f.depts == ("X",) and f.start == date(2026, 2, 1)


@pytest.mark.parametrize("args, msg", [
    ({"start": "2026-02-30"}, "不是日期"),
    ({"start": "0001-01-01"}, "超出允许范围"),
    ({"end": "9999-12-31"}, "超出允许范围"),
    ({"end": "1999-12-31"}, "2000-01-01 至 2100-12-31"),
    ({"level": "7"}, "between 1 and 5"),
    ({"level": "bad"}, "numbers"),
    ({"sentiment": "angry"}, "unknown"),
    ({"start": "2026-03-01", "end": "2026-02-01"}, "after"),
])
def test_bad_values_are_errors(args, msg):
    with pytest.raises(FilterError, match=msg):
        Filters.from_query_args(args)


def test_scoping_replaces_requested_departments():
    f = Filters(depts=("OTHER", "MINE"))
    assert f.scoped("MINE").depts == ("MINE",)
    assert f.scoped(None) is f


def test_dates_at_the_bounds_are_accepted():
    f = Filters.from_query_args({"start": "2000-01-01", "end": "2100-12-31"})
    assert (f.start, f.end) == (date(2000, 1, 1), date(2100, 12, 31))
