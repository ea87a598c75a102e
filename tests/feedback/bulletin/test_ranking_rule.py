"""The bulletin's 下步工作 and 存在问题 follow the ranking rule: a unit without 差评 is never named for 督办 (issue 15:
"对黑榜部门…开展跟踪督办，分析差评原因" named a department with 100 % 好评率)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from feedback.bulletin import findings
from feedback.bulletin.model import LedgerSummary, Tasks
from feedback.stats.rankings import Ranking, RankRule, rank_units, rule_caption

KPIS = {"mom": {}, "yoy": {}}
LEDGER = LedgerSummary(month={}, backlog={}, statuses=pd.DataFrame(), overdue_units=pd.DataFrame(),
                       as_of=datetime(2026, 1, 31, 23, 59, 59))
TASKS = Tasks(top=pd.DataFrame(columns=["status"]), states=pd.DataFrame(), total=0)
EMPTY = pd.DataFrame()


def _ranking(rule: RankRule) -> Ranking:
    table = pd.DataFrame({"key": ["B", "A", "C"], "name": ["部门乙", "部门甲", "部门丙"], "total": [300, 300, 300],
                          "bad": [0, 2, 0], "bad_rate": [0.0, 0.67, 0.0], "adjusted_bad_rate": [0.0, 0.7, 0.0],
                          "avg_score_10": [9.8, 9.6, 9.4], "active_rate": [50.0] * 3, "oe_ratio": [0.0, 3.0, 0.0],
                          "expected": [0.67, 0.67, 0.67]})
    ranked, red, black = rank_units(table, "key", rule)
    return Ranking(unit="dept", table=ranked, red=red, black=black, min_volume=rule.min_volume, metric=rule.metric,
                   caption=rule_caption(rule))


def _dubanned(actions: list[str]) -> str | None:
    return next((a for a in actions if "督办" in a and "黑榜" in a), None)


def test_actions_name_only_black_units_with_bad():
    # the old rule lets 部门丙 (no 差评, lowest 平均分) onto the 黑榜; the sentence still names only 部门甲
    loose = _ranking(RankRule(metric="mean_score", board_size=1, black_requires_bad=False,
                                black_requires_excess=False))
    assert list(loose.black["name"]) == ["部门丙"]
    assert _dubanned(findings.actions(KPIS, loose, EMPTY, EMPTY, TASKS, LEDGER)) is None
    wide = _ranking(RankRule(metric="mean_score", board_size=1, black_requires_bad=False,
                                black_requires_excess=False))
    wide = Ranking(unit="dept", table=wide.table, red=wide.red.head(0), black=wide.table.iloc[::-1], min_volume=30)
    sentence = _dubanned(findings.actions(KPIS, wide, EMPTY, EMPTY, TASKS, LEDGER))
    assert sentence is not None and "部门甲" in sentence and "部门丙" not in sentence
    problems = findings.problems({**KPIS, "bad_rate": 0.2}, EMPTY, loose, loose, EMPTY, EMPTY,
                                 type("C", (), {"table": pd.DataFrame({"residual": []}), "classified": False})(),
                                 LEDGER)
    assert not any("部门丙" in p for p in problems)


def test_the_default_rule_sends_the_unit_with_bad_to_supervision():
    fair = _ranking(RankRule(metric="mean_score", board_size=1))
    assert list(fair.black["name"]) == ["部门甲"]
    sentence = _dubanned(findings.actions(KPIS, fair, EMPTY, EMPTY, TASKS, LEDGER))
    assert sentence is not None and "部门甲" in sentence
