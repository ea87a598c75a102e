"""评价明细 Explorer: search and filters from the URL, masked text, pagination, department scoping."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from dashboards import auth, context
from dashboards.pages.common import page_number, request_filters
from dashboards.queries.records import filter_choices, search_records

bp = Blueprint("explorer", __name__)


@bp.get("/records")
@auth.require("read")
def index():
    filters, error = request_filters()
    q = request.args.get("q", "").strip()
    hidden = request.args.get("hidden") == "1"  # only hidden complaints (the link of a 隐性投诉 预警)
    user = auth.current_user()
    with context.engine().connect() as conn:
        result = search_records(conn, filters, q, page_number(), context.options().page_size, hidden=hidden)
        choices = filter_choices(conn, user.dept_code)
    return render_template(
        "pages/explorer.html", result=result, filters=filters, q=q, choices=choices, error=error, hidden=hidden,
    ), (400 if error else 200)
