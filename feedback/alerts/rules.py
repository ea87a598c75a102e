"""预警 rules of the [alerts] settings: pure functions over count frames (no database, no Flask).

Weeks run Monday to Sunday. "This week" is the week of the latest record (``as_of``), so a replay of old data
alerts the same way today as it did then; the running week is compared while it is still partial.
Three rules:

- ``dept_bad_rate``: a department's weekly 差评率 (the bulletin KPI: non-default 不满意 + 非常不满意 over valid
  ratings, ``feedback.stats.kpi.rating_table``) at or above ``dept_bad_rate_threshold`` percent, with at least
  ``dept_bad_rate_min_volume`` ratings and ``dept_bad_rate_min_bad`` 差评 that week;
- ``category_burst``: a complaint category's weekly complaints (差评, hidden complaints and messages) at least
  ``burst_factor`` times their average over the ``burst_baseline_weeks`` weeks before (only whole weeks inside
  the data count) and at least ``burst_min_count``;
- ``hidden_doubling``: a service's hidden complaints at least ``hidden_factor`` times the week before and at
  least ``hidden_min_count`` (from zero the minimum alone decides).

Every alert names the explorer filters of the records behind it (``link``), and is unique per rule, subject
and week (``period``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from feedback.stats import kpi

RULES: dict[str, str] = {
    "dept_bad_rate": "部门差评率超阈值",
    "category_burst": "问题类别激增",
    "hidden_doubling": "隐性投诉翻倍",
}
STATUSES = {"open": "待处理", "closed": "已处理"}  # a stored alert's status


@dataclass(frozen=True)
class Fired:
    """One alert of one rule for one subject and week, before it is stored."""

    rule: str
    subject: str  # department key, category slug or service key
    subject_name: str
    period_start: date  # Monday
    period_end: date  # Sunday, or the latest data day of the running week
    dept_code: str | None  # the department the alert belongs to (None: city-wide)
    dept_name: str | None
    value: float
    baseline: float | None
    threshold: float
    count: int
    volume: int | None
    message: str
    link: tuple[tuple[str, str], ...]  # explorer URL parameters of the records behind it

    @property
    def period(self) -> str:
        return self.period_start.isoformat()

    @property
    def key(self) -> tuple[str, str, str]:
        return self.rule, self.subject, self.period

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "rule_name": RULES[self.rule], "subject": self.subject,
            "subject_name": self.subject_name, "period": self.period,
            "period_start": self.period_start.isoformat(), "period_end": self.period_end.isoformat(),
            "dept_code": self.dept_code, "dept_name": self.dept_name, "value": self.value,
            "baseline": self.baseline, "threshold": self.threshold, "count": self.count, "volume": self.volume,
            "message": self.message, "link": [list(p) for p in self.link],
        }


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def weeks_to_check(as_of: date, n: int) -> list[date]:
    """The Mondays of the ``n`` weeks up to the week of ``as_of``, oldest first."""
    last = week_start(as_of)
    return [last - timedelta(weeks=i) for i in range(max(n, 1) - 1, -1, -1)]


def first_full_week(data_start: date) -> date:
    """The Monday of the first week wholly inside the data (a partial first week is no baseline)."""
    monday = week_start(data_start)
    return monday if monday == data_start else monday + timedelta(weeks=1)


def window_start(as_of: date, cfg: Any) -> date:
    """First day whose records the rules need: the checked weeks and the baseline weeks before them."""
    before = max(int(cfg.burst_baseline_weeks), 1)
    return weeks_to_check(as_of, cfg.lookback_weeks)[0] - timedelta(weeks=before)


def _period_end(monday: date, as_of: date) -> date:
    return min(monday + timedelta(days=6), as_of)


def _week_of(day: pd.Series) -> pd.Series:
    """The Monday of each day, as dates."""
    days = pd.to_datetime(day)
    return (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.date


def _weekly(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    """Sum ``value`` by ``keys`` and week (column ``week``: the Monday)."""
    if frame.empty:
        return pd.DataFrame(columns=[*keys, "week", value])
    return frame.assign(week=_week_of(frame["day"])).groupby([*keys, "week"], dropna=False)[value].sum().reset_index()


def _period_args(monday: date, as_of: date) -> tuple[tuple[str, str], ...]:
    return ("start", monday.isoformat()), ("end", _period_end(monday, as_of).isoformat())


def _week_words(monday: date, as_of: date) -> str:
    end = _period_end(monday, as_of)
    running = "，截至 " + end.strftime("%m-%d") if end < monday + timedelta(days=6) else ""
    return f"{monday.isoformat()} 当周（{monday.strftime('%m-%d')}～{(monday + timedelta(days=6)).strftime('%m-%d')}{running}）"


def dept_bad_rate(ratings: pd.DataFrame, weeks: Iterable[date], as_of: date, cfg: Any, *,
                  good_includes_basic: bool = True) -> list[Fired]:
    """Rule (a) over a rating frame by dept_key, dept_name, day, level, is_default, voided, n (and projects,
    hidden): the KPI module's own 差评率 per department and week."""
    weeks = set(weeks)
    if ratings.empty or not weeks:
        return []
    frame = ratings.assign(week=_week_of(ratings["day"]))
    frame = frame[frame["week"].isin(weeks)]
    if frame.empty:
        return []
    names = frame.groupby("dept_key", dropna=False)["dept_name"].agg(lambda s: s.dropna().max() if s.notna().any()
                                                                     else None)
    table = kpi.rating_table(frame.drop(columns=["dept_name"]), ["dept_key", "week"],
                             good_includes_basic=good_includes_basic)
    hit = table[(table["total"] >= cfg.dept_bad_rate_min_volume) & (table["bad"] >= cfg.dept_bad_rate_min_bad)
                & (table["bad_rate"] >= cfg.dept_bad_rate_threshold)]
    out = []
    for r in hit.sort_values(["week", "bad_rate", "dept_key"], ascending=[True, False, True]).itertuples():
        if r.dept_key is None or pd.isna(r.dept_key):
            continue
        name = names.get(r.dept_key) or r.dept_key
        msg = (f"【{RULES['dept_bad_rate']}】{name} {_week_words(r.week, as_of)}差评率 {r.bad_rate:.2f}%"
               f"（差评 {int(r.bad):,} 条 / 评价 {int(r.total):,} 条），阈值 {cfg.dept_bad_rate_threshold:g}%")
        link = (("dept", r.dept_key), ("kind", "rating"), ("level", "1"), ("level", "2"),
                *_period_args(r.week, as_of))
        out.append(Fired("dept_bad_rate", str(r.dept_key), str(name), r.week, _period_end(r.week, as_of),
                         str(r.dept_key), str(name), round(float(r.bad_rate), 4), None,
                         float(cfg.dept_bad_rate_threshold), int(r.bad), int(r.total), msg, link))
    return out


def complaint_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Complaints per category and day from a count frame by category, day, kind, level, is_default (with n
    and hidden): messages, non-default 差评, and hidden complaints of the other ratings."""
    if counts.empty:
        return pd.DataFrame(columns=["category", "day", "n"])
    level = counts["level"].astype("float64")
    rating = counts["kind"].eq("rating")
    default = counts["is_default"].fillna(False).astype(bool)
    bad = rating & ~default & (level <= kpi.BAD_MAX_LEVEL)
    n = counts["n"].where(counts["kind"].eq("message") | bad, 0) + counts["hidden"].where(rating & ~bad, 0)
    frame = pd.DataFrame({"category": counts["category"], "day": counts["day"], "n": n.astype("int64")})
    frame = frame[frame["category"].notna() & (frame["n"] > 0)]
    return frame.groupby(["category", "day"], as_index=False)["n"].sum()


def category_burst(complaints: pd.DataFrame, weeks: Iterable[date], as_of: date, data_start: date | None,
                   cfg: Any, names: Mapping[str, str] | None = None) -> list[Fired]:
    """Rule (b) over complaints by category and day (``complaint_counts``)."""
    names = names or {}
    weekly = _weekly(complaints, ["category"], "n")
    if weekly.empty or data_start is None:
        return []
    first_week = first_full_week(data_start)
    table = weekly.pivot_table(index="category", columns="week", values="n", aggfunc="sum", fill_value=0)
    out = []
    for monday in sorted(weeks):
        base_weeks = [monday - timedelta(weeks=i) for i in range(1, cfg.burst_baseline_weeks + 1)]
        base_weeks = [w for w in base_weeks if w >= first_week]
        if not base_weeks:
            continue  # nothing to compare with yet
        for cat in sorted(table.index):
            now = int(table.at[cat, monday]) if monday in table.columns else 0
            base = sum(int(table.at[cat, w]) for w in base_weeks if w in table.columns) / len(base_weeks)
            if now < cfg.burst_min_count or now < cfg.burst_factor * base:
                continue
            ratio = now / base if base > 0 else None
            name = names.get(cat, cat)
            times = f"为前 {len(base_weeks)} 周平均（{base:.1f} 条）的 {ratio:.1f} 倍" if ratio else \
                f"前 {len(base_weeks)} 周没有"
            msg = f"【{RULES['category_burst']}】{name} {_week_words(monday, as_of)}投诉 {now:,} 条，{times}"
            out.append(Fired("category_burst", str(cat), name, monday, _period_end(monday, as_of), None, None,
                             round(float(ratio), 4) if ratio else float(now), round(base, 4),
                             float(cfg.burst_factor), now, None, msg,
                             (("category", str(cat)), *_period_args(monday, as_of))))
    return out


def hidden_doubling(hidden: pd.DataFrame, weeks: Iterable[date], as_of: date, data_start: date | None,
                    cfg: Any) -> list[Fired]:
    """Rule (c) over hidden complaints by service_key, service_name, dept_key, dept_name, day, hidden. The alert
    belongs to the department with most of the service's hidden complaints that week."""
    if hidden.empty or data_start is None or not hidden["hidden"].any():
        return []
    frame = hidden[hidden["hidden"] > 0]
    weekly = _weekly(frame, ["service_key"], "hidden")
    table = weekly.pivot_table(index="service_key", columns="week", values="hidden", aggfunc="sum", fill_value=0)
    frame = frame.assign(week=_week_of(frame["day"]))
    first_week = first_full_week(data_start)
    out = []
    for monday in sorted(weeks):
        before = monday - timedelta(weeks=1)
        if before < first_week or monday not in table.columns:
            continue
        for svc in sorted(table.index):
            now = int(table.at[svc, monday])
            prev = int(table.at[svc, before]) if before in table.columns else 0
            if now < cfg.hidden_min_count or now < cfg.hidden_factor * prev:
                continue
            part = frame[(frame["service_key"] == svc) & (frame["week"] == monday)]
            by_dept = part.groupby("dept_key", dropna=False)["hidden"].sum().sort_values(ascending=False,
                                                                                         kind="mergesort")
            dept = by_dept.index[0] if len(by_dept) and not pd.isna(by_dept.index[0]) else None
            dept_name = part.loc[part["dept_key"] == dept, "dept_name"].dropna().max() if dept else None
            name = part["service_name"].dropna().max() if part["service_name"].notna().any() else svc
            times = f"上周 {prev:,} 条（{now / prev:.1f} 倍）" if prev else "上周没有"
            msg = f"【{RULES['hidden_doubling']}】{name} {_week_words(monday, as_of)}隐性投诉 {now:,} 条，{times}"
            out.append(Fired("hidden_doubling", str(svc), str(name), monday, _period_end(monday, as_of),
                             None if dept is None else str(dept), dept_name,
                             round(now / prev, 4) if prev else float(now), float(prev), float(cfg.hidden_factor),
                             now, None, msg,
                             (("service", str(svc)), ("hidden", "1"), *_period_args(monday, as_of))))
    return out


@dataclass(frozen=True)
class AlertInputs:
    """The frames the rules read (built by ``feedback.alerts.queries.load_inputs``)."""

    as_of: date | None  # day of the latest record
    data_start: date | None  # day of the first record
    ratings: pd.DataFrame  # rule (a)
    complaints: pd.DataFrame  # rule (b)
    hidden: pd.DataFrame  # rule (c)


def evaluate(inputs: AlertInputs, cfg: Any, *, names: Mapping[str, str] | None = None,
             good_includes_basic: bool = True) -> list[Fired]:
    """Every rule over the checked weeks, in rule order then week."""
    if inputs.as_of is None:
        return []
    weeks = weeks_to_check(inputs.as_of, cfg.lookback_weeks)
    return [
        *dept_bad_rate(inputs.ratings, weeks, inputs.as_of, cfg, good_includes_basic=good_includes_basic),
        *category_burst(inputs.complaints, weeks, inputs.as_of, inputs.data_start, cfg, names),
        *hidden_doubling(inputs.hidden, weeks, inputs.as_of, inputs.data_start, cfg),
    ]


def webhook_text(alert: Fired | Mapping[str, Any], link: str | None = None) -> str:
    """The text a 钉钉 / 企业微信 bot shows for one alert."""
    message = alert.message if isinstance(alert, Fired) else alert["message"]
    return f"好差评预警 {message}" + (f"\n查看记录：{link}" if link else "")
