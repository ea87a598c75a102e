"""The bulletin's tables as every renderer shows them: which columns, their Chinese headers and their kind.

A kind decides the text form (HTML, DOCX) and the number format (XLSX); the values themselves are the
bulletin's, never recomputed here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from feedback.bulletin import Bulletin
from feedback.stats import formats, spec
from feedback.stats.complaint_mix import OUTSIDE, OUTSIDE_NOTE

# kind → XLSX number format
NUMBER_FORMATS = {"count": "#,##0", "rate": "0.00##", "score": "0.00", "pp": "+0.00##;-0.00##;0.00",
                  "pct": "+0.0;-0.0;0.0", "points": "+0.00;-0.00;0.00", "ratio": "0.00", "number": "0.0"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | count | rate | score | pp | pct | points | ratio | number | bool


@dataclass(frozen=True)
class Table:
    name: str  # sheet name (≤ 31 characters) and caption
    columns: tuple[Column, ...]
    frame: pd.DataFrame
    empty: str = "本月无数据。"  # said instead of an empty table
    note: str = ""  # a sentence under the table (the ranking rule under every ranking table)

    def rows(self) -> list[list[Any]]:
        """Raw cell values in column order (None for missing)."""
        cols = [c.key for c in self.columns]
        frame = self.frame.reindex(columns=cols)
        return [[_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]

    def kinds(self) -> list[list[str]]:
        """The kind of every cell; a "mixed" column takes its row's ``kind`` (the ledger summary)."""
        row_kinds = list(self.frame["kind"]) if "kind" in self.frame else ["text"] * len(self.frame)
        return [[rk if c.kind == "mixed" else c.kind for c in self.columns] for rk in row_kinds]

    def text_rows(self) -> list[list[str]]:
        return [[cell_text(k, v) for k, v in zip(kinds, row, strict=True)]
                for kinds, row in zip(self.kinds(), self.rows(), strict=True)]


def _plain(v: Any) -> Any:
    if formats.missing(v):
        return None
    return v.item() if hasattr(v, "item") and not isinstance(v, str) else v


def cell_text(kind: str, v: Any) -> str:
    """A cell as text: KPI kinds by the shared formatter (rates without %, pp and points without their unit,
    which the headers name), ratio and number with two and one decimals."""
    if formats.missing(v):
        return formats.MISSING
    if kind in ("count", "rate", "score"):
        return formats.value_text(kind, v, unit=False)
    if kind in ("pp", "pct", "points"):
        return formats.change_text(kind, v, unit=kind == "pct")
    if kind == "ratio":
        return formats.number(v)
    if kind == "number":
        return formats.number(v, 1)
    if kind == "bool":
        return "是" if v else "否"
    return str(v)


def _cols(*spec: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


def kpi_rows(b: Bulletin) -> list[tuple[str, str, Any, Any, Any]]:
    """(key, 指标, 本月, 环比, 同比) of the headline table (the spec's headline KPIs): the values of
    `haocha kpi --as-of <the bulletin's ledger moment> --json`."""
    k = b.kpis
    return [(s.key, s.label + ("(%)" if s.kind == "rate" else ""), k.get(s.key), k["mom"].get(s.key),
             k["yoy"].get(s.key)) for s in spec.SPECS if s.headline]


def change_kind(key: str) -> str:
    """The cell kind of a KPI's 环比 / 同比: pp, points or pct."""
    return spec.change_kind(key)


def value_kind(key: str) -> str:
    """The cell kind of a KPI's value: rate, score or count."""
    return spec.kind_of(key)


RATING_COLS = _cols(("total", "评价数", "count"), ("active_rate", "主动评价率(%)", "rate"),
                    ("good_rate", "好评率(%)", "rate"), ("bad", "差评数", "count"), ("bad_rate", "差评率(%)", "rate"),
                    ("avg_score_10", "平均分", "score"))
RANK_COLS = _cols(("rank", "排名", "count"), ("name", "单位", "text"), ("total", "评价数", "count"),
                  ("active_rate", "主动评价率(%)", "rate"), ("good_rate", "好评率(%)", "rate"),
                  ("bad", "差评数", "count"), ("bad_rate", "差评率(%)", "rate"),
                  ("adjusted_bad_rate", "调整后差评率(%)", "rate"), ("oe_ratio", "实际/预期", "ratio"),
                  ("on_time_rate", "按时整改率(%)", "rate"), ("avg_score_10", "平均分", "score"),
                  ("avg_score_10_mom", "平均分环比", "points"))
RANK_FULL_COLS = (*RANK_COLS[:9], Column("expected", "预期差评数", "number"), *RANK_COLS[9:],
                  Column("bad_rate_mom", "差评率环比(百分点)", "pp"), Column("total_mom", "评价数环比(%)", "pct"),
                  Column("key", "编码", "text"))


def channel_table(b: Bulletin) -> Table:
    return Table("分渠道", _cols(("channel_name", "评价渠道", "text"), ("share", "占比(%)", "rate"),
                                *((c.key, c.header, c.kind) for c in RATING_COLS)), b.channels)


def level_table(b: Bulletin) -> Table:
    return Table("等级分布", _cols(("name", "满意度", "text"), ("active", "主动评价", "count"),
                                 ("active_share", "主动占比(%)", "rate"), ("default", "系统默认", "count"),
                                 ("default_share", "默认占比(%)", "rate"), ("total", "合计", "count"),
                                 ("total_share", "合计占比(%)", "rate")), b.levels)


def board_tables(b: Bulletin, unit: str) -> tuple[Table, Table]:
    r = b.regions if unit == "region" else b.depts
    label = "县区" if unit == "region" else "部门"
    none = f"评价数不少于{r.min_volume}条的单位不足，本月未排名。"
    black_none = "没有符合黑榜条件的单位。" if not r.red.empty else none
    return (Table(f"{label}红榜", RANK_COLS, r.red, none, r.caption),
            Table(f"{label}黑榜", RANK_COLS, r.black, black_none, r.caption))


def ranking_table(b: Bulletin, unit: str) -> Table:
    r = b.regions if unit == "region" else b.depts
    return Table("县区排名" if unit == "region" else "部门排名", RANK_FULL_COLS, r.table, note=r.caption)


def service_table(b: Bulletin) -> Table:
    return Table("差评事项", _cols(("service_name", "事项", "text"), ("bad", "差评数", "count"),
                                 ("bad_prev", "上月差评数", "count"), ("total", "评价数", "count"),
                                 ("bad_rate", "差评率(%)", "rate"), ("avg_score_10", "平均分", "score")),
                 b.services.assign(rank=range(1, len(b.services) + 1)))


def tag_table(b: Bulletin) -> Table:
    return Table("差评标签", _cols(("tag", "代码", "text"), ("text", "标签", "text"), ("n", "次数", "count"),
                                 ("share", "占差评标签(%)", "rate")), b.tags)


def category_table(b: Bulletin) -> Table:
    t = b.complaints.table
    outside = bool(len(t)) and (t["category"] == OUTSIDE).any()  # the messages outside the taxonomy: say what
    return Table("问题分类", _cols(("name", "问题类别", "text"), ("top_subcategory", "主要细类", "text"),
                                 ("bad", "差评", "count"), ("hidden", "隐性投诉", "count"),
                                 ("messages", "留言", "count"), ("total", "合计", "count"),
                                 ("share", "占比(%)", "rate")), t, note=OUTSIDE_NOTE if outside else "")


def quote_table(b: Bulletin) -> Table:
    return Table("意见摘录", _cols(("name", "问题类别", "text"), ("date", "日期", "text"),
                                 ("service_name", "事项", "text"), ("channel_name", "渠道", "text"),
                                 ("text", "意见（已脱敏）", "text")), b.complaints.quotes)


def task_table(b: Bulletin) -> Table:
    top = b.tasks.top
    due = [f"{d}（逾期{int(n)}天）" if isinstance(d, str) and not formats.missing(n) else d  # overdue: how long
           for d, n in zip(top["due_date"], top["overdue_days"], strict=True)]
    return Table("优化任务", _cols(("rank", "排名", "count"), ("title", "任务", "text"),
                                 ("category_name", "问题类别", "text"), ("dept_name", "部门", "text"),
                                 ("signals", "投诉数", "count"), ("score", "优先级", "number"),
                                 ("status_name", "状态", "text"), ("owner", "负责人", "text"),
                                 ("due_date", "截止日期", "text")), top.assign(due_date=due))


def task_state_table(b: Bulletin) -> Table:
    return Table("任务状态", _cols(("name", "状态", "text"), ("n", "任务数", "count")), b.tasks.states)


LEDGER_ROWS = (("cases", "本月差评工单", "count"), ("voided", "其中：申诉复核认定无效", "count"),
               ("closed", "已关闭", "count"), ("open_cases", "未办结", "count"), ("overdue_cases", "超期", "count"),
               ("reply_rate", "回复率(%)", "rate"), ("on_time_rate", "按时整改率(%)", "rate"),
               ("revisit_satisfaction_rate", "回访整改满意率(%)", "rate"))


def ledger_table(b: Bulletin) -> Table:
    rows = [{"item": label, "value": b.ledger.month.get(key), "kind": kind} for key, label, kind in LEDGER_ROWS]
    when = f"截至{b.ledger.as_of.month}月{b.ledger.as_of.day}日"
    rows += [{"item": f"累计未办结（{when}）", "value": b.ledger.backlog.get("open_cases"), "kind": "count"},
             {"item": f"累计超期（{when}）", "value": b.ledger.backlog.get("overdue_cases"), "kind": "count"}]
    return Table("差评整改", _cols(("item", "项目", "text"), ("value", "数值", "mixed")), pd.DataFrame(rows))


def ledger_status_table(b: Bulletin) -> Table:
    return Table("工单状态", _cols(("name", "状态", "text"), ("n", "工单数", "count")), b.ledger.statuses)


def overdue_table(b: Bulletin) -> Table:
    return Table("超期工单", _cols(("name", "部门", "text"), ("open_cases", "未办结", "count"),
                                 ("overdue_cases", "超期", "count")), b.ledger.overdue_units)



def all_tables(b: Bulletin) -> dict[str, Table]:
    """Every table of the bulletin by name, as the renderers lay them out."""
    region_red, region_black = board_tables(b, "region")
    dept_red, dept_black = board_tables(b, "dept")
    return {
        "levels": level_table(b), "channels": channel_table(b), "region_red": region_red,
        "region_black": region_black, "dept_red": dept_red, "dept_black": dept_black,
        "region_all": ranking_table(b, "region"), "dept_all": ranking_table(b, "dept"),
        "services": service_table(b), "tags": tag_table(b), "categories": category_table(b),
        "quotes": quote_table(b), "ledger": ledger_table(b), "ledger_states": ledger_status_table(b),
        "overdue": overdue_table(b), "tasks": task_table(b), "task_states": task_state_table(b),
    }
