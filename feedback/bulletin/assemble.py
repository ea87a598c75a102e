"""build_bulletin: one call that gathers every figure of a month's bulletin from the shared KPI functions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection

from feedback.bulletin import findings, sections
from feedback.bulletin.letterhead import letterhead
from feedback.bulletin.model import Bulletin
from feedback.bulletin.units import unit_changes
from feedback.clock import display_time
from feedback.filters import Filters
from feedback.scoring.taxonomy import Taxonomy, taxonomy_of
from feedback.settings import Settings
from feedback.stats import formats, kpi, periods
from feedback.stats import queries as stats_queries
from feedback.stats.rankings import RankRule, region_label, rule_caption, service_table, unit_ranking

TOP_TAGS, TOP_TASKS = 3, 10


def bulletin_title(month: str) -> str:
    y, m = (int(p) for p in month.split("-"))
    return f"关于{y}年{m}月政务服务“好差评”情况的通报"


def default_issue_no(month: str) -> str:
    """文号 in the bare form 〔YYYY〕N号, numbered by month (the bulletin itself uses [bulletin] issue_no_pattern)."""
    y, m = (int(p) for p in month.split("-"))
    return f"〔{y}〕{m}号"


def build_bulletin(conn: Connection, month: str, filters: Filters | None = None, *, settings: Settings,
                   as_of: datetime | None = None, taxonomy: Taxonomy | None = None,
                   region_names: Mapping[str, str] | None = None, issuer: str | None = None,
                   issue_no: str | None = None) -> Bulletin:
    """The bulletin of ``month`` ('YYYY-MM') for the filters' scope (their own period is ignored).

    ``as_of``: when the bulletin is made (default: now, local time). Every ledger figure (the headline's, with
    its 环比 / 同比, the rankings' 按时整改率, the ledger section and the sentences) and the task section are frozen
    at the month's end (``as_of`` when earlier, ``periods.frozen_at``): replayed from the task and ledger
    histories, so a later change does not rewrite an older bulletin. Headline figures are
    ``kpi.display(periods.month_kpis(...))`` with the arguments of `haocha kpi --month M --as-of <that moment>`,
    so they agree to the last digit."""
    with formats.fixed_decimals(settings.bulletin.decimals):  # the sentences follow the one decimal rule too
        return _build(conn, month, filters, settings=settings, as_of=as_of, taxonomy=taxonomy,
                      region_names=region_names, issuer=issuer, issue_no=issue_no)


def _build(conn: Connection, month: str, filters: Filters | None, *, settings: Settings, as_of: datetime | None,
           taxonomy: Taxonomy | None, region_names: Mapping[str, str] | None, issuer: str | None,
           issue_no: str | None) -> Bulletin:
    from feedback.clock import local_now

    scope = filters or Filters()
    gib = settings.kpi.good_includes_basic
    as_of = as_of or local_now(settings.ingest.timezone)
    start, end = kpi.month_bounds(month)
    # frozen at the month's end (its last moment in the display time zone): a later change of a task or a ledger
    # case does not rewrite an older bulletin
    frozen = periods.frozen_at(month, as_of, storage_tz=settings.ingest.timezone,
                               display_tz=settings.display.timezone)
    cur = scope.with_period(start, end)
    prev = scope.with_period(*kpi.month_bounds(kpi.shift_month(month, -1)))
    taxonomy = taxonomy or taxonomy_of(settings)

    kpis = kpi.display(periods.month_kpis(conn, month, scope, as_of=frozen, frozen=True, good_includes_basic=gib))
    frame = stats_queries.rating_frame(conn, cur, ("channel",))
    channels = kpi.channel_table(frame, good_includes_basic=gib) if not frame.empty else _empty_channels()
    levels = _levels(frame)
    rule = RankRule.from_settings(settings.kpi)
    ranks = {u: unit_ranking(conn, u, cur, prev, as_of=frozen, frozen=True, good_includes_basic=gib, rule=rule,
                             region_names=region_names) for u in ("region", "dept")}
    services = service_table(conn, cur, prev, gib)
    tags = kpi.top_tags(stats_queries.bad_tag_frame(conn, cur), TOP_TAGS)
    complaints = sections.complaint_section(conn, cur, taxonomy)
    tasks = sections.task_section(conn, scope, taxonomy, top=TOP_TASKS, at=frozen)
    ledger = sections.ledger_section(conn, cur, at=frozen, good_includes_basic=gib)
    changes = unit_changes(conn, cur, prev, region_names)
    scope_info = _scope(scope, ranks["dept"].table, region_names)
    head = letterhead(settings.bulletin, month, issuer=issuer, issue_no=issue_no)
    return Bulletin(
        month=month, title=bulletin_title(month), issue_no=head.issue_no, issuer=head.issuer,
        scope=scope_info, as_of=as_of, period=(start, end), kpis=kpis,
        channels=kpi.round_frame(channels), levels=kpi.round_frame(levels), regions=ranks["region"], depts=ranks["dept"],
        services=kpi.round_frame(services), tags=kpi.round_frame(tags), complaints=complaints, tasks=tasks, ledger=ledger,
        summary=findings.summary(month, kpis, scope_info["label"]),
        problems=findings.problems(kpis, changes, ranks["region"], ranks["dept"], services, tags, complaints,
                                   ledger),
        actions=findings.actions(kpis, ranks["dept"], services, tags, tasks, ledger),
        notes=notes(gib, rule, end if frozen < as_of else as_of.date(), ended=frozen < as_of),
        recipients=head.recipients, opening=head.opening, closing=head.closing, signature=head.signature,
        as_of_text=display_time(as_of, storage_tz=settings.ingest.timezone, display_tz=settings.display.timezone),
        decimals=settings.bulletin.decimals,
    )


def notes(good_includes_basic: bool, rule: RankRule, frozen: date, *, ended: bool = True) -> list[str]:
    """The definitions printed under the tables (footnotes); ``frozen``: the day every ledger figure is of, at
    its end (the month's last day, ``ended``) or, for a bulletin made before the month ended, the day it was
    made."""
    basic = "含" if good_includes_basic else "不含"
    return [
        f"好评率 = 非常满意、满意{'、基本满意' if good_includes_basic else ''}评价数 / 有效评价数（{basic}基本满意）；"
        "差评 = 非系统默认的不满意与非常不满意评价；差评率 = 差评数 / 有效评价数；申诉复核认定无效的差评不计入。",
        "整体平均分按非常满意10分、满意8分、基本满意6分、不满意3分、非常不满意0分计；主动评价率 = 非系统默认评价数 / 有效评价数。",
        "环比、同比：比率为百分点差，平均分为分差，数量为相对变化（%）。",
        rule_caption(rule),
        "调整后差评率（事项与渠道结构调整）：按通报范围内每个“事项 × 评价渠道”组合的差评率，乘以该单位在各组合的评价数，"
        "求和得到该单位的预期差评数；实际差评数 / 预期差评数 = 实际/预期比；调整后差评率 = 通报范围整体差评率 × 实际/预期比。"
        "只有一个单位办理的事项无从比较难易，按其评价渠道在通报范围内的差评率计预期，差评由该单位负责。"
        "比值大于1表示差评多于其所办事项和渠道应有的水平，与其他单位办理同一事项相比，办理难度较大的单位不因事项本身而显得更差。",
        "差评工单指标（主要指标表及其环比、同比，排名中的按时整改率，第五部分差评整改情况）"
        + (f"均为{frozen:%Y年%m月%d日}日终的状态" if ended else f"均截至{frozen:%Y年%m月%d日}")
        + "，按工单办理记录回放，其后的办理和延期不计入。"
        "按时整改率 = 在整改期限（工作日）内整改的工单 / 已到期或已整改的工单。",
    ]


def _levels(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        frame = pd.DataFrame({"level": pd.array([5], dtype="Int64"), "is_default": [False], "voided": [False],
                              "n": [0]})
    return kpi.level_distribution(frame)


def _empty_channels() -> pd.DataFrame:
    return pd.DataFrame(columns=["channel", "channel_name", *kpi.RATING_COLUMNS, "share"])


def _scope(filters: Filters, depts: pd.DataFrame, region_names: Mapping[str, str] | None) -> dict:
    names = depts.set_index("key")["name"].to_dict() if not depts.empty else {}
    parts = [names.get(d, d) for d in filters.depts] + [region_label(r, region_names) for r in filters.regions]
    return {"depts": list(filters.depts), "regions": list(filters.regions),
            "label": "、".join(parts) if parts else "全市"}
