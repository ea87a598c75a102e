"""Input table formats: which format a file is, from its first bytes (one detector for ETL, uploads, corpora)."""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

# The file-name endings each format is saved with (what the upload form accepts); the content decides the reader.
SUFFIXES = {"csv": (".csv", ".txt", ".tsv"), "xlsx": (".xlsx",), "jsonl": (".json", ".jsonl", ".ndjson")}
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other MS Office binary files)
_COMPRESSED = {b"\x1f\x8b": "gzip 压缩", b"BZh": "bzip2 压缩", b"7z\xbc\xaf": "7z 压缩", b"Rar!": "RAR 压缩",
               b"%PDF": "PDF"}


class FormatError(ValueError):
    """A file that is not a readable table (missing, empty, an archive, a JSON array …); the message names it."""


def known_suffixes() -> tuple[str, ...]:
    """Every file-name ending of :data:`SUFFIXES`, in order."""
    return tuple(s for endings in SUFFIXES.values() for s in endings)


def sniff_format(path: str | Path) -> str:
    """``"xlsx"``, ``"xls"``, ``"jsonl"`` or ``"csv"`` from the first bytes; unusable files raise FormatError."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}：文件不存在")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise FormatError(f"{path.name}：文件是空的")
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE2):
        return "xls"
    for magic, what in _COMPRESSED.items():
        if head.startswith(magic):
            raise FormatError(f"{path.name}：这是 {what} 文件，不是表格；请先解压或导出为 XLSX / CSV 文件")
    text = head
    for bom in BOMS:
        if text.startswith(bom):
            text = text[len(bom):]
            break
    text = text.lstrip()
    if text[:1] == b"{":
        return "jsonl"
    if text[:1] == b"[":
        raise FormatError(f"{path.name}：这是 JSON 数组；请转换为每行一个 JSON 对象的 JSONL 格式")
    if text[:1] == b"<":
        raise FormatError(f"{path.name}：这是网页（HTML / XML）文档，不是表格；请另存为 XLSX 或 CSV 文件")
    return "csv"


def has_utf8_bom(path: str | Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(3) == BOMS[0]


@dataclass(frozen=True)
class WorkbookLimits:
    """What an .xlsx may demand before its reader (which holds a sheet's used area as a dense grid) opens it;
    ``[ingest] xlsx_*`` in config.toml."""

    max_cells: int = 50_000_000  # rows × columns of a sheet's used area (about 32 bytes each in the reader)
    max_uncompressed_mb: int = 2_048  # all members of the zip together, uncompressed
    max_ratio: int = 200  # uncompressed / compressed size of any member over 1 MB uncompressed
    max_shared_strings: int = 5_000_000  # entries of the shared-string table (declared or present)


_RATIO_FLOOR = 1 << 20  # members smaller than this uncompressed are not judged by their ratio
_READ = 1 << 20
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([^\"]*)\"")
_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")
_R_ATTR = re.compile(rb"\br=\"([A-Za-z]*)(\d*)\"")
_SST_COUNT = re.compile(rb"<(?:\w+:)?sst\b[^>]*?\buniqueCount=\"(\d+)\"")
_SI = re.compile(rb"<(?:\w+:)?si[\s>]")
_REF = re.compile(r"([A-Za-z]{1,7})(\d{1,12})$")


def _column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        n = n * 26 + ord(ch) - 64
    return n


def _declared_area(ref: str) -> tuple[int, int]:
    """(rows, columns) of a ``<dimension ref="A1:XFD1048576">``; (0, 0) when it cannot be read."""
    last = ref.split(":")[-1].replace("$", "")
    m = _REF.match(last)
    return (int(m.group(2)), _column_number(m.group(1))) if m else (0, 0)


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    """The member's bytes in pieces that never split a tag (each piece ends before the last ``<``)."""
    tail = b""
    with zf.open(info) as fh:
        while piece := fh.read(_READ):
            data = tail + piece
            cut = data.rfind(b"<")
            if cut <= 0:
                tail = data
                continue
            tail = data[cut:]
            yield data[:cut]
    if tail:
        yield tail


def _sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int, tuple[int, int]]:
    """(last row, last column, declared (rows, columns)) of one worksheet, from every row and cell tag.

    The common layout (``r="…"`` the first attribute of every row and cell, as Excel, POI and openpyxl write it)
    is scanned with byte searches; anything else falls back to counting tag by tag (_implicit_extent)."""
    max_row = max_col = 0
    declared = (0, 0)
    regular = True
    tags: tuple | None = None
    for piece in _stream(zf, info):
        if tags is None:  # the first piece: the namespace prefix and the declared dimension come first
            ns = _PREFIX.search(piece)
            tags = _tags(ns.group(1) if ns and ns.group(1) else b"")
            if d := _DIMENSION.search(piece):
                declared = _declared_area(d.group(1).decode("ascii", "replace"))
        scan, cell_open, row_tags, cell_tags = tags
        rows = 0
        for number, letters in scan.findall(piece):
            if number:
                rows += 1
                max_row = max(max_row, int(number))
            else:
                max_col = max(max_col, _column_number(letters))
        if max_col < 26:
            for n in range(26, max_col, -1):  # single-letter columns: the last one present, by byte search
                if cell_open + bytes([64 + n]) in piece:
                    max_col = n
                    break
        if rows != sum(piece.count(t) for t in row_tags) or piece.count(cell_open) != sum(
                piece.count(t) for t in cell_tags):
            regular = False
    if not regular:
        max_row, max_col = _implicit_extent(zf, info)
    return max_row, max_col, declared


def _tags(prefix: bytes) -> tuple:
    p = re.escape(prefix)
    scan = re.compile(rb"<" + p + rb"row r=\"(\d+)\"|<" + p + rb"c r=\"([A-Za-z]{2,7})\d")
    row_tags = tuple(b"<" + prefix + b"row" + end for end in (b" ", b">", b"/>"))
    cell_tags = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/>"))
    return scan, b"<" + prefix + b'c r="', row_tags, cell_tags


def _implicit_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Last row and column when positions are implied by order (rows and cells without ``r=``), tag by tag."""
    row = col = max_row = max_col = 0
    tag = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s/>])([^>]*)>")
    for piece in _stream(zf, info):
        for m in tag.finditer(piece):
            r = _R_ATTR.search(m.group(2))
            if m.group(1) == b"row":
                row = int(r.group(2)) if r and r.group(2) else row + 1
                col = 0
                max_row = max(max_row, row)
            else:
                col = _column_number(r.group(1)) if r and r.group(1) else col + 1
                max_col = max(max_col, col)
                if r and r.group(2):
                    max_row = max(max_row, int(r.group(2)))
    return max_row, max_col


def _shared_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    declared = present = 0
    for piece in _stream(zf, info):
        if not declared and (m := _SST_COUNT.search(piece)):
            declared = int(m.group(1))
        present += len(_SI.findall(piece))
    return max(declared, present)


def check_workbook(path: str | Path, limits: WorkbookLimits | None = None) -> None:
    """Refuse an .xlsx whose reading would take unbounded memory (a far cell, a huge declared dimension, a
    shared-string or compression bomb) before any reader opens it: FormatError names the file and the excess.
    Reads the zip's directory and streams the sheet and shared-string XML (never holding a member in memory)."""
    path = Path(path)
    limits = limits or WorkbookLimits()
    name = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FormatError(f"{name}: 不是可读取的 Excel 工作簿（zip 结构损坏：{exc}）") from None
    with zf:
        members = zf.infolist()
        total = sum(i.file_size for i in members)
        if total > limits.max_uncompressed_mb * (1 << 20):
            raise FormatError(
                f"{name}: 工作簿解压后共 {total / (1 << 20):,.0f} MB，超过上限 {limits.max_uncompressed_mb:,} MB"
                "（ingest.xlsx_max_uncompressed_mb），拒绝读取")
        for info in members:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
                raise FormatError(
                    f"{name}: 工作簿成员 {info.filename} 的压缩比为 {ratio:,.0f} 倍，超过上限 {limits.max_ratio:,} 倍"
                    "（ingest.xlsx_max_ratio），疑似压缩炸弹，拒绝读取")
        try:
            for info in members:
                low = info.filename.lower()
                if low.endswith("sharedstrings.xml"):
                    count = _shared_strings(zf, info)
                    if count > limits.max_shared_strings:
                        raise FormatError(
                            f"{name}: 共享字符串表有 {count:,} 项，超过上限 {limits.max_shared_strings:,} 项"
                            "（ingest.xlsx_max_shared_strings），拒绝读取")
                elif _is_worksheet(zf, info):  # wherever the workbook's relationships put it
                    _check_sheet(name, zf, info, limits)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise FormatError(f"{name}: 不是可读取的 Excel 工作簿（{info.filename} 无法解压：{exc}）") from None


def _is_worksheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    if info.is_dir() or info.file_size == 0:
        return False
    with zf.open(info) as fh:
        return bool(_PREFIX.search(fh.read(4096)))


def _check_sheet(name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: WorkbookLimits) -> None:
    sheet = info.filename.rsplit("/", 1)[-1]
    rows, cols, (d_rows, d_cols) = _sheet_extent(zf, info)
    for what, r, c in (("声明的范围（dimension）", d_rows, d_cols), ("实际使用区域", rows, cols)):
        if r * c > limits.max_cells:
            raise FormatError(
                f"{name}: 工作表 {sheet} 的{what}为 {r:,} 行 × {c:,} 列 = {r * c:,} 个单元格，超过上限 "
                f"{limits.max_cells:,}（ingest.xlsx_max_cells），拒绝读取；请删除远处的空白单元格或拆分文件")
