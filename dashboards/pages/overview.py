"""总览 Overview: KPI cards with 环比 / 同比, trends with anomaly marks, channels, levels, rankings with 红榜 / 黑榜,
complaint categories, top 差评 services and the data-freshness line; every mark drills down to 评价明细."""

from __future__ import annotations

import pandas as pd
from flask import Blueprint, render_template, request, url_for
from markupsafe import Markup

from dashboards import auth, context
from dashboards.cache import Cached
from dashboards.figures import overview as figures_overview
from dashboards.figures import style as figures
from dashboards.figures import tables
from dashboards.pages.common import beside_opener, cached, filter_bar, read_connection, request_filters
from dashboards.queries.alerts import latest_open
from dashboards.queries.overview import KPI_CARDS, Overview, overview_data, period_error
from dashboards.queries.overview_trend import GRAINS
from feedback.filters import Filters
from feedback.stats import formats
from feedback.stats.complaint_mix import OUTSIDE

bp = Blueprint("overview", __name__)


def request_grain() -> tuple[str, str | None]:
    """The trend granularity of the URL (``grain=day|week|month``; week by default)."""
    grain = request.args.get("grain", "week") or "week"
    if grain not in GRAINS:
        return "week", f"筛选条件无效：grain '{grain}' 不是 {' / '.join(GRAINS)} 之一"
    return grain, None


def cached_overview(conn, filters, dept: str | None, grain: str) -> Cached[Overview]:
    """overview_data through the app's result cache (the page and GET /api/v1/overview share entries)."""
    settings = context.settings()
    open_beside = beside_opener()
    return cached(conn, ("overview", filters, dept, grain),
                  lambda c: overview_data(c, filters, dept, grain=grain, settings=settings, open_beside=open_beside))


def cached_overview_json(conn, filters, dept: str | None, grain: str) -> tuple[dict, bool]:
    """The API's JSON of the overview, cached with the data it was made from (the conversion costs more than a
    hit), and whether newer data is being summed in the background (``Cached.stale``)."""
    data = cached_overview(conn, filters, dept, grain)
    return context.cache().get(("overview-json", filters, dept, grain), data.version, data.value.as_json), data.stale


def _linked(frame, base: str):
    """Every ``*records_query`` column as a URL column: records_query → link, bad_records_query → bad_link …"""
    links = {col[: -len("records_query")] + "link": [None if formats.missing(q) else f"{base}?{q}"
                                                    for q in frame[col].tolist()]
             for col in frame.columns if str(col).endswith("records_query")}
    if not links or set(links) & set(frame.columns):  # nothing to add, or a link column to replace
        out = frame.copy()
        for name, values in links.items():
            out[name] = values
        return out
    return pd.concat([frame, pd.DataFrame(links, index=frame.index)], axis=1)  # one step, not a copy and a set each


def named_categories(categories):
    """The categories the chart draws: the taxonomy's, without the residual rows (其他问题, 未分类, 分类外的12345留言),
    which the page lists under the chart instead, as the bulletin's chart leaves them out: the 12345 messages
    outside the taxonomy would otherwise flatten every other bar."""
    if not len(categories):
        return categories
    return categories[~categories["residual"].astype(bool)]


def residual_categories(categories, base: str) -> list[dict]:
    """The residual rows (其他问题, 未分类, 分类外的12345留言) the chart leaves out, for the line under it: name,
    total, the 12345 messages among them, the 评价明细 links of both, and whether the row is the messages outside
    the taxonomy (``outside``: mostly city matters, see feedback.complaint_mix.OUTSIDE)."""
    if not len(categories):
        return []
    rows = _linked(categories[categories["residual"].astype(bool)], base).to_dict("records")
    return [{"name": r["name"], "total": int(r["total"]), "messages": int(r["messages"]),
             "link": None if formats.missing(r["link"]) else r["link"],
             "messages_link": None if formats.missing(r["messages_link"]) else r["messages_link"],
             "outside": r["category"] == OUTSIDE} for r in rows if r["total"]]


def overview_figures(data: Overview, base: str) -> dict[str, str | None]:
    """The page's figures as JSON, each mark carrying its 评价明细 link (``base`` = the explorer's URL)."""
    f = figures_overview
    out: dict[str, str | None] = {"levels": figures.to_json(f.level_split(_linked(data.levels, base)))}
    if data.period is None:
        return out
    trend = _linked(data.trend, base)
    out["volume"] = figures.to_json(f.trend_volume(trend, data.grain, data.period))
    out["satisfaction"] = figures.to_json(f.trend_satisfaction(trend, data.grain, data.period))
    out["channels"] = figures.to_json(f.channel_mix(_linked(data.channels, base))) if len(data.channels) else None
    named = named_categories(data.categories)
    out["categories"] = figures.to_json(f.categories_bar(_linked(named, base))) if len(named) else None
    out["services"] = figures.to_json(f.top_services(_linked(data.services, base))) if len(data.services) else None
    return out


@bp.get("/")
@auth.require("read")
def index():
    filters, error = request_filters()
    grain, grain_error = request_grain()
    error = error or grain_error
    user = auth.current_user()
    settings = context.settings()
    base = url_for("explorer.index")
    with read_connection() as conn:
        too_long = None if error else period_error(conn, filters, grain)
        if too_long:  # show the default period with the message instead of computing an unbounded one
            error, filters = f"筛选条件无效：{too_long}", auth.scope(Filters())
        result = cached_overview(conn, filters, user.dept_code, grain)
        data = result.value
        alerts, open_alerts = latest_open(conn, user.dept_code)
        options, current = filter_bar(conn, filters, data.period, [("趋势粒度", GRAINS[grain])])
    # the figures and tables cost more than reading the rollups: they are rendered once per cached result
    body = context.cache().get(("body", filters, user.dept_code, grain, base), result.version, lambda: Markup(
        render_template("pages/_overview_body.html", data=data, charts=overview_figures(data, base), explorer=base,
                        residual=residual_categories(data.categories, base),
                        kpi_cards=KPI_CARDS, good_basic=settings.kpi.good_includes_basic, fmt=formats,
                        chart_min=settings.kpi.chart_min_volume, board_rows=tables.board_rows,
                        unit_rows=tables.unit_rows)))
    return render_template(
        "pages/overview.html", data=data, updating=result.stale, body=body, filters=filters, error=error,
        alerts=alerts, open_alerts=open_alerts, options=options, current=current, grains=GRAINS, grain=grain,
    ), (400 if error else 200)
