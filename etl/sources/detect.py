"""Open any supported input file as a RawSource, choosing the reader from the file's content, not its name."""

from __future__ import annotations

from pathlib import Path

from etl.sources.csvfile import CsvSource
from etl.sources.jsonl import JsonlSource
from etl.sources.raw import ERROR, ROW, InputError, RawSource
from etl.sources.xlsx import XlsxSource
from feedback.files import FormatError, WorkbookLimits, check_workbook, has_utf8_bom, sniff_format

__all__ = ["ERROR", "ROW", "InputError", "RawSource", "open_source", "sniff_kind"]


def sniff_kind(path: Path) -> str:
    """``"xlsx"``, ``"xls"``, ``"jsonl"`` or ``"csv"`` (``feedback.files.sniff_format``); unusable files raise
    InputError."""
    try:
        return sniff_format(path)
    except FormatError as exc:
        raise InputError(str(exc)) from None


def open_source(path: Path, *, sheet: str | None = None, chunk_size: int = 50_000,
                limits: WorkbookLimits | None = None) -> RawSource:
    """Open ``path`` for reading in chunks. ``sheet`` picks a worksheet of a workbook (default: the first). An
    .xlsx is inspected against ``limits`` (default: WorkbookLimits()) before its reader sees it."""
    path = Path(path)
    kind = sniff_kind(path)
    if kind == "xlsx":
        try:
            check_workbook(path, limits)
        except FormatError as exc:
            raise InputError(str(exc)) from None
    if kind in ("xlsx", "xls"):
        return XlsxSource(path, sheet=sheet, chunk_size=chunk_size, kind=kind)
    if sheet is not None:
        raise InputError(f"{path.name}：只有 Excel 工作簿才能指定工作表，这是 {kind} 文件")
    if kind == "jsonl":
        return JsonlSource(path, encoding="utf-8-sig" if has_utf8_bom(path) else "utf-8", chunk_size=chunk_size)
    return CsvSource(path, chunk_size=chunk_size)
