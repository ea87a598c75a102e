"""Priority scoring: empirical-Bayes smoothing, trend and burst, deterministic ties, the shown formula."""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from feedback.tasks.config import COMPONENTS, TaskSettings
from feedback.tasks.priority import components, group_metrics, priority_formula, score, smoothed_rates

CFG = TaskSettings()
AS_OF = datetime(2026, 6, 30, 12, 0)


def _signals(spec):
    """spec: list of (group, n, days_ago_start, days_ago_end, kind, votes)."""
    rows, rid = [], 0
    for group, n, a, b, kind, votes in spec:
        for i in range(n):
            rid += 1
            ago = a + (b - a) * (i / max(n - 1, 1))
            rows.append({"record_id": rid, "group": group, "kind": kind, "level": 1 if kind == "rating" else None,
                         "weight": 1.0, "rated_at": AS_OF - timedelta(days=ago), "votes_up": votes,
                         "votes_down": 0, "evaluator_hash": f"e{rid}", "project_no": None})
    return pd.DataFrame(rows)


def _groups(n, kind="service", categories=None):
    return pd.DataFrame({"group": range(n), "kind": kind, "category": categories or ["timeliness"] * n,
                         "seg_service": [f"s{i}" for i in range(n)], "seg_dept": None, "seg_region": None,
                         "task_key": [f"k{i}" for i in range(n)]})


def test_one_of_three_does_not_outrank_fifty_of_ten_thousand():
    # 20 ordinary services at 0.2%, service 20 with 50 of 10,000, service 21 with 1 of 3
    k = np.array([20.0] * 20 + [50.0, 1.0])
    n = np.array([10_000.0] * 20 + [10_000.0, 3.0])
    r = smoothed_rates(pd.Series(k), pd.Series(n), pd.Series(["timeliness"] * 22), CFG)
    assert r.loc[20, "rate_smoothed"] > r.loc[21, "rate_smoothed"]
    assert r.loc[20, "rate_lift"] > 1.5  # a real 2.5× excess survives the smoothing
    assert r.loc[21, "rate_lift"] < 1.2  # 1 of 3 is shrunk to the baseline
    # a big service at the baseline rate gets no rate credit for its size
    assert abs(r.loc[0, "rate_lift"] - 1.0) < 0.05


def test_one_complaint_in_a_few_hundred_ratings_earns_no_rate_credit():
    """Complaints as rare as 0.1 % of ratings: the prior's ~100 pseudo-ratings hold 0.1 pseudo-complaints, so its
    mean put one complaint in 166 ratings at ~3.8 times the baseline and ranked it 8th of 408 service tasks in the
    demo. The rate component credits the posterior's 10 % quantile: one complaint is no evidence, a real excess
    (20 in 2,000 at a 0.1 % baseline) keeps nearly the full credit; the mean lift is still reported."""
    k = np.array([2.0] * 30 + [1.0, 20.0])
    n = np.array([2_000.0] * 30 + [166.0, 2_000.0])
    sig = _signals([(i, int(v), 1, 80, "rating", 0) for i, v in enumerate(k)])
    den = pd.DataFrame({"service_key": [f"s{i}" for i in range(32)], "dept_key": "d", "region_code": "", "n": n})
    m = group_metrics(sig, _groups(32), den, AS_OF, CFG)
    c = components(m, CFG)
    assert m.loc[30, "rate_lift"] > 1.5  # the posterior mean alone would credit the single complaint …
    assert m.loc[30, "rate_lift_low"] < 1.0 and c.loc[30, "rate"] == 0.0  # … its 10 % quantile does not
    assert m.loc[31, "rate_lift_low"] > 4.0 and c.loc[31, "rate"] > 0.85  # ten times the baseline: sure of it
    assert (m["rate_low"] <= m["rate_smoothed"]).all()
    median = components(m.assign(**smoothed_rates(m["volume"], m["rated"], pd.Series(["timeliness"] * 32),
                                                  TaskSettings(rate_quantile=0.5))), CFG)
    assert median.loc[30, "rate"] > 0.15  # at the median the singleton is credited again: the quantile decides


def test_full_score_prefers_fifty_of_ten_thousand_and_big_service_does_not_win_by_size():
    spec = [(i, 20, 1, 88, "rating", 0) for i in range(20)] + [(20, 50, 1, 88, "rating", 0),
                                                               (21, 1, 5, 5, "rating", 0),
                                                               (22, 400, 1, 88, "rating", 0)]
    sig = _signals(spec)
    groups = _groups(23)
    den = pd.DataFrame({"service_key": [f"s{i}" for i in range(23)], "dept_key": "d", "region_code": "",
                        "n": [10_000] * 21 + [3, 200_000]})
    m = group_metrics(sig, groups, den, AS_OF, CFG)
    c = components(m, CFG)
    ranked = score(m, c, groups.set_index("group")["task_key"], CFG)
    assert ranked.loc[20, "score"] > ranked.loc[21, "score"]
    assert c.loc[22, "rate"] == 0.0  # 400 of 200,000 is the baseline: no rate credit
    assert c.loc[22, "volume"] < c.loc[20, "volume"]  # and its size is not excess over the baseline
    assert ranked.loc[20, "rank"] < ranked.loc[22, "rank"]


def test_trend_and_burst():
    # group 0: steady; group 1: quiet, then a burst in the last two weeks
    spec = [(0, 60, 1, 89, "rating", 0), (1, 6, 30, 89, "rating", 0), (1, 30, 1, 12, "rating", 0)]
    sig = _signals(spec)
    m = group_metrics(sig, _groups(2), pd.DataFrame(columns=["service_key", "dept_key", "region_code", "n"]),
                      AS_OF, CFG)
    c = components(m, CFG)
    assert c.loc[1, "trend"] > 0.9 and c.loc[0, "trend"] < 0.2
    assert c.loc[1, "burst"] > 0.9 and c.loc[0, "burst"] < c.loc[1, "burst"]
    assert m.loc[1, "burst_week"] >= pd.Timestamp(AS_OF - timedelta(days=14)).normalize() - pd.Timedelta(days=7)


def test_components_in_range_and_rate_support_applicability():
    sig = _signals([(0, 5, 1, 20, "rating", 0), (1, 5, 1, 20, "message", 9)])
    groups = _groups(2, categories=["timeliness", None])
    groups.loc[1, "kind"] = "topic"
    den = pd.DataFrame({"service_key": ["s0"], "dept_key": ["d"], "region_code": [""], "n": [100]})
    c = components(group_metrics(sig, groups, den, AS_OF, CFG), CFG)
    assert list(c.columns) == list(COMPONENTS)
    assert np.isnan(c.loc[1, "rate"]) and np.isnan(c.loc[0, "support"])  # not applicable, not zero
    assert ((c.fillna(0) >= 0) & (c.fillna(0) <= 1)).all().all()


def test_ties_break_deterministically():
    sig = _signals([(0, 3, 2, 9, "rating", 0), (1, 3, 2, 9, "rating", 0), (2, 3, 2, 9, "rating", 0)])
    groups = _groups(3)
    groups["task_key"] = ["zz", "aa", "mm"]
    den = pd.DataFrame(columns=["service_key", "dept_key", "region_code", "n"])
    m = group_metrics(sig, groups, den, AS_OF, CFG)
    # identical figures apart from identity: same score, rank by task key
    m["last_seen"] = m["last_seen"].max()
    c = components(m, CFG)
    first = score(m, c, groups.set_index("group")["task_key"], CFG)
    again = score(m.iloc[::-1], c.iloc[::-1], groups.set_index("group")["task_key"], CFG)
    assert first["score"].nunique() == 1
    assert first["rank"].to_dict() == {1: 1, 2: 2, 0: 3} == again["rank"].to_dict()


def test_formula_shows_every_component_with_its_weight():
    text = priority_formula(CFG)
    for label in ("规模", "覆盖面", "差评率", "趋势", "突发", "持续性", "支持度", "时效"):
        assert label in text
    assert f"{CFG.w_rate:g}·差评率" in text and "经验贝叶斯" in text
