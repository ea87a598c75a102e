"""The ranking rule (feedback.stats.rankings): who may be on the 黑榜, the minimum volume, the metric switch, and
the one caption that states the rule."""

from __future__ import annotations

import pandas as pd
import pytest

from feedback.settings import RANKING_METRICS, SettingsError, settings_from_mapping
from feedback.stats.rankings import METRIC_ORDERS, RankRule, rank_units, rule_caption


def _units(rows: list[tuple]) -> pd.DataFrame:
    """(key, total, bad, adjusted_bad_rate, avg_score_10) → a unit table as unit_ranking joins it."""
    t = pd.DataFrame(rows, columns=["key", "total", "bad", "adjusted_bad_rate", "avg_score_10"])
    t["bad_rate"] = t["bad"] / t["total"] * 100.0
    t["active_rate"] = 50.0
    return t


# The case: F has 100 % 好评 and no 差评 but the lowest 平均分 (many 基本满意); under the old 平均分
# order it lands on the 黑榜.
UNITS = _units([
    ("A", 400, 0, 0.0, 9.80),
    ("B", 300, 1, 0.2, 9.60),
    ("C", 200, 4, 1.9, 9.50),
    ("D", 500, 3, 0.7, 9.40),
    ("E", 100, 2, 2.5, 9.70),
    ("F", 250, 0, 0.0, 9.37),
    ("S", 5, 3, 40.0, 4.00),  # tiny sample: never ranked
])


@pytest.mark.parametrize("metric", RANKING_METRICS)
def test_a_unit_without_bad_is_never_on_the_black_board(metric):
    ranked, red, black = rank_units(UNITS, "key", RankRule(metric=metric, min_volume=30, board_size=3))
    assert len(black) and (black["bad"] > 0).all()
    assert not set(red["key"]) & set(black["key"])
    assert "S" not in set(red["key"]) | set(black["key"])


def test_the_old_mean_score_rule_without_the_bad_requirement_puts_the_clean_unit_on_the_black_board():
    """What issue 15 reported, kept reachable by configuration and shown for contrast."""
    _, _, black = rank_units(UNITS, "key", RankRule(metric="mean_score", min_volume=30, board_size=3,
                                                    black_requires_bad=False))
    assert black.iloc[0]["key"] == "F"
    _, _, fair = rank_units(UNITS, "key", RankRule(metric="mean_score", min_volume=30, board_size=3))
    assert "F" not in set(fair["key"]) and fair.iloc[0]["key"] == "D"


def test_a_unit_with_no_more_bad_than_expected_is_not_on_the_black_board():
    """A month with few 差评: five units have any, and the board of five named a unit with fewer 差评 than its
    services and channels predict (实际/预期 0.8) beside ones at twice and more. It is left off now, and the
    caption says so; the old board stays reachable by configuration."""
    t = _units([("A", 400, 0, 0.0, 9.9), ("B", 300, 0, 0.0, 9.9), ("C", 900, 2, 0.1, 9.8),
                ("D", 500, 3, 0.3, 9.7), ("E", 200, 2, 0.5, 9.6), ("F", 250, 3, 0.6, 9.5),
                ("G", 800, 1, 0.6, 9.7), ("H", 600, 4, 0.9, 9.4), ("I", 300, 0, 0.0, 9.9), ("J", 300, 0, 0.0, 9.9),
                ("K", 300, 0, 0.0, 9.9)])
    t["oe_ratio"] = [0.0, 0.0, 0.8, 1.0, 2.1, 2.4, None, 3.5, 0.0, 0.0, 0.0]  # G: no case-mix figure, not judged on it
    _, red, black = rank_units(t, "key", RankRule(board_size=2))
    assert set(red["key"]) <= {"A", "B", "I", "J", "K"} and list(black["key"]) == ["H", "F"]
    _, _, black = rank_units(t, "key", RankRule(board_size=5))
    assert list(black["key"]) == ["H", "F", "G", "E"]  # D (1.0) and C (0.8) are as expected or better
    _, _, old = rank_units(t, "key", RankRule(board_size=5, black_requires_excess=False))
    assert list(old["key"]) == ["H", "F", "G", "E", "D"]
    assert "调整后差评率不高于整体差评率" in rule_caption(RankRule())
    assert "不高于整体差评率" not in rule_caption(RankRule(black_requires_excess=False))


def test_minimum_volume_keeps_small_units_unranked_and_off_both_boards():
    ranked, red, black = rank_units(UNITS, "key", RankRule(min_volume=250, board_size=5))
    eligible = set(ranked.loc[ranked["eligible"], "key"])
    assert eligible == {"A", "B", "D", "F"}
    assert ranked.loc[~ranked["eligible"], "rank"].isna().all()
    assert set(red["key"]) | set(black["key"]) <= eligible


def test_the_metric_decides_the_order():
    adjusted, _, black_adj = rank_units(UNITS, "key", RankRule(metric="adjusted_bad_rate", board_size=2))
    observed, _, black_obs = rank_units(UNITS, "key", RankRule(metric="bad_rate", board_size=2))
    score, _, _ = rank_units(UNITS, "key", RankRule(metric="mean_score", board_size=2))
    first = lambda t: list(t.loc[t["eligible"], "key"])  # noqa: E731
    # adjusted: the two clean units tie on 0 and split on 平均分; E (2.5) is worst
    assert first(adjusted) == ["A", "F", "B", "D", "C", "E"]
    # observed 差评率: E (2/100) and C (4/200) tie at 2.0 %; 平均分 decides (E 9.70 before C 9.50)
    assert first(observed) == ["A", "F", "B", "D", "E", "C"]
    assert first(score) == ["A", "E", "B", "C", "D", "F"]
    assert list(black_adj["key"]) == ["E", "C"] and list(black_obs["key"]) == ["C", "E"]


def test_missing_adjusted_rate_falls_back_to_the_observed_rate():
    t = UNITS.assign(adjusted_bad_rate=[None] * len(UNITS))
    ranked, _, _ = rank_units(t, "key", RankRule(metric="adjusted_bad_rate"))
    assert list(ranked.loc[ranked["eligible"], "key"])[:2] == ["A", "F"]
    assert ranked.loc[ranked["key"] == "C", "rank"].notna().all()


def test_caption_states_the_rule():
    rule = RankRule(metric="bad_rate", min_volume=50, board_size=4)
    text = rule_caption(rule)
    assert "评价数不少于50条" in text and "差评率由低到高" in text and "前4名" in text
    assert "没有差评的单位不列入黑榜" in text
    loose = rule_caption(RankRule(metric="mean_score", black_requires_bad=False))
    assert "整体平均分由高到低" in loose and "没有差评" not in loose
    assert "调整后差评率" in rule_caption(RankRule())


def test_settings_take_and_check_the_rule():
    s = settings_from_mapping({"kpi": {"ranking_metric": "bad_rate", "min_ranking_volume": 10,
                                       "black_requires_bad": False, "board_size": 3, "chart_min_volume": 20,
                                       "black_requires_excess": False}})
    assert RankRule.from_settings(s.kpi) == RankRule("bad_rate", 10, False, 3, False)
    assert s.kpi.chart_min_volume == 20
    with pytest.raises(SettingsError, match="ranking_metric"):
        settings_from_mapping({"kpi": {"ranking_metric": "avg"}})
    with pytest.raises(SettingsError, match="chart_min_volume"):
        settings_from_mapping({"kpi": {"chart_min_volume": -1}})
    assert set(RANKING_METRICS) == set(METRIC_ORDERS)
    with pytest.raises(ValueError):
        RankRule(metric="avg")
