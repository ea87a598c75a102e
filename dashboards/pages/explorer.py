"""评价明细 Explorer: search and filters from the URL, masked text, pagination, department scoping, and the
category correction (gold label) of a record by pm, ops and admin."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from dashboards import auth, context, labels
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
    label_choices = labels.category_choices(context.settings()) if auth.can(user, "label") else []
    # a drill-down's 事项 filter holds codes: show the names the listed records carry
    service_names = {r["service_code"]: r["service_name"] for r in result.items if r.get("service_code")}
    return render_template(
        "pages/explorer.html", result=result, filters=filters, q=q, choices=choices, error=error, hidden=hidden,
        label_choices=label_choices, back=request.query_string.decode("utf-8", "replace"), service_names=service_names,
    ), (400 if error else 200)


@bp.post("/records/<int:record_id>/label")
@auth.require("label")
def label(record_id: int):
    """Store the chosen category as the record's gold label, then return to the same filters and page."""
    try:
        saved = labels.correct_category(context.engine(), context.settings(), auth.current_user(), record_id,
                                        request.form.get("category"), request.form.get("note"))
    except labels.LabelError as exc:
        abort(400, description=str(exc))
    except LookupError:
        abort(404, description=f"记录 {record_id} 不存在，或不属于本部门")
    auth.audit_request("label", record_id=record_id, category=saved["category"], via="explorer")
    flash(f"已将这条记录的问题分类校正为“{saved['category_name']}”（人工校正，下次训练分类模型时使用）", "ok")
    # Only the query string comes back from the form, re-encoded: the redirect never leaves the explorer.
    back = urlencode(parse_qsl(request.form.get("back", ""), keep_blank_values=False))
    return redirect(url_for("explorer.index") + (f"?{back}" if back else "") + f"#r{record_id}")
