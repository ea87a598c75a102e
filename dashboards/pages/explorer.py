"""评价明细 Explorer: search and filters from the URL, masked text, pagination, department scoping, the
category correction (gold label) of a record by pm, ops and admin, and the 待确认 review queue with the undo
(撤销) of one's own latest answers."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from dashboards import auth, context
from dashboards.actions import corrections as labels
from dashboards.actions.exports import attachment
from dashboards.pages.common import filter_bar, page_number, read_connection, request_filters
from dashboards.queries.records import export_rows, recent_labels, review_queue, search_records
from feedback.scoring.scorer import may_be_no_complaint
from feedback.sheets import csv_bytes, xlsx_bytes

bp = Blueprint("explorer", __name__)

EXPORT_LIMIT = 50_000  # rows in one download (newest first); narrow the filters for the rest
EXPORT_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/records")
@auth.require("read")
def index():
    filters, error = request_filters()
    q = request.args.get("q", "").strip()
    hidden = request.args.get("hidden") == "1"  # only hidden complaints (the link of a 隐性投诉 预警)
    user = auth.current_user()
    taxonomy = context.taxonomy()
    with read_connection() as conn:
        result = search_records(conn, filters, q, page_number(), context.options().page_size, hidden=hidden,
                                taxonomy=taxonomy)
        options, current = filter_bar(conn, filters, extra=_search_terms(q, hidden))
    label_choices = labels.category_choices(context.settings()) if auth.can(user, "label") else []
    return render_template(
        "pages/explorer.html", result=result, filters=filters, q=q, options=options, current=current, error=error,
        hidden=hidden, label_choices=label_choices, back=request.query_string.decode("utf-8", "replace"),
        export_limit=EXPORT_LIMIT, taxonomy=taxonomy, **_no_complaint_offer(),
    ), (400 if error else 200)


def _no_complaint_offer() -> dict:
    """What the correction forms need to offer 不是投诉 on the records that may be no complaint."""
    return {"not_complaint": labels.NOT_COMPLAINT_CHOICE, "may_clear": may_be_no_complaint}


def _search_terms(q: str, hidden: bool) -> list[tuple[str, str]]:
    return [("关键词", q), ("仅隐性投诉", "是" if hidden else "")]


@bp.get("/records/export.<fmt>")
@auth.require("read")
def export(fmt: str):
    """The explorer's current result (same filters, search and department scope) as CSV or XLSX: text masked,
    formula-like cells neutralised, at most EXPORT_LIMIT rows (the header X-Haocha-Truncated says when cut)."""
    if fmt not in EXPORT_TYPES:
        abort(404, description=f"不支持的导出格式：{fmt}（可选 csv、xlsx）")
    filters, error = request_filters()
    if error:
        abort(400, description=error)
    q = request.args.get("q", "").strip()
    hidden = request.args.get("hidden") == "1"
    with read_connection() as conn:
        header, rows, truncated = export_rows(conn, filters, q, hidden=hidden, limit=EXPORT_LIMIT,
                                              taxonomy=context.taxonomy())
        _, info = filter_bar(conn, filters, extra=_search_terms(q, hidden))
    body = csv_bytes(header, rows, info=info) if fmt == "csv" else xlsx_bytes("评价明细", header, rows, info=info)
    auth.audit_request("export", what="records", format=fmt, rows=len(rows), truncated=truncated, q=q,
                       hidden=hidden, filters=filters.to_query_args())
    name = f"评价明细_{date.today():%Y%m%d}.{fmt}"
    return Response(body, mimetype=EXPORT_TYPES[fmt], headers={
        "Content-Disposition": attachment(name), "X-Haocha-Truncated": "1" if truncated else "0",
        "X-Haocha-Rows": str(len(rows))})


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
    flash(_saved_message(saved, "校正") if saved["category"] == labels.NOT_COMPLAINT else
          f"已将这条记录的问题分类校正为“{saved['category_name']}”（人工校正，下次训练分类模型时使用）", "ok")
    # Only the query string comes back from the form, re-encoded: the redirect never leaves the explorer.
    back = urlencode(parse_qsl(request.form.get("back", ""), keep_blank_values=False))
    return redirect(url_for("explorer.index") + (f"?{back}" if back else "") + f"#r{record_id}")


@bp.get("/records/review")
@auth.require("label")
def review():
    """待确认: the complaint classifications the active model is least sure of (own department only), each with
    one click to confirm or to correct (first and second level)."""
    filters, _ = request_filters()
    settings = context.settings()
    user = auth.current_user()
    with read_connection() as conn:
        items, waiting = review_queue(conn, filters, taxonomy=context.taxonomy())
        mine = recent_labels(conn, user.username, user.dept_code, taxonomy=context.taxonomy())
    return render_template("pages/review.html", items=items, waiting=waiting, mine=mine,
                           label_choices=labels.category_choices(settings),
                           sub_choices=labels.subcategory_choices(settings), **_no_complaint_offer())


@bp.post("/records/review/<int:record_id>")
@auth.require("label")
def review_answer(record_id: int):
    """Confirm the model's classification or store the chosen one ("category" or "category/subcategory", or
    not_complaint) as the record's gold label; audited; back to the queue."""
    decision = request.form.get("decision")
    confirmed = decision == "confirm"
    category, _, sub = (request.form.get("choice") or "").partition("/")
    # with same=1: every record waiting with exactly these words takes the same answer, within the page's filters
    # (carried in the form's address, as the row's count was computed) and the user's department
    same_in = request_filters()[0] if request.form.get("same") == "1" else None
    try:
        saved, others, refused = labels.correct_same_text(context.engine(), context.settings(), auth.current_user(),
                                                          record_id, category, request.form.get("note"), sub or None,
                                                          same_in)
    except labels.LabelError as exc:
        abort(400, description=str(exc))
    except LookupError:
        abort(404, description=f"记录 {record_id} 不存在，或不属于本部门")
    answer = decision if decision in ("confirm", "not_complaint") else "correct"
    auth.audit_request("label", record_id=record_id, category=saved["category"], subcategory=saved["subcategory"],
                       via="review", decision=answer)
    for other in others:  # one audit entry per record labelled, naming the record whose words it shares
        auth.audit_request("label", record_id=other, category=saved["category"], subcategory=saved["subcategory"],
                           via="review", decision=answer, same_text_as=record_id)
    message = _saved_message(saved, "确认" if confirmed else "校正")
    if others:
        message += f"；同样文字的另外 {len(others)} 条评价一并{'确认' if confirmed else '处理'}"
    if refused:
        message += f"；另有 {refused} 条同样文字的差评不能标为“不是投诉”，仍在待确认中"
    flash(message, "ok")
    return redirect(url_for("explorer.review", **request.args.to_dict(flat=False)))


@bp.post("/records/review/undo/<int:label_id>")
@auth.require("label")
def review_undo(label_id: int):
    """撤销 one of the user's own confirmations or corrections (an admin: anyone's): the model's classification
    comes back and the record returns to the queue; audited; back to the queue."""
    try:
        undone = labels.undo_label(context.engine(), context.settings(), auth.current_user(), label_id)
    except labels.LabelError as exc:
        abort(400, description=str(exc))
    except PermissionError:
        abort(403, description="只能撤销自己的确认或校正")
    except LookupError:
        abort(404, description=f"标注 {label_id} 不存在，或不属于本部门")
    auth.audit_request("label_undo", record_id=undone["record_id"], label_id=label_id,
                       category=undone["category"], subcategory=undone["subcategory"])
    for other in undone["together"]:  # one audit entry per record, naming the record whose answer it shared
        auth.audit_request("label_undo", record_id=other, category=undone["category"],
                           subcategory=undone["subcategory"], same_text_as=undone["record_id"])
    message = f"已撤销：“{_chosen(undone)}”。" + ("这条记录按它更早的一次人工确认或校正计" if undone["older_label"] else
                                          "这条记录恢复为模型的分类，回到待确认")
    if undone["together"]:
        message += f"；同样文字一并处理的另外 {len(undone['together'])} 条评价也已撤销"
    if undone["kept"]:
        message += f"；另有 {undone['kept']} 条之后又被确认或校正过（或已重新评分），保留不变"
    flash(message, "ok")
    return redirect(url_for("explorer.review"))


def _saved_message(saved: dict, verb: str) -> str:
    if saved["category"] == labels.NOT_COMPLAINT:
        return (f"已标为“{saved['category_name']}”：这条评价不再计入投诉和隐性投诉，下次训练时用于教会模型"
                "哪些话不是投诉")
    return f"已{verb}：“{_chosen(saved)}”（人工确认的分类，下次训练分类模型时使用）"


def _chosen(label: dict) -> str:
    """A label's choice as the messages name it: 「分类 / 二级分类」."""
    return label["category_name"] + (f" / {label['subcategory_name']}" if label["subcategory_name"] else "")
