"""数据导入 Ingestion: upload → preview (detected profile and headers) → confirm → import; history; rejects."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from dashboards import auth, context
from dashboards.actions import jobs, uploads
from dashboards.actions.exports import rejects_response
from dashboards.pages.common import page_number
from dashboards.queries.batches import batch_history

bp = Blueprint("ingest", __name__, url_prefix="/ingest")


def _own_preview(token: str) -> uploads.Preview:
    """The upload, which only its uploader or an admin may see, import or discard."""
    try:
        preview = uploads.load_preview(context.settings(), token)
    except uploads.UploadError as exc:
        abort(404, description=str(exc))
    user = auth.current_user()
    if preview.uploaded_by != user.username and user.role != "admin":
        abort(403, description="这是其他用户上传的文件")
    return preview


@bp.get("")
@auth.require("import")
@auth.require_global
def index():
    with context.engine().connect() as conn:
        batches, has_next = batch_history(conn, page=page_number(), per_page=context.options().page_size)
    batches = jobs.runner().annotate(batches)
    queued = getattr(jobs.runner(), "imports", None)  # [jobs] queue = "procrastinate": imports are jobs too
    return render_template("pages/ingest.html", batches=batches, has_next=has_next, page=page_number(),
                           max_mb=context.options().max_upload_mb, suffixes=uploads.ALLOWED_SUFFIXES,
                           stage_names=jobs.STATUS_NAMES, imports=queued() if queued else None)


@bp.post("/upload")
@auth.require("import")
@auth.require_global
def upload():
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        flash("请选择要上传的文件", "error")
        return redirect(url_for("ingest.index"))
    settings = context.settings()
    uploads.clean_stale(settings, context.options().upload_keep_hours)
    try:
        token = uploads.save_upload(settings, storage, auth.current_user().username)
    except uploads.UploadError as exc:
        flash(str(exc), "error")
        return redirect(url_for("ingest.index"))
    preview = uploads.load_preview(settings, token)
    auth.audit_request("upload", file=preview.file_name, size=preview.size, profile=preview.profile, token=token)
    return redirect(url_for("ingest.preview", token=token))


@bp.get("/preview/<token>")
@auth.require("import")
@auth.require_global
def preview(token: str):
    settings = context.settings()
    return render_template("pages/ingest_preview.html", preview=_own_preview(token),
                           profiles=uploads.profile_choices(settings), fields=uploads.field_choices())


@bp.post("/preview/<token>/mapping")
@auth.require("import")
@auth.require_global
def mapping(token: str):
    """Read the upload again with another profile or hand-mapped columns; ``name`` saves them as a profile."""
    preview = _own_preview(token)
    chosen = request.form.get("profile", "auto") or "auto"
    override = {h: request.form.get(f"col-{i}", "") for i, h in enumerate(preview.headers)
                if f"col-{i}" in request.form}
    current = {h: f or "" for h, f in preview.mapping}
    changed = {h: f for h, f in override.items() if f != current.get(h, "")}  # only what the person changed
    same_base = chosen == preview.chosen_profile
    override = {**(preview.inspection.get("mapping_override", {}) if same_base else {}), **changed}
    settings = context.settings()
    try:
        if request.form.get("save"):  # 保存并重新识别 (an empty name is refused with a message)
            done = uploads.save_mapping(settings, token, request.form["name"], chosen, override)
            auth.audit_request("save_profile", file=preview.file_name, profile=done.profile)
            flash(f"已保存来源配置“{done.profile}”，以后同样表头的文件会自动识别", "ok")
        else:
            uploads.remap(settings, token, chosen, override)
    except uploads.UploadError as exc:
        flash(str(exc), "error")
    return redirect(url_for("ingest.preview", token=token))


@bp.post("/confirm/<token>")
@auth.require("import")
@auth.require_global
def confirm(token: str):
    preview = _own_preview(token)
    if hasattr(jobs.runner(), "submit_import"):
        return _enqueue(preview)
    try:
        result = uploads.import_upload(context.engine(), context.settings(), token)
    except Exception as exc:  # InputError, ProfileNotFound, UploadError, a failed load: all shown to the user
        auth.audit_request("import_failed", file=preview.file_name, error=f"{type(exc).__name__}: {exc}")
        flash(f"导入失败：{exc}", "error")
        return redirect(url_for("ingest.preview", token=token))
    auth.audit_request("import", file=preview.file_name, profile=result.profile, batch_id=result.batch_id,
                       read=result.read, loaded=result.loaded, duplicate=result.duplicate, rejected=result.rejected)
    if result.loaded:  # scoring, rollups, tasks, ledger, alerts: in the background, status in the history
        jobs.runner().submit(result.batch_id)
    flash(f"导入完成：批次 {result.batch_id}，读取 {result.read:,} 行，新增 {result.loaded:,} 条，"
          f"重复 {result.duplicate:,} 条，拒收 {result.rejected:,} 行"
          + ("；评分、汇总、任务等后续处理已在后台开始" if result.loaded else ""), "ok")
    return redirect(url_for("ingest.index"))


def _enqueue(preview: uploads.Preview):
    """[jobs] queue = "procrastinate": a ``haocha worker`` imports the upload; this request only queues it."""
    if preview.error or not preview.profile:  # refused at once, as the import in the request would
        flash(f"导入失败：{preview.error or '没有检测到来源配置，无法导入'}", "error")
        return redirect(url_for("ingest.preview", token=preview.token))
    user = auth.current_user().username
    if jobs.runner().submit_import(preview.token, preview.file_name, user):
        auth.audit_request("import_queued", file=preview.file_name, token=preview.token)
        flash(f"已加入导入队列：{preview.file_name}；导入结果见下方导入记录", "ok")
    else:
        flash(f"该文件已在导入队列中或已导入：{preview.file_name}", "ok")
    return redirect(url_for("ingest.index"))


@bp.post("/discard/<token>")
@auth.require("import")
@auth.require_global
def discard(token: str):
    preview = _own_preview(token)
    uploads.discard(context.settings(), token)
    flash(f"已放弃导入：{preview.file_name}", "ok")
    return redirect(url_for("ingest.index"))


@bp.get("/batches/<int:batch_id>/rejects.csv")
@auth.require("import")
@auth.require_global
def rejects(batch_id: int):
    return rejects_response(batch_id)
