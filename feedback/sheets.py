"""Tables written for spreadsheets (CSV and XLSX downloads): text a spreadsheet would run as a formula is
neutralised, CSV carries a BOM so Excel reads Chinese text, XLSX cells holding text are stored as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets (Excel with an East Asian IME, WPS) turn a leading full-width ＝ ＋ － ＠ into the ASCII operator.
FULL_WIDTH_PREFIXES = ("\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: Any) -> Any:
    """A text cell that starts like a formula (= + - @, their full-width forms ＝ ＋ － ＠, tab, CR) gets a leading
    apostrophe; other values as is."""
    if isinstance(value, str) and value.lstrip(" \u3000").startswith(FORMULA_PREFIXES + FULL_WIDTH_PREFIXES):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], info: str | None = None) -> bytes:
    """UTF-8 CSV with a BOM and CRLF line ends; every cell neutralised, None as an empty cell. ``info`` (the
    filters the table follows, "当前筛选：…") is a one-cell first line above the header."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if info:
        writer.writerow([neutralise(info)])
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_xlsx(out: Path | BinaryIO, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
               info: str | None = None) -> Path:
    """One sheet with a frozen header row; text cells neutralised and stored as text (never a formula). ``info``
    (the filters the table follows) is a first row above the header."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A3" if info else "A2"
    if info:
        cell = WriteOnlyCell(ws, value=neutralise(info))
        cell.data_type = "s"
        ws.append([cell])
    ws.append(list(header))

    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(ws, value=neutralise(value))
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        ws.append(cells)
    wb.save(out)
    return out


def xlsx_bytes(sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]], info: str | None = None) -> bytes:
    buf = io.BytesIO()
    write_xlsx(buf, sheet, header, rows, info)
    return buf.getvalue()


def write_table_xlsx(out: Path | BinaryIO, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
                     widths: Sequence[float] | None = None, formats: dict[int, str] | None = None,
                     info: str | None = None) -> Path:
    """Like :func:`write_xlsx`, laid out as a table to work in: column ``widths`` (in characters), an autofilter
    on the header row, the header frozen, and number ``formats`` by column index (e.g. ``{3: "0.0"}``). ``info``
    (the filters followed, "当前筛选：…") is the first row, above the header."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    top = 2 if info else 1
    ws.freeze_panes = f"A{top + 1}"
    for i, width in enumerate(widths or (), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    formats = formats or {}
    bold = Font(bold=True)
    if info:
        ws.append([WriteOnlyCell(ws, value=neutralise(info))])
    head = []
    for h in header:
        cell = WriteOnlyCell(ws, value=neutralise(h))
        cell.font = bold
        head.append(cell)
    ws.append(head)
    count = 0
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            cell = WriteOnlyCell(ws, value=neutralise(value))
            if isinstance(value, str):
                cell.data_type = "s"
            elif i in formats:
                cell.number_format = formats[i]
            cells.append(cell)
        ws.append(cells)
        count += 1
    if header:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(header))}{count + top}"
    wb.save(out)
    return out
