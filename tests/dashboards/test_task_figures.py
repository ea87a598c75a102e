"""The 优化任务 detail's weekly chart names each month once on its axis (Plotly's own ticks on a long weekly series
fall every other week under a month format: 6月 7月 7月 8月 8月)."""

from __future__ import annotations

import pandas as pd

from dashboards.figures.tasks import series_frame, task_sparkline, week_ticks


def _labels(weeks: pd.Series) -> list[str]:
    """The tick labels the axis draws: every dtick months from tick0, within the series' range, formatted."""
    ticks = week_ticks(weeks)
    step = int(ticks["dtick"][1:])
    first, last = weeks.min(), weeks.max()
    out, m = [], pd.Timestamp(ticks["tick0"])
    while m <= last:
        if m >= first:
            out.append(m.strftime(ticks["tickformat"].replace("%-m", str(m.month))))
        m += pd.DateOffset(months=step)
    return out


def test_a_long_series_names_each_month_once():
    weeks = pd.Series(pd.date_range("2026-05-04", "2026-10-26", freq="W-MON"))
    assert _labels(weeks) == ["6月", "7月", "8月", "9月", "10月"]
    fig = task_sparkline(series_frame([[d.strftime("%Y-%m-%d"), 1.0] for d in weeks]))
    assert fig.layout.xaxis.dtick == "M1" and fig.layout.xaxis.tickformat == "%-m月"


def test_a_series_over_two_years_names_the_year_and_thins_the_months():
    weeks = pd.Series(pd.date_range("2025-03-03", "2026-10-26", freq="W-MON"))
    labels = _labels(weeks)
    assert len(labels) == len(set(labels)) <= 10
    assert labels == ["25年4月", "25年7月", "25年10月", "26年1月", "26年4月", "26年7月", "26年10月"]  # every third


def test_a_short_series_shows_days():
    weeks = pd.Series(pd.date_range("2026-09-07", "2026-10-26", freq="W-MON"))
    assert week_ticks(weeks) == {"tickformat": "%m-%d"}
