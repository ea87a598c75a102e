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
    """The bulletin in ``fmt``, every number written with its one decimal rule ([bulletin] decimals)."""
    from feedback.stats.formats import fixed_decimals

    with fixed_decimals(bulletin.decimals):
        return _render(bulletin, fmt)


def _render(bulletin: Bulletin, fmt: str) -> bytes:
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


def chinese_file_name(bulletin: Bulletin, fmt: str) -> str:
    """The download's Chinese name: 清源市2026年10月政务服务好差评通报.docx, with the scope for a department's or a
    region's bulletin (…通报（市人社局）.docx); characters a file system refuses are dropped."""
    y, m = (int(p) for p in bulletin.month.split("-"))
    city = bulletin.issuer.removesuffix("政务服务管理办公室") if bulletin.issuer.endswith("政务服务管理办公室") else ""
    scope = bulletin.scope.get("label", "")
    name = f"{city}{y}年{m}月政务服务好差评通报" + (f"（{scope}）" if scope and scope != "全市" else "")
    return "".join(ch for ch in name if ch not in '\\/:*?"<>|\r\n\t')[:120] + f".{fmt}"


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
