"""Options of every filter bar (总览, 评价明细, 优化任务, 整改台账), from the rollups (never the records) and scoped to
the user's department: one list of departments, regions, channels and services for every screen."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Select, func, select, union_all

from dashboards import display
from feedback.filters import Filters
from feedback.models import RollupMonthlyUnit
from feedback.scoring.repository import office_message_categories
from feedback.scoring.taxonomy import Taxonomy
from feedback.stats.queries import filter_conditions, rollup_parts
from feedback.stats.rankings import region_label

MAX_SERVICES = 500

Options = list[tuple[str, str]]


def _keep_selected(options: Options, selected: tuple, label=str) -> Options:
    """Selected values the data no longer has stay in the list (so the form never drops a filter silently),
    named by ``label`` where it knows them."""
    have = {v for v, _ in options}
    return options + [(str(v), label(v) or str(v)) for v in selected if str(v) not in have]


def _services_stmt(dept: str | None, period: tuple[date, date] | None) -> Select:
    """Services (key = code, else name) rated in the period, in the department: whole months from the monthly
    service rollup (rollup_monthly_channel without a department), edge days from the daily fine one."""
    scope = Filters(start=period[0] if period else None, end=period[1] if period else None,
                    depts=(dept,) if dept else ())
    parts = []
    for src, f in rollup_parts(scope, fine=True, units=bool(dept), scores=False):
        key = func.coalesce(src.cols["service_code"], src.cols["service_name"])
        parts.append(select(key.label("key"), src.cols["service_name"].label("name"))
                     .where(key.is_not(None), *filter_conditions(src, f)).distinct())
    u = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    return select(u.c.key, func.max(u.c.name)).group_by(u.c.key).limit(MAX_SERVICES)


def option_lists(conn: Connection, dept: str | None, period: tuple[date, date] | None,
                 taxonomy: Taxonomy) -> dict[str, Options]:
    """(value, label) pairs of every multi-select from the data: departments, regions and channels seen in the
    monthly rollup; services rated in the period (up to MAX_SERVICES, by name); levels, categories and sentiments
    by name. They depend on the department and the period only, so one read serves every filter set of a period
    (``with_selected`` adds a filter set's own values)."""
    m = RollupMonthlyUnit.__table__
    scope = [m.c.dept_code == dept] if dept else []
    rows = conn.execute(select(m.c.dept_code, func.max(m.c.dept_name)).where(m.c.dept_code.is_not(None), *scope)
                        .group_by(m.c.dept_code)).all()
    depts = sorted(((code, name or code) for code, name in rows), key=lambda p: (p[1], p[0]))
    regions = [(c, region_label(c)) for (c,) in conn.execute(
        select(m.c.region_code).where(m.c.region_code.is_not(None), *scope).distinct().order_by(m.c.region_code))]
    channels = [(c, display.channel_name(c)) for (c,) in conn.execute(
        select(m.c.channel).where(m.c.channel.is_not(None), *scope).distinct().order_by(m.c.channel))]
    services = sorted(((k, n or k) for k, n in conn.execute(_services_stmt(dept, period))),
                      key=lambda p: (p[1], p[0]))
    return {
        "dept": depts, "region": regions, "channel": channels, "service": services,
        "level": [(str(k), v) for k, v in display.LEVELS.items()],
        "category": (sorted((c.slug, c.name) for c in taxonomy.categories) +
                     [(c, f"{c}（12345）") for c in office_message_categories(conn)] +
                     [(taxonomy.other_slug, taxonomy.other_name)]),
        "sentiment": list(display.SENTIMENT_NAMES.items()),
        "kind": list(display.KIND_NAMES.items()),
    }


def with_selected(lists: dict[str, Options], filters: Filters, dept: str | None) -> dict[str, Options]:
    """``option_lists`` with the filter set's chosen values the data no longer has kept in their lists (a
    department-bound user's department is fixed, not chosen)."""
    return {**lists,
            "dept": _keep_selected(lists["dept"], filters.depts if not dept else ()),
            "region": _keep_selected(lists["region"], filters.regions),
            "channel": _keep_selected(lists["channel"], filters.channels, display.channel_name),
            "service": _keep_selected(lists["service"], filters.services),
            "category": _keep_selected(lists["category"], filters.categories)}


URL_FIELDS = {"dept": "depts", "region": "regions", "channel": "channels", "service": "services", "level": "levels",
              "category": "categories", "sentiment": "sentiments", "kind": "kinds"}


def option_names(options: dict[str, Options]) -> dict[str, dict[str, str]]:
    """{Filters field: {value: label}} of the filter bar's lists (``with_selected`` of ``option_lists``), for
    ``feedback.filters.describe_filters``."""
    return {URL_FIELDS[k]: dict(pairs) for k, pairs in options.items() if k in URL_FIELDS}
