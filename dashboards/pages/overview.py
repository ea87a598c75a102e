"""总览 Overview: the month's KPI cards with 环比 / 同比, record counts by level and the data-freshness line."""

from __future__ import annotations

from flask import Blueprint, render_template

from dashboards import auth, context, figures
from dashboards.pages.common import request_filters
from dashboards.queries.alerts import latest_open
from dashboards.queries.overview import KPI_CARDS, overview_data

bp = Blueprint("overview", __name__)


@bp.get("/")
@auth.require("read")
def index():
    filters, error = request_filters()
    user = auth.current_user()
    with context.engine().connect() as conn:
        data = overview_data(conn, filters, user.dept_code,
                             good_includes_basic=context.settings().kpi.good_includes_basic)
        alerts, open_alerts = latest_open(conn, user.dept_code)
    return render_template(
        "pages/overview.html", data=data, filters=filters, error=error, kpi_cards=KPI_CARDS,
        good_basic=context.settings().kpi.good_includes_basic,
        figure=figures.to_json(figures.level_bars(data.levels)),
        alerts=alerts, open_alerts=open_alerts,
    ), (400 if error else 200)
