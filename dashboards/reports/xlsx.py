"""The bulletin as an Excel workbook: one sheet per table, numbers stored as numbers with number formats, every
text cell neutralised against formula injection (feedback.sheets, the rule of every export)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dashboards.reports import tables
from feedback.bulletin import Bulletin
from feedback.sheets import neutralise

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F3F5F8")
TITLE_FONT = Font(bold=True, size=14)


def _put(ws: Worksheet, row: int, col: int, value, kind: str = "text") -> None:
    """A numeric value stays a number (with the kind's format); anything else is neutralised text."""
    if isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, int | float) and kind != "text":
        cell = ws.cell(row=row, column=col, value=value)
        cell.number_format = tables.NUMBER_FORMATS.get(kind, "General")
        return
    ws.cell(row=row, column=col, value=None if value is None else neutralise(str(value)))


def _header(ws: Worksheet, row: int, headers: list[str]) -> None:
    for j, h in enumerate(headers, start=1):
        c = ws.cell(row=row, column=j, value=neutralise(h))
        c.font, c.fill = HEADER_FONT, HEADER_FILL
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w


def _sheet(wb: Workbook, t: tables.Table) -> None:
    ws = wb.create_sheet(t.name[:31])
    _header(ws, 1, [c.header for c in t.columns])
    if t.frame.empty:
        ws.cell(row=2, column=1, value=neutralise(t.empty))
    for i, (kinds, row) in enumerate(zip(t.kinds(), t.rows(), strict=True), start=2):
        for j, (kind, v) in enumerate(zip(kinds, row, strict=True), start=1):
            _put(ws, i, j, v, kind)
    if t.note:  # under the data, one empty row between
        ws.cell(row=max(ws.max_row, 2) + 2, column=1, value=neutralise(t.note))
    _widths(ws, [max(10, min(60, len(c.header) * 2 + 2)) if c.kind != "text" else 24 for c in t.columns])


def _cover(wb: Workbook, b: Bulletin) -> None:
    ws = wb.active
    ws.title = "说明"
    ws.cell(row=1, column=1, value=neutralise(b.title)).font = TITLE_FONT
    lines = [("发文单位", b.issuer), ("文号", b.issue_no), ("主送机关", b.recipients), ("通报范围", b.scope["label"]),
             ("统计期间", f"{b.period[0]} 至 {b.period[1]}"), ("数据截至", b.as_of_text),
             ("开头", b.opening), ("总体情况", b.summary), ("结尾", b.closing), ("落款", b.signature or b.issuer)]
    for i, (k, v) in enumerate(lines, start=3):
        ws.cell(row=i, column=1, value=k).font = HEADER_FONT
        ws.cell(row=i, column=2, value=neutralise(v)).alignment = Alignment(wrap_text=True, vertical="top")
    row = len(lines) + 4
    for title, items in (("存在问题", b.problems), ("下步工作", b.actions), ("附注", b.notes)):
        ws.cell(row=row, column=1, value=title).font = HEADER_FONT
        for k, s in enumerate(items, start=1):
            ws.cell(row=row, column=2, value=neutralise(f"{k}. {s}")).alignment = Alignment(wrap_text=True)
            row += 1
        row += 1
    _widths(ws, [14, 120])


def _kpis(wb: Workbook, b: Bulletin) -> None:
    ws = wb.create_sheet("主要指标")
    _header(ws, 1, ["指标", "本月", f"环比（较{b.kpis['mom_month']}）", f"同比（较{b.kpis['yoy_month']}）"])
    for i, (key, label, value, mom, yoy) in enumerate(tables.kpi_rows(b), start=2):  # no code column: office words
        _put(ws, i, 1, label)
        _put(ws, i, 2, value, tables.value_kind(key))
        _put(ws, i, 3, mom, tables.change_kind(key))
        _put(ws, i, 4, yoy, tables.change_kind(key))
    _widths(ws, [22, 14, 20, 20])


def _quotes(wb: Workbook, b: Bulletin) -> None:
    if b.complaints.classified:
        _sheet(wb, tables.quote_table(b))
        return
    ws = wb.create_sheet("问题分类")
    ws.cell(row=1, column=1, value="暂无分类结果" + ("（尚无启用的评分模型版本）" if not b.complaints.model_version
                                                 else "（本月投诉尚未评分）"))


def render_xlsx(b: Bulletin) -> bytes:
    wb = Workbook()
    _cover(wb, b)
    _kpis(wb, b)
    t = tables.all_tables(b)
    order = ("channels", "levels", "region_red", "region_black", "dept_red", "dept_black", "region_all", "dept_all",
             "services", "tags")
    for name in order:
        _sheet(wb, t[name])
    if b.complaints.classified:
        _sheet(wb, t["categories"])
    _quotes(wb, b)
    for name in ("ledger", "ledger_states", "overdue", "tasks", "task_states"):
        _sheet(wb, t[name])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
