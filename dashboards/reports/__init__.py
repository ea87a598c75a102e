"""Renderers of the monthly bulletin (feedback.bulletin): HTML, XLSX and DOCX from one Bulletin value.

``render(bulletin, fmt) -> bytes`` and ``write(bulletin, formats, out_dir) -> {fmt: path}``; each renderer is
imported only when its format is asked for (python-docx and matplotlib are not loaded for an HTML download)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from feedback.bulletin import Bulletin

FORMATS = ("html", "xlsx", "docx")
MIME = {"html": "text/html; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def render(bulletin: Bulletin, fmt: str) -> bytes:
    if fmt == "html":
        from dashboards.reports.html import render_html

        return render_html(bulletin)
    if fmt == "xlsx":
        from dashboards.reports.xlsx import render_xlsx

        return render_xlsx(bulletin)
    if fmt == "docx":
        from dashboards.reports.docx import render_docx

        return render_docx(bulletin)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def file_name(bulletin: Bulletin, fmt: str) -> str:
    """haocha_bulletin_2026-10.html, or …_2026-10_<dept>.docx for a department's bulletin (ASCII only)."""
    scope = "_".join([*bulletin.scope["depts"], *bulletin.scope["regions"]])
    safe = "".join(ch for ch in scope if ch.isascii() and (ch.isalnum() or ch in "-_"))[:60]
    return f"haocha_bulletin_{bulletin.month}{'_' + safe if safe else ''}.{fmt}"


def write(bulletin: Bulletin, formats: Iterable[str], out_dir: str | Path) -> dict[str, Path]:
    """Render each format into ``out_dir`` (created when missing); the paths written, by format."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt in formats:
        path = out / file_name(bulletin, fmt)
        path.write_bytes(render(bulletin, fmt))
        paths[fmt] = path
    return paths
