"""月度通报 Monthly bulletin: the months with data and a download of each month's bulletin (HTML, XLSX, DOCX).

A department-bound user gets its own department's bulletin, whatever the URL asks for."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request

from dashboards import auth, context
from dashboards.reports import FORMATS, MIME, file_name, render
from feedback import stats_queries
from feedback.filters import Filters

bp = Blueprint("reports", __name__, url_prefix="/reports")
FORMAT_NAMES = {"html": "网页 HTML", "xlsx": "表格 XLSX", "docx": "公文 DOCX"}


def available_months(conn, filters: Filters) -> list[tuple[str, int]]:
    """(YYYY-MM, ratings) of every month with ratings in the user's scope, newest first."""
    frame = stats_queries.counts(conn, filters, ("month",), ratings_only=True)
    return [(str(m), int(n)) for m, n in zip(frame["month"], frame["n"], strict=True)][::-1]


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
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
