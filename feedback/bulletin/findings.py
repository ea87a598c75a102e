"""存在问题与下步工作: sentences filled from the bulletin's own figures by fixed templates. Nothing is said that a
table of the bulletin does not show; a template whose figures are missing is left out."""

from __future__ import annotations

from typing import Any

import pandas as pd

from feedback.bulletin import fmt
from feedback.bulletin.model import Complaints, LedgerSummary, Ranking, Tasks

OE_FLAG = 1.5  # a unit whose 差评 exceed its case-mix expectation by half is named
OE_MIN_BAD = 3  # … when it has at least this many 差评 (ratios of tiny counts say nothing)


def summary(month: str, kpis: dict[str, Any], scope_label: str) -> str:
    """总体情况 in one paragraph: the headline figures with their 环比 and 同比 (as in the KPI table)."""
    y, m = (int(p) for p in month.split("-"))
    k, mom, yoy = kpis, kpis["mom"], kpis["yoy"]
    if not k.get("total"):
        return f"{y}年{m}月，{scope_label}无有效评价数据。"
    s = (f"{y}年{m}月，{scope_label}共收到有效评价{fmt.count(k['total'])}条，环比{fmt.trend('total', mom.get('total'))}，"
         f"同比{fmt.trend('total', yoy.get('total'))}。其中主动评价{fmt.count(k['active_total'])}条，主动评价率"
         f"{fmt.rate(k['active_rate'])}；好评率{fmt.rate(k['good_rate'])}，环比{fmt.trend('good_rate', mom.get('good_rate'))}；"
         f"差评{fmt.count(k['bad'])}条，差评率{fmt.rate(k['bad_rate'])}；整体平均分{fmt.number(k['avg_score_10'])}分，"
         f"环比{fmt.trend('avg_score_10', mom.get('avg_score_10'))}。")
    if k.get("voided"):
        s += f"经申诉复核认定无效的差评{fmt.count(k['voided'])}条，不计入上述指标。"
    return s


def problems(kpis: dict[str, Any], changes: pd.DataFrame, regions: Ranking, depts: Ranking, services: pd.DataFrame,
             tags: pd.DataFrame, complaints: Complaints, ledger: LedgerSummary) -> list[str]:
    """What went wrong this month, and where (templated; figures as in the tables)."""
    out: list[str] = []
    d = kpis["mom"].get("bad_rate")
    where = _where(changes)
    if not fmt.missing(d):
        s = f"差评率为{fmt.rate(kpis['bad_rate'])}，环比{fmt.trend('bad_rate', d)}"
        if d > 0 and where:
            s += f"，主要集中在{where}"
        elif where:
            s += f"；但{where}"
        out.append(s + "。")
    elif kpis.get("bad"):
        out.append(f"本月差评{fmt.count(kpis['bad'])}条，差评率为{fmt.rate(kpis['bad_rate'])}（上月无可比数据）。")
    if not services.empty:
        top = services.iloc[0]
        out.append(f"差评最多的事项是“{top['service_name']}”，{fmt.count(top['bad'])}条，差评率"
                   f"{fmt.rate(top['bad_rate'])}。")
    if not tags.empty:
        parts = [f"“{t.text or t.tag}”{fmt.count(t.n)}次（占{fmt.rate(t.share)}）" for t in tags.itertuples()]
        out.append("差评标签中，" + "，".join(parts) + "居前。")
    out += _boards(regions, "县（市、区）") + _boards(depts, "部门")
    out += _case_mix(regions) + _case_mix(depts)
    named = complaints.table[~complaints.table["residual"].astype(bool)]
    if complaints.classified and not named.empty:
        top = [f"{r.name}（{fmt.count(r.total)}条）" for r in named.head(3).itertuples()]
        out.append("群众反映的问题主要集中在" + "、".join(top) + "。")
    if kpis.get("hidden_complaints"):
        out.append(f"另有隐性投诉{fmt.count(kpis['hidden_complaints'])}条（满意及以上评价但文字表达不满）。")
    out += _ledger(ledger)
    return out


def actions(kpis: dict[str, Any], depts: Ranking, services: pd.DataFrame, tags: pd.DataFrame, tasks: Tasks,
            ledger: LedgerSummary) -> list[str]:
    """下步工作: one follow-up per problem the figures show, addressed to the units they name."""
    out: list[str] = []
    overdue = ledger.backlog.get("overdue_cases") or 0
    if overdue:
        names = fmt.joined(list(ledger.overdue_units["name"]))
        out.append(f"督促{names or '相关单位'}等单位办结{fmt.count(overdue)}件超期差评工单，逐件核实整改并回访。")
    reply = ledger.month.get("reply_rate")
    if not fmt.missing(reply) and reply < 100:
        out.append(f"本月差评回复率为{fmt.rate(reply)}，对未反馈的差评逐件反馈并回访，做到实名差评回访率100%。")
    named = _with_bad(depts.black)
    if not named.empty:
        out.append(f"对黑榜部门{fmt.joined(list(named['name']))}开展跟踪督办，分析差评原因并限期整改。")
    if not services.empty:
        top = services.iloc[0]
        out.append(f"针对“{top['service_name']}”的差评，梳理办理流程和材料要求，减少重复跑动和补正。")
    if not tags.empty:
        out.append(f"围绕“{tags.iloc[0]['text'] or tags.iloc[0]['tag']}”问题开展专项核查。")
    if tasks.total:
        new = int((tasks.top["status"] == "new").sum())
        s = f"推进优化任务清单（共{tasks.total}项）"
        if new:
            s += f"，排名前{len(tasks.top)}项中有{new}项尚未受理，请明确责任人和完成时限"
        late = int((pd.to_numeric(tasks.top.get("overdue_days", pd.Series(dtype=float)), errors="coerce") > 0).sum())
        if late:  # due by the bulletin's day with the work still pending
            lead = "；有" if new else f"，排名前{len(tasks.top)}项中有"
            s += f"{lead}{late}项已过截止日期仍未上线，请督促按期完成"
        out.append(s + "。")
    if not out:
        out.append("本月未发现需要专项督办的问题，继续做好评价数据的日常监测。")
    return out


def _where(changes: pd.DataFrame) -> str | None:
    """The (region, department) whose 差评 grew most, in words; None when none grew."""
    if changes.empty or changes.iloc[0]["delta"] <= 0:
        return None
    r = changes.iloc[0]
    place = r["dept_name"] if str(r["dept_name"]).startswith(r["region_name"]) else r["region_name"] + r["dept_name"]
    return f"{place}（差评{fmt.count(r['bad'])}条，较上月增加{fmt.count(r['delta'])}条）"


def _with_bad(board: pd.DataFrame) -> pd.DataFrame:
    """The units of a board that have 差评: only they are named for 督办 (whatever the ranking rule lets onto
    the 黑榜, a unit nobody rated 不满意 has no 差评 to analyse)."""
    return board[pd.to_numeric(board["bad"], errors="coerce").fillna(0) > 0]


def _boards(ranking: Ranking, label: str) -> list[str]:
    black = _with_bad(ranking.black)
    if black.empty:
        return []
    r = black.iloc[0]
    s = (f"{label}排名末位为{r['name']}：整体平均分{fmt.number(r['avg_score_10'])}，差评率{fmt.rate(r['bad_rate'])}")
    if not fmt.missing(r["adjusted_bad_rate"]):
        s += f"（按事项和渠道结构调整后{fmt.rate(r['adjusted_bad_rate'])}）"
    return [s + "。"]


def _case_mix(ranking: Ranking) -> list[str]:
    t = ranking.table
    flagged = t[t["eligible"].astype(bool) & (t["oe_ratio"] >= OE_FLAG) & (t["bad"] >= OE_MIN_BAD)]
    flagged = flagged.sort_values(["oe_ratio", "key"], ascending=[False, True]).head(3)
    if flagged.empty:
        return []
    parts = [f"{r.name}（实际{fmt.count(r.bad)}条，预期{fmt.number(r.expected, 1)}条）" for r in flagged.itertuples()]
    return ["、".join(parts) + "的差评明显多于按其事项与渠道结构推算的预期（同一事项与其他办理单位比较；只有本单位办理的事项"
            "按渠道平均水平计）。"]


def _ledger(ledger: LedgerSummary) -> list[str]:
    m, b = ledger.month, ledger.backlog
    if not m.get("cases") and not b.get("open_cases"):
        return []
    s = f"本月差评工单{fmt.count(m.get('cases'))}件"
    if m.get("voided"):
        s += f"（申诉复核认定无效{fmt.count(m['voided'])}件）"
    at = ledger.as_of
    s += (f"，按时整改率{fmt.rate(m.get('on_time_rate'))}；截至{at.month}月{at.day}日，累计未办结"
          f"{fmt.count(b.get('open_cases'))}件，其中超期{fmt.count(b.get('overdue_cases'))}件")
    if b.get("overdue_cases") and not ledger.overdue_units.empty:
        top = ledger.overdue_units.iloc[0]
        s += f"，{top['name']}最多（{fmt.count(top['overdue_cases'])}件）"
    return [s + "。"]
