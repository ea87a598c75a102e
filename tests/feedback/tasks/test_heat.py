"""Heat index (热度) of topic tasks: absolute log scales, points that sum to the heat, the blend into priority."""

import math
from datetime import datetime, timedelta

import pandas as pd
import pytest

from feedback.tasks.config import TaskSettings
from feedback.tasks.heat import (
    HEAT_COMPONENTS,
    blend,
    heat_components,
    heat_formula,
    heat_records,
    heat_scores,
)
from feedback.tasks.priority import components, group_metrics, score

CFG = TaskSettings()
AS_OF = datetime(2026, 6, 30, 12, 0)


def _metrics(**cols):
    base = {"signals": 10, "citizens": 8, "support": 0.0, "active_weeks": 2, "burst_z": 0.0, "age_days": 0.0}
    base.update(cols)
    n = max(len(v) if isinstance(v, list) else 1 for v in base.values())
    return pd.DataFrame({k: v if isinstance(v, list) else [v] * n for k, v in base.items()})


def test_components_use_absolute_log_scales_capped_at_one():
    c = heat_components(_metrics(signals=[1, 50, 500], citizens=[1, 30, 300], support=[0, 1000, 5000],
                                 active_weeks=[1, 13, 40], burst_z=[0.0, 3.0, 60.0], age_days=[0.0, 30.0, 60.0]), CFG)
    assert c.loc[0, "volume"] == pytest.approx(math.log(2) / math.log(51))
    assert c.loc[1, "volume"] == pytest.approx(1.0) and c.loc[2, "volume"] == 1.0
    assert c.loc[1, "citizens"] == pytest.approx(1.0) and c.loc[2, "citizens"] == 1.0
    assert c.loc[0, "support"] == 0.0 and c.loc[1, "support"] == pytest.approx(1.0)
    assert c.loc[1, "persistence"] == pytest.approx(1.0) and c.loc[0, "persistence"] == pytest.approx(1 / 13)
    assert c.loc[1, "burst"] == pytest.approx(0.5) and c.loc[2, "burst"] == 1.0
    assert list(c.loc[:, "recency"]) == pytest.approx([1.0, 0.5, 0.25])
    assert ((c >= 0) & (c <= 1)).all().all()


def test_a_task_keeps_its_heat_when_another_grows():
    a = heat_scores(_metrics(signals=[5, 10], citizens=[5, 10], support=[30.0, 40.0]), CFG)
    b = heat_scores(_metrics(signals=[5, 5000], citizens=[5, 4000], support=[30.0, 90000.0]), CFG)
    assert a.iloc[0] == pytest.approx(b.iloc[0])


def test_records_show_each_component_with_points_that_sum_to_the_heat():
    m = _metrics(signals=[38, 1], citizens=[30, 1], support=[1110.0, 0.0], active_weeks=[5, 1], burst_z=[4.2, 0.5],
                 age_days=[3.0, 200.0])
    rec = heat_records(m, CFG)
    hot, cold = rec[0], rec[1]
    assert set(hot["components"]) == set(HEAT_COMPONENTS)
    assert hot["components"]["volume"]["value"] == 38 and hot["components"]["support"]["value"] == 1110
    assert sum(c["points"] for c in hot["components"].values()) == pytest.approx(hot["score"], abs=0.05)
    assert 0 < cold["score"] < hot["score"] <= 100
    assert heat_records(m, CFG, groups=[1]).keys() == {1}


def test_weights_change_the_heat_and_zero_weights_give_zero():
    m = _metrics(signals=[2], support=[5000.0])
    support_only = TaskSettings(heat_w_volume=0, heat_w_citizens=0, heat_w_persistence=0, heat_w_burst=0,
                                heat_w_recency=0)
    assert heat_scores(m, support_only).iloc[0] == pytest.approx(100.0)
    nothing = TaskSettings(heat_w_volume=0, heat_w_citizens=0, heat_w_support=0, heat_w_persistence=0,
                           heat_w_burst=0, heat_w_recency=0)
    assert heat_scores(m, nothing).iloc[0] == 0.0


def test_blend_touches_topics_only():
    p = pd.Series([40.0, 40.0])
    h = pd.Series([80.0, 80.0])
    out = blend(p, h, pd.Series([True, False]), TaskSettings(heat_share=0.25))
    assert list(out) == [pytest.approx(50.0), 40.0]


def _signals(spec):
    rows, rid = [], 0
    for group, n, days_ago, votes in spec:
        for i in range(n):
            rid += 1
            rows.append({"record_id": rid, "group": group, "kind": "message", "level": None, "weight": 0.6,
                         "rated_at": AS_OF - timedelta(days=days_ago + i), "votes_up": votes, "votes_down": 0,
                         "evaluator_hash": f"e{rid}", "project_no": None})
    return pd.DataFrame(rows)


def test_a_hot_topic_outranks_a_cold_one_of_the_same_size_through_the_blend():
    # two topics of 6 messages: one recent with 300 likes each, one a year old without likes
    sig = _signals([(0, 6, 300, 0), (1, 6, 1, 300)])
    groups = pd.DataFrame({"group": [0, 1], "kind": "topic", "category": None, "seg_service": None,
                           "seg_dept": None, "task_key": ["a", "b"]})
    m = group_metrics(sig, groups, pd.DataFrame(), AS_OF, CFG)
    assert list(m["citizens"]) == [6, 6]
    kinds = groups.set_index("group")["kind"]
    keys = groups.set_index("group")["task_key"]
    plain = score(m, components(m, CFG), keys, CFG)
    hot = score(m, components(m, CFG), keys, CFG, kinds)
    assert hot.loc[1, "rank"] == 1
    h = heat_scores(m, CFG)
    assert hot.loc[1, "score"] == pytest.approx(0.5 * plain.loc[1, "score"] + 0.5 * h.loc[1], abs=1e-5)


def test_formula_names_the_configured_weights_and_scales():
    text = heat_formula(TaskSettings(heat_w_support=0.35, heat_support_full=2000, heat_share=0.4))
    assert "0.35·支持度" in text and "ln(1+2000)" in text and "0.6 × 优先级公式 + 0.4 × 热度" in text


@pytest.mark.parametrize("key, value", [("heat_share", 1.5), ("heat_w_support", -0.1), ("heat_support_full", 0)])
def test_heat_keys_out_of_range_are_refused(key, value):
    from feedback.settings import SettingsError, settings_from_mapping

    with pytest.raises(SettingsError, match=rf"^tasks\.{key} = .* 超出允许范围"):
        settings_from_mapping({"tasks": {key: value}})
    assert getattr(settings_from_mapping({"tasks": {key: 0.3 if key != "heat_support_full" else 500}}).tasks, key) in (
        0.3, 500)
