"""Error pages in Chinese for the screens, JSON errors for the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from dashboards.security import API_PREFIX

MESSAGES = {
    400: "请求无效",
    401: "请先登录",
    403: "没有权限访问此页面",
    404: "页面不存在",
    405: "不支持的请求方式",
    413: "文件太大",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请联系管理员",
    503: "查询超时",
}


def _wants_json() -> bool:
    return request.path.startswith(API_PREFIX)


def _render(code: int, detail: str | None):
    title = MESSAGES.get(code, "出错了")
    if _wants_json():
        return jsonify(error=title, message=detail or title), code
    return render_template("error.html", code=code, title=title, detail=detail), code


def install(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return _render(400, "页面已过期或缺少安全令牌（CSRF），请刷新页面后重试")

    @app.errorhandler(413)
    def _too_large(exc):
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return _render(413, f"上传的文件超过 {limit // (1024 * 1024)} MB 的上限，请拆分后再上传")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = exc.code or 500
        # Werkzeug's default English descriptions are not shown; messages we set ourselves are Chinese.
        detail = exc.description if exc.description and exc.description != type(exc).description else None
        body, status = _render(code, detail)
        response = app.make_response((body, status))
        allow = getattr(exc, "valid_methods", None)
        if code == 405 and allow:  # RFC 9110: a 405 names the methods the resource supports
            response.headers["Allow"] = ", ".join(sorted(allow))
        return response

    @app.errorhandler(OperationalError)
    def _database(exc: OperationalError):
        # [dashboard] statement_timeout_s cancelled a read (PostgreSQL's query_canceled, SQLSTATE 57014)
        if getattr(exc.orig, "sqlstate", None) == "57014":
            app.logger.warning("statement timeout on %s", request.path)
            return _render(503, "查询超过了时间上限（[dashboard] statement_timeout_s），请缩小时间范围或筛选条件后重试")
        return _crash(exc)

    @app.errorhandler(OverflowError)
    def _overflow(exc: OverflowError):  # an id or number past 64 bits (SQLite's driver refuses it)
        return _render(400, "参数中的数字超出范围")

    @app.errorhandler(DataError)
    def _data(exc: DataError):
        if getattr(exc.orig, "sqlstate", None) == "22003":  # PostgreSQL: numeric value out of range
            return _render(400, "参数中的数字超出范围")
        if getattr(exc.orig, "sqlstate", None) in ("22021", "22P05"):  # a character the database cannot store
            return _render(400, "参数中含有数据库无法处理的字符")
        return _crash(exc)

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        return _render(500, None)
