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
    ({"level": "7"}, "满意度必须在 1 到 5 之间"),
    ({"level": "bad"}, "bad 不是 1–5 的数字"),
    ({"sentiment": "angry"}, "未知取值 angry"),
    ({"start": "2026-03-01", "end": "2026-02-01"}, "晚于结束日期"),
    ({"kind": "x"}, "kind：未知取值 x"),
    ({"channel": ["4", "5"]}, "channel：未知渠道 4、5（可用 pc（PC端）"),
    ({"channel": "pc,微信端"}, "未知渠道 微信端"),
])
def test_bad_values_are_errors(args, msg):
    with pytest.raises(FilterError, match=msg):
        Filters.from_query_args(args)


def test_channels_by_code_or_screen_name():
    f = Filters.from_query_args({"channel": ["hall_pad", "实体大厅", "hall"]})
    assert f.channels == ("hall_pad", "hall")


def test_scoping_replaces_requested_departments():
    f = Filters(depts=("OTHER", "MINE"))
    assert f.scoped("MINE").depts == ("MINE",)
    assert f.scoped(None) is f


def test_dates_at_the_bounds_are_accepted():
    f = Filters.from_query_args({"start": "2000-01-01", "end": "2100-12-31"})
    assert (f.start, f.end) == (date(2000, 1, 1), date(2100, 12, 31))


def test_describe_filters_names_every_condition_by_its_label():
    from feedback.filters import describe_filters

    f = Filters(channels=("mobile", "pc"), depts=("D1",), levels=(1, 2), services=("S9",))
    names = {"channels": {"mobile": "移动端", "pc": "PC端"}, "depts": {"D1": "市公安局"},
             "levels": {"1": "非常不满意", "2": "不满意"}}
    line = describe_filters(f, names, (date(2026, 9, 15), date(2026, 10, 15)), extra=[("状态", "待处理"), ("关键词", "")])
    assert line == ("当前筛选：2026-09-15 至 2026-10-15 · 部门：市公安局 · 渠道：移动端、PC端 · 事项：S9 · "
                    "满意度：非常不满意、不满意 · 状态：待处理")


def test_describe_filters_without_conditions_and_with_many_values():
    from feedback.filters import MAX_NAMED, describe_filters

    assert describe_filters(Filters(), {}) == "当前筛选：全部数据"
    assert describe_filters(Filters(start=date(2026, 1, 1)), {}) == "当前筛选：2026-01-01 至 最新"
    many = Filters(services=tuple(f"S{i}" for i in range(MAX_NAMED + 3)))
    line = describe_filters(many, {})
    assert line.endswith(f"S{MAX_NAMED - 1} 等 {MAX_NAMED + 3} 项") and f"S{MAX_NAMED}" not in line


def test_query_string_equals_the_urlencoded_replaced_filters():
    """Filters.query_string (its own fields encoded once) writes what urlencode of the replaced filters' query
    arguments writes: changed, cleared and untouched fields, characters that need quoting, dates."""
    import dataclasses
    from urllib.parse import urlencode

    base = [Filters(), Filters(start=date(2026, 1, 1), end=date(2026, 6, 30), channels=("4", "5")),
            Filters(depts=("部门 A&B",), regions=("4399",), levels=(1, 2), kinds=("rating",)),
            Filters(services=("a=b", "c+d"), categories=("timeliness",), sentiments=("neg",))]
    changes = [{}, {"levels": (3,)}, {"kinds": ("rating",), "levels": (1, 2)}, {"start": date(2026, 3, 2),
               "end": None}, {"depts": ()}, {"channels": ("x y",)}, {"categories": ("其他",), "kinds": ("message",)},
               {"regions": ("439900000000",)}]
    for f in base:
        for change in changes:
            assert f.query_string(**change) == urlencode(dataclasses.replace(f, **change).to_query_args())
    with pytest.raises(TypeError):
        Filters().query_string(grain="week")
