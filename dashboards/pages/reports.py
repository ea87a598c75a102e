"""月度通报 Monthly bulletin: the months with data and a download of each month's bulletin (HTML, XLSX, DOCX).

A department-bound user gets its own department's bulletin, whatever the URL asks for."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request

from dashboards import auth, context
from dashboards.actions.exports import attachment
from dashboards.reports import FORMATS, MIME, chinese_file_name, file_name, render
from feedback.filters import Filters
from feedback.stats import queries as stats_queries

bp = Blueprint("reports", __name__, url_prefix="/reports")
FORMAT_NAMES = {"html": "网页 HTML", "xlsx": "表格 XLSX", "docx": "公文 DOCX"}


def available_months(conn, filters: Filters) -> list[tuple[str, int]]:
    """(YYYY-MM, ratings) of every month with ratings in the user's scope, newest first; the count is the
    bulletin's 评价总数 (差评 voided on appeal left out, as in every KPI)."""
    frame = stats_queries.rating_frame(conn, filters, ("month",))
    if frame.empty:
        return []
    n = frame[~frame["voided"].astype(bool)].groupby("month")["n"].sum().reindex(frame["month"].unique(), fill_value=0)
    return [(str(m), int(v)) for m, v in sorted(n.items())][::-1]


@bp.get("/")
@auth.require("read")
def index():
    scope = auth.scope(Filters())
    with context.engine().connect() as conn:
        months = available_months(conn, scope)
    return render_template("pages/reports.html", months=months, formats=FORMAT_NAMES,
                           dept=auth.current_user().dept_code)


@bp.get("/monthly")
@auth.require("read")
def monthly():
    from feedback.bulletin import build_bulletin
    from feedback.regions import region_names

    month = request.args.get("month", "")
    fmt = request.args.get("format", "html")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        abort(400, description="month 必须是 YYYY-MM 形式的月份")
    if fmt not in FORMATS:
        abort(400, description=f"format 必须是 {'、'.join(FORMATS)} 之一")
    scope = auth.scope(Filters())  # a department-bound user: that department only
    settings = context.settings()
    with context.engine().connect() as conn:
        if month not in dict(available_months(conn, scope)):
            abort(404, description=f"{month} 没有评价数据")
        bulletin = build_bulletin(conn, month, scope, settings=settings, region_names=region_names(settings))
    body = render(bulletin, fmt)
    name = file_name(bulletin, fmt)
    auth.audit_request("export", what="bulletin", month=month, format=fmt, depts=list(scope.depts), bytes=len(body))
    return Response(body, mimetype=MIME[fmt].split(";")[0], headers={
        "Content-Disposition": attachment(chinese_file_name(bulletin, fmt), name), "Cache-Control": "no-store"})
