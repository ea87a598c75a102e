"""Pure parts of the 总览: trend buckets and window, the trend table, figures (drill-down links, escaping)."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboards.figures import overview as fo
from dashboards.figures import style as figures
from dashboards.queries.overview_trend import buckets, trend_table, trend_window
from feedback.scoring.taxonomy import load_taxonomy
from feedback.stats.complaint_mix import category_table

XSS_IMG = "<img src=x onerror=alert(1)>"


def test_buckets_and_window():
    assert buckets(date(2026, 3, 4), date(2026, 3, 17), "week") == [date(2026, 3, 2), date(2026, 3, 9),
                                                                      date(2026, 3, 16)]
    assert buckets(date(2026, 1, 31), date(2026, 3, 1), "month") == [date(2026, 1, 1), date(2026, 2, 1),
                                                                       date(2026, 3, 1)]
    # a one-month period is widened back to 12 months, 12 weeks or 30 days of history
    assert trend_window(date(2026, 3, 1), date(2026, 3, 31), "month") == (date(2025, 4, 1), date(2026, 3, 31))
    assert trend_window(date(2026, 3, 1), date(2026, 3, 31), "week")[0] == date(2026, 1, 12)  # 12 Mondays to 3-30
    assert trend_window(date(2026, 3, 1), date(2026, 3, 31), "day") == (date(2026, 3, 1), date(2026, 3, 31))
    assert trend_window(date(2025, 1, 1), date(2026, 3, 31), "month")[0] == date(2025, 1, 1)  # longer stays


def test_trend_table_fills_empty_buckets():
    frame = pd.DataFrame({"day": [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 16)], "level": [5, 1, 4],
                          "is_default": [False, False, True], "voided": [False] * 3, "n": [8, 2, 5],
                          "projects": [0] * 3, "hidden": [0, 0, 1]})
    t = trend_table(frame, "week", date(2026, 3, 2), date(2026, 3, 18))
    assert t["period"].tolist() == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    assert t["total"].tolist() == [10, 0, 5] and t["bad"].tolist() == [2, 0, 0]
    assert t["bad_rate"].iloc[0] == 20.0 and pd.isna(t["bad_rate"].iloc[1])
    assert t["period_end"].tolist() == [date(2026, 3, 8), date(2026, 3, 15), date(2026, 3, 18)]  # clamped
    assert t["active_total"].tolist() == [10, 0, 0] and t["hidden_complaints"].tolist() == [0, 0, 1]


def _pandas_trend(frame, grain, start, end):
    """The trend as it was built with frames: a bucket column, rating_table by it, a left merge on every bucket."""
    from dashboards.queries.overview_trend import TREND_COLUMNS, _next, bucket_start
    from feedback.stats import kpi
    from feedback.stats.anomaly import mark_anomalies

    f = frame.copy()
    if "month" in f.columns:
        f["period"] = f["month"].map(lambda m: date.fromisoformat(f"{m}-01"))
    else:
        f["period"] = f["day"].map(lambda d: bucket_start(d, grain))
    t = pd.DataFrame({"period": buckets(start, end, grain)})
    if f.empty:
        t = t.assign(**{c: 0 for c in ("total", "active_total", "bad", "hidden_complaints")})
        for c in ("good_rate", "bad_rate", "avg_score_10"):
            t[c] = float("nan")
    else:
        t = t.merge(kpi.rating_table(f, ["period"]), on="period", how="left")
        for c in ("total", "active_total", "bad", "hidden_complaints"):
            t[c] = t[c].fillna(0).astype("int64")
    t["period_end"] = [min(_next(p, grain) - timedelta(days=1), end) for p in t["period"]]
    return mark_anomalies(t)[TREND_COLUMNS]


@pytest.mark.parametrize("seed", range(4))
def test_trend_table_equals_the_frame_reference(seed):
    """trend_table numbers each row's bucket and sums into every bucket with arrays: the same table as the frame
    reference, by day, week and month (months as 'YYYY-MM'), with empty buckets and an empty frame."""
    import numpy as np

    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(0, 400)) if seed else 0
    days = [date(2025, 11, 1) + timedelta(days=int(d)) for d in rng.integers(0, 365, n)]
    frame = pd.DataFrame({"day": days, "level": pd.array(rng.integers(1, 6, n), dtype="Int64"),
                          "is_default": rng.random(n) < 0.3, "voided": rng.random(n) < 0.05,
                          "n": rng.integers(0, 90, n), "projects": rng.integers(0, 3, n),
                          "hidden": rng.integers(0, 2, n)})
    for grain, start, end in (("day", date(2026, 8, 1), date(2026, 10, 31)),
                              ("week", date(2025, 11, 3), date(2026, 10, 31)),
                              ("month", date(2025, 11, 1), date(2026, 10, 31))):
        if grain == "month":
            f = frame.assign(month=[d.strftime("%Y-%m") for d in frame["day"]]).drop(columns="day")
        else:  # the rows of the window, as the query reads them
            f = frame.loc[np.array([start <= d <= end for d in frame["day"]], dtype=bool)].reset_index(drop=True)
        got, want = trend_table(f, grain, start, end), _pandas_trend(f, grain, start, end)
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=grain)


def test_category_table_from_counts():
    frame = pd.DataFrame({
        "category": ["timeliness", "timeliness", None, "other", None, "timeliness"],
        "kind": ["rating", "rating", "message", "message", "rating", "rating"],
        "level": [1, 4, None, None, 5, 2], "is_default": [False, False, False, False, False, False],
        "voided": [False, False, False, False, False, True], "n": [3, 10, 2, 4, 100, 7],
        "hidden": [0, 2, 0, 0, 0, 0]})
    t = category_table(frame, load_taxonomy()).set_index("category")
    assert t.loc["timeliness", ["bad", "hidden", "messages", "total"]].tolist() == [3, 2, 0, 5]  # voided 7 out
    # the message filed as other is outside the taxonomy: a row of its own, last, without a share
    assert t.loc["_unscored", "messages"] == 2 and t.loc["_outside_messages", ["messages", "total"]].tolist() == [4, 4]
    assert list(t.index) == ["timeliness", "_unscored", "_outside_messages"]
    assert t.loc["timeliness", "share"] == pytest.approx(5 / 7 * 100) and pd.isna(t.loc["_outside_messages", "share"])
    assert t.loc["_outside_messages", "name"] == "分类外的12345留言" and t["residual"].tolist() == [False, True, True]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_figures_carry_links_and_escape_names():
    services = pd.DataFrame({"service_key": ["k1", "k2"], "service_name": [XSS_IMG, "社保卡申领"], "total": [50, 40],
                             "bad": [5, 3], "bad_rate": [10.0, 7.5], "bad_prev": [1, 0],
                             "link": ["/records?service=k1", "/records?service=k2"]})
    channels = pd.DataFrame({"channel": ["pc"], "channel_name": [XSS_IMG], "total": [9], "bad": [1],
                             "bad_rate": [11.1], "share": [100.0], "link": ["/records?channel=pc"]})
    cats = pd.DataFrame({"category": ["x"], "name": [XSS_IMG], "bad": [1], "hidden": [0], "messages": [2],
                         "total": [3], "share": [100.0], "link": ["/records?category=x"]})
    trend = pd.DataFrame({"period": [date(2026, 3, d) for d in (2, 9)], "period_end": [date(2026, 3, 8),
                                                                                      date(2026, 3, 15)],
                          "total": [100, 120], "bad": [1, 9], "bad_rate": [1.0, 7.5], "good_rate": [98.0, 90.0],
                          "avg_score_10": [9.5, 9.0], "anomaly": [None, "high"],
                          "reason": [None, f"差评率 {XSS_IMG}"], "link": ["/records?a=1", "/records?a=2"]})
    figs = [fo.top_services(services), fo.channel_mix(channels), fo.categories_bar(cats),
            fo.trend_volume(trend, "week", (date(2026, 3, 9), date(2026, 3, 15))), fo.trend_satisfaction(trend, "week")]
    for fig in figs:
        strings = _strings(json.loads(figures.to_json(fig)))
        assert not any("<img" in s for s in strings)
        assert any(s.startswith("/records?") for s in strings)  # every figure has clickable marks
    top = json.loads(figures.to_json(figs[0]))["data"][0]
    assert top["customdata"][-1][0] == "/records?service=k1" and top["y"][-1].startswith("1. &lt;img")
    marks = json.loads(figures.to_json(figs[3]))["data"][2]
    assert marks["name"] == "异常点" and marks["customdata"][0][0] == "/records?a=2"
    assert "&lt;img" in marks["customdata"][0][2]


def test_figure_specs_are_valid_plotly_figures():
    """The specs are built as plain dicts: Plotly's own validation accepts every property, and changes nothing
    (a misspelt property or a value of the wrong kind raises here instead of silently not drawing)."""
    trend = pd.DataFrame({"period": [date(2026, 3, d) for d in (2, 9, 16)],
                          "period_end": [date(2026, 3, 8), date(2026, 3, 15), date(2026, 3, 18)],
                          "total": [100, 120, 0], "bad": [1, 9, 0], "bad_rate": [1.0, 7.5, float("nan")],
                          "good_rate": [98.0, 90.0, float("nan")], "avg_score_10": [9.5, 9.0, float("nan")],
                          "anomaly": [None, "high", None], "reason": [None, "差评率高", None],
                          "link": ["/records?a=1", "/records?a=2", "/records?a=3"]})
    levels = pd.DataFrame({"level": [5, 4, 3, 2, 1], "level_name": ["非常满意", "满意", "基本满意", "不满意", "非常不满意"],
                           "active": [50, 20, 5, 2, 1], "default": [30, 0, 0, 0, 0], "link": ["/records?l=1"] * 5})
    channels = pd.DataFrame({"channel": ["1", "2"], "channel_name": ["PC端", "移动端"], "total": [9, 5], "bad": [1, 0],
                             "bad_rate": [11.1, float("nan")], "share": [64.3, 35.7], "link": ["/records?c=1", None]})
    specs = [fo.trend_volume(trend, "week", (date(2026, 3, 9), date(2026, 3, 18))), fo.trend_satisfaction(trend, "day"),
             fo.level_split(levels), fo.channel_mix(channels)]
    for spec in specs:
        body = json.loads(figures.to_json(spec))  # strict JSON: NaN went out as null
        validated = json.loads(go.Figure(spec).to_json())  # raises on an unknown property or a bad value
        assert validated["layout"]["template"] == body["layout"]["template"]  # Plotly's default look
        assert [t["type"] for t in validated["data"]] == [t["type"] for t in body["data"]]
    assert json.loads(figures.to_json(specs[0]))["data"][1]["y"][2] is None
    assert [t["name"] for t in specs[0]["data"]] == ["评价数", "差评率", "异常点", "所选时段"]
    assert specs[0]["layout"]["shapes"][0]["x0"] == date(2026, 3, 9)  # the period's buckets are shaded
    # levels on a log axis (issue 15: the 不满意 bars were 2 px tall), up to a bit above the tallest bar
    assert specs[2]["layout"]["yaxis"]["type"] == "log"
    assert specs[2]["layout"]["yaxis"]["range"][1] > math.log10(80)
    # the level names stand upright in two short lines: on a phone one-line names were turned on end and cut off
    xaxis = specs[2]["layout"]["xaxis"]
    assert xaxis["ticktext"] == ["非常<br>满意", "满意", "基本<br>满意", "不满意", "非常<br>不满意"]
    assert xaxis["tickangle"] == 0 and xaxis["tickvals"] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    # the channel panels print each bar's value and no ticks (on a phone they stood on end), under short heads
    channel = specs[3]["layout"]
    assert not channel["xaxis"]["showticklabels"] and not channel["xaxis2"]["showticklabels"]
    assert [a["text"] for a in channel["annotations"]] == ["评价数占比", "差评率"]
    assert all(t["text"] for t in specs[3]["data"])


@pytest.mark.parametrize(("maximum", "integer"), [(0.4762, False), (0.026, False), (3, True), (137, True),
                                                  (1, True), (9.5, False), (0, False), (float("nan"), True)])
def test_nice_axis_has_round_even_ticks_covering_the_maximum(maximum, integer):
    from dashboards.figures.style import nice_axis

    axis = nice_axis(maximum, integer=integer)
    step, top = axis["dtick"], axis["range"][1]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5)) and axis["tick0"] == 0
    assert top >= (maximum if maximum == maximum else 0) and top / step <= 7  # a handful of ticks, none odd
    if integer:
        assert step >= 1 and float(step).is_integer()



def test_count_axes_never_show_half_a_complaint():
    """A month with two hidden complaints drew the category chart's axis 0, 0.5, 1, 1.5, 2 条 (Plotly's own ticks),
    as the bulletin's chart and a small department's weekly ratings did: a count axis ticks whole numbers."""
    from dashboards.reports.figures import category_figure

    cats = pd.DataFrame({"category": ["a", "b"], "name": ["服务态度", "差评处置与回访"], "bad": [0, 0], "hidden": [1, 2],
                         "messages": [0, 0], "total": [1, 2], "share": [33.3, 66.7], "link": ["/r?a", "/r?b"],
                         "bad_link": ["/r?a1", "/r?b1"], "hidden_link": ["/r?a2", "/r?b2"],
                         "messages_link": ["/r?a3", "/r?b3"]})
    trend = pd.DataFrame({"period": [date(2026, 3, d) for d in (2, 9)],
                          "period_end": [date(2026, 3, 8), date(2026, 3, 15)], "total": [3, 1], "bad": [0, 1],
                          "bad_rate": [0.0, 100.0], "anomaly": [None, None], "reason": [None, None],
                          "small": [True, True], "link": ["/r?w1", "/r?w2"], "bad_link": ["/r?b1", "/r?b2"]})
    axes = [fo.categories_bar(cats)["layout"]["xaxis"], fo.trend_volume(trend, "week")["layout"]["yaxis"],
            category_figure(cats).to_plotly_json()["layout"]["xaxis"]]
    for axis in axes:
        assert axis["dtick"] >= 1 and float(axis["dtick"]).is_integer() and axis["tick0"] == 0, axis
    assert axes[0]["range"][1] >= 2 and axes[1]["range"][1] >= 3  # the largest stack and bar still fit


def test_rate_marks_open_the_bad_ratings_and_small_samples_stay_off_the_axis():
    """Issue 15: a 差评率 mark opens the 差评 behind it (bad_link), not every rating; a bucket under
    chart_min_volume is a grey 样本少 mark that does not stretch the rate axis."""
    trend = pd.DataFrame({"period": [date(2026, 3, d) for d in (2, 9, 16)],
                          "period_end": [date(2026, 3, 8), date(2026, 3, 15), date(2026, 3, 22)],
                          "total": [400, 380, 5], "bad": [1, 2, 3], "bad_rate": [0.25, 0.53, 60.0],
                          "good_rate": [99.0, 98.0, 40.0], "avg_score_10": [9.5, 9.4, 4.0],
                          "anomaly": [None, None, None], "reason": [None, None, None],
                          "small": [False, False, True], "link": ["/records?w=1", "/records?w=2", "/records?w=3"],
                          "bad_link": ["/records?w=1&level=1&level=2", "/records?w=2&level=1&level=2",
                                       "/records?w=3&level=1&level=2"]})
    spec = fo.trend_volume(trend, "week")
    bars, line, few = spec["data"][:3]
    assert bars["customdata"][0][0] == "/records?w=1"  # the volume bar: every rating of the week
    assert line["customdata"][1][0] == "/records?w=2&level=1&level=2"  # the rate point: its 差评
    assert line["y"] == [0.25, 0.53, None] and few["name"] == "样本少"
    top = spec["layout"]["yaxis2"]["range"][1]
    assert 0.53 <= top < 1 and few["y"] == [top]  # held at the top of an axis scaled to the real buckets
    assert few["customdata"][0][2:] == [60.0, 5, 3]  # the hover tells the real rate and n
    channels = pd.DataFrame({"channel": ["pc", "up"], "channel_name": ["PC端", "上传"], "total": [391, 2],
                             "bad": [1, 1], "bad_rate": [0.26, 50.0], "share": [99.5, 0.5], "small": [False, True],
                             "link": ["/records?c=pc", "/records?c=up"],
                             "bad_link": ["/records?c=pc&level=1&level=2", "/records?c=up&level=1&level=2"]})
    mix = fo.channel_mix(channels)
    share, rate = mix["data"]
    assert share["customdata"][-1][0] == "/records?c=pc" and rate["customdata"][-1][0].endswith("level=2")
    assert rate["x"] == [0, 0.26] and rate["text"][0].startswith("样本少")  # reversed: largest channel on top
    assert rate["marker"]["color"][0] == fo.GREY and mix["layout"]["xaxis2"]["range"][1] < 1
    cats = pd.DataFrame({"category": ["x"], "name": ["材料"], "bad": [1], "hidden": [2], "messages": [3],
                         "total": [6], "share": [100.0], "link": ["/records?category=x"],
                         "bad_link": ["/records?b"], "hidden_link": ["/records?h"], "messages_link": ["/records?m"]})
    segments = fo.categories_bar(cats)["data"]
    assert [s["customdata"][0][0] for s in segments] == ["/records?b", "/records?h", "/records?m"]


def test_satisfaction_trend_keeps_small_samples_inside_the_others_range():
    trend = pd.DataFrame({"period": [date(2026, 3, d) for d in (2, 9, 16)],
                          "period_end": [date(2026, 3, 8), date(2026, 3, 15), date(2026, 3, 22)],
                          "total": [400, 380, 2], "bad": [1, 2, 1], "bad_rate": [0.25, 0.53, 50.0],
                          "good_rate": [99.0, 98.0, 50.0], "avg_score_10": [9.5, 9.4, 5.0], "small": [False, False, True],
                          "link": ["/records?w=1", "/records?w=2", "/records?w=3"]})
    spec = fo.trend_satisfaction(trend, "week")
    good, score, few = spec["data"]
    assert good["y"] == [99.0, 98.0, None] and score["y"] == [9.5, 9.4, None]
    assert few["name"] == "样本少" and few["y"] == [98.0] and few["customdata"][0][2:] == [50.0, 2]
    go.Figure(spec)  # valid



def test_the_selected_period_is_named_in_the_legend_not_over_the_lines():
    """A trend reaching back before the selected period shades the period's buckets and names the shade in the
    legend under the plot: a 所选时段 label inside the plot's top edge ran over the 100 % 好评率 line."""
    trend = pd.DataFrame({"period": [date(2026, 3, d) for d in (2, 9, 16)],
                          "period_end": [date(2026, 3, 8), date(2026, 3, 15), date(2026, 3, 22)],
                          "total": [400, 380, 390], "bad": [1, 2, 0], "bad_rate": [0.25, 0.53, 0.0],
                          "good_rate": [99.0, 100.0, 100.0], "avg_score_10": [9.5, 9.9, 9.9],
                          "small": [False, False, False], "anomaly": [None, None, None], "reason": [None] * 3,
                          "link": ["/records?w=1", "/records?w=2", "/records?w=3"],
                          "bad_link": ["/records?b=1", "/records?b=2", "/records?b=3"]})
    for make in (fo.trend_satisfaction, fo.trend_volume):
        spec = make(trend, "week", (date(2026, 3, 9), date(2026, 3, 22)))
        (shade,) = spec["layout"]["shapes"]
        assert (shade["x0"], shade["x1"]) == (date(2026, 3, 9), date(2026, 3, 16))
        assert not spec["layout"].get("annotations")  # nothing written over the plot
        named = [t for t in spec["data"] if t["name"] == "所选时段"]
        assert len(named) == 1 and named[0]["marker"]["color"] == shade["fillcolor"]
        go.Figure(spec)  # valid
        whole = make(trend, "week", (date(2026, 3, 2), date(2026, 3, 22)))  # the window is the period
        assert "shapes" not in whole["layout"] and all(t["name"] != "所选时段" for t in whole["data"])


@pytest.mark.parametrize(("good", "score"), [((99.42, 99.7, 100.0), (9.815, 9.95, 9.9)),
                                            ((100.0, 100.0, 100.0), (9.9, 9.9, 9.9)),
                                            ((81.3, 95.5, 88.0), (7.2, 9.1, 8.4))])
def test_satisfaction_axes_tick_numbers_that_read_exactly(good, score):
    """The 整体平均分 axis of the demo read 9.81, 9.83, 9.86, 9.88 …: Plotly stepped by 0.025 under a ".2f" format.
    Each axis now steps by 1, 2 or 5 × 10^k with as many decimals as its step, covers its values, and puts no tick
    above 100 % or 10 points."""
    trend = pd.DataFrame({"period": [date(2026, 3, d) for d in (2, 9, 16)],
                          "period_end": [date(2026, 3, 8), date(2026, 3, 15), date(2026, 3, 22)],
                          "total": [400, 380, 390], "good_rate": list(good), "avg_score_10": list(score),
                          "small": [False] * 3, "link": ["/r?1", "/r?2", "/r?3"]})
    layout = fo.trend_satisfaction(trend, "week")["layout"]
    for axis, values, upper in ((layout["yaxis"], good, 100), (layout["yaxis2"], score, 10)):
        step, decimals = axis["dtick"], int(axis["tickformat"][1:].rstrip("~f"))
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert any(math.isclose(mantissa, m) for m in (1, 2, 5)), axis
        lo, hi = axis["range"]
        assert lo <= min(values) and max(values) <= hi
        ticks = [axis["tick0"] + i * step for i in range(int((hi - axis["tick0"]) / step + 1e-9) + 1)]
        assert all(math.isclose(round(t, decimals), t, abs_tol=1e-9) for t in ticks), (ticks, decimals)
        assert max(ticks) <= upper + 1e-9 and 3 <= len(ticks) <= 11


def test_the_category_chart_leaves_the_residual_rows_to_a_line_under_it():
    """12345 messages outside the taxonomy (filed as 其他问题) drawn beside the taxonomy's categories flattened
    every other bar (the demo month: 276 against at most 17), so the chart draws the named categories and the page
    lists 其他问题, 未分类 and the messages outside the taxonomy under it, as the bulletin's chart leaves them out.
    (The links here are the test's own; the overview's point the outside row at other + message.)"""
    from dashboards.pages.overview import named_categories, residual_categories

    frame = pd.DataFrame({
        "category": ["timeliness", "other", "other", None, "materials"],
        "kind": ["rating", "message", "rating", "rating", "rating"],
        "level": [1, None, 2, 1, 4], "is_default": [False] * 5, "voided": [False] * 5,
        "n": [3, 276, 2, 1, 10], "hidden": [0, 0, 0, 0, 4]})
    t = category_table(frame, load_taxonomy())
    t["records_query"] = [None if c == "_unscored" else f"category={c}" for c in t["category"]]
    t["messages_records_query"] = [None if c == "_unscored" else f"category={c}&kind=message" for c in t["category"]]
    named = named_categories(t)
    assert list(named["category"]) == ["materials", "timeliness"]
    spec = fo.categories_bar(named)
    assert [s["name"] for s in spec["data"]] == ["差评", "隐性投诉"]  # no 留言 segment: no category holds one
    assert max(max(s["x"]) for s in spec["data"]) == 4  # the axis is the named categories', not 278
    rest = residual_categories(t, "/records")
    assert rest == [{"name": "其他问题", "total": 2, "messages": 0, "link": "/records?category=other",
                     "messages_link": "/records?category=other&kind=message", "outside": False},
                    {"name": "未分类", "total": 1, "messages": 0, "link": None, "messages_link": None,
                     "outside": False},
                    {"name": "分类外的12345留言", "total": 276, "messages": 276,
                     "link": "/records?category=_outside_messages",
                     "messages_link": "/records?category=_outside_messages&kind=message", "outside": True}]
    assert residual_categories(t.iloc[:0], "/records") == [] and named_categories(t.iloc[:0]).empty
