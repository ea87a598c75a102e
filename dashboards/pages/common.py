"""Helpers the page blueprints share: filters from the URL (scoped to the user) and page numbers."""

from __future__ import annotations

from flask import request

from dashboards import auth
from feedback.filters import FilterError, Filters


def request_filters() -> tuple[Filters, str | None]:
    """The URL's filters scoped to the user's department, and an error message when they are unusable."""
    try:
        return auth.scope(Filters.from_query_args(request.args)), None
    except FilterError as exc:
        return auth.scope(Filters()), f"筛选条件无效：{exc}"


def page_number(name: str = "page") -> int:
    try:
        return max(1, int(request.args.get(name, "1")))
    except ValueError:
        return 1
