"""预警 Alerts: the alerts of the [alerts] rules, newest week first, each linked to the records behind it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from dashboards import auth, context
from dashboards.pages.common import named, page_number
from dashboards.queries.alerts import AlertFilters, alert_page, scoped_alert
from feedback.alerts.repository import set_status
from feedback.alerts.rules import RULES, STATUSES
from feedback.filters import FilterError, Filters, describe_filters

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


@bp.get("")
@auth.require("read")
def index():
    error = None
    try:
        af = AlertFilters.from_args(request.args)
    except FilterError as exc:
        af, error = AlertFilters(), f"筛选条件无效：{exc}"
    cfg = context.settings().alerts
    with context.engine().connect() as conn:
        result = alert_page(conn, af, auth.current_user().dept_code, page_number(), context.options().page_size)
    current = describe_filters(Filters(), {}, extra=[("状态", named(af.statuses, STATUSES.items())),
                                                     ("规则", named(af.rules, RULES.items()))])
    return render_template("pages/alerts.html", result=result, af=af, error=error, rules=RULES,
                           statuses=STATUSES, cfg=cfg, current=current), (400 if error else 200)


@bp.post("/<int:alert_id>/status")
@auth.require("manage")
def change(alert_id: int):
    user = auth.current_user()
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400, description=f"未知状态：{status}")
    with context.engine().begin() as conn:
        alert = scoped_alert(conn, alert_id, user.dept_code)
        if alert is None:
            abort(404, description=f"预警 {alert_id} 不存在，或不属于本部门")
        set_status(conn, alert_id, status, by=user.username)
    auth.audit_request("alert_status", alert_id=alert_id, status=status)
    flash(f"预警 {alert_id} 已标记为“{STATUSES[status]}”", "ok")
    back = request.form.get("back", "")
    return redirect(url_for("alerts.index") + (f"?{back}" if back and "\n" not in back and "\r" not in back else ""))
