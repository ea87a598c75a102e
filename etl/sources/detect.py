"""Open any supported input file as a RawSource, choosing the reader from the file's content, not its name."""

from __future__ import annotations

from pathlib import Path

from etl.sources.csvfile import CsvSource
from etl.sources.jsonl import JsonlSource
from etl.sources.raw import ERROR, ROW, InputError, RawSource
from etl.sources.xlsx import XlsxSource

__all__ = ["ERROR", "ROW", "InputError", "RawSource", "open_source", "sniff_kind"]

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other MS Office binary files)
_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"7z\xbc\xaf": "7z", b"Rar!": "rar", b"%PDF": "PDF"}


def sniff_kind(path: Path) -> str:
    """``"xlsx"``, ``"xls"``, ``"jsonl"`` or ``"csv"`` from the first bytes; unusable files raise InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise InputError(f"{path.name}: the file is empty")
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE2):
        return "xls"
    for magic, what in _COMPRESSED.items():
        if head.startswith(magic):
            raise InputError(f"{path.name}: a {what} file, not a table; extract or export it as .xlsx/.csv first")
    text = head
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if text.startswith(bom):
            text = text[len(bom):]
            break
    text = text.lstrip()
    if text[:1] == b"{":
        return "jsonl"
    if text[:1] == b"[":
        raise InputError(f"{path.name}: a JSON array; convert it to JSON Lines (one object per line)")
    if text[:1] == b"<":
        raise InputError(f"{path.name}: an HTML/XML document, not a table; save it as .xlsx or .csv")
    return "csv"


def open_source(path: Path, *, sheet: str | None = None, chunk_size: int = 50_000) -> RawSource:
    """Open ``path`` for reading in chunks. ``sheet`` picks a worksheet of a workbook (default: the first)."""
    path = Path(path)
    kind = sniff_kind(path)
    if kind in ("xlsx", "xls"):
        return XlsxSource(path, sheet=sheet, chunk_size=chunk_size, kind=kind)
    if sheet is not None:
        raise InputError(f"{path.name}: --sheet only applies to Excel workbooks, this is a {kind} file")
    if kind == "jsonl":
        with open(path, "rb") as fh:
            bom = fh.read(3) == b"\xef\xbb\xbf"
        return JsonlSource(path, encoding="utf-8-sig" if bom else "utf-8", chunk_size=chunk_size)
    return CsvSource(path, chunk_size=chunk_size)
