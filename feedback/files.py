"""Input table formats: which format a file is, from its first bytes (one detector for ETL, uploads, corpora)."""

from __future__ import annotations

from pathlib import Path

# The file-name endings each format is saved with (what the upload form accepts); the content decides the reader.
SUFFIXES = {"csv": (".csv", ".txt", ".tsv"), "xlsx": (".xlsx",), "jsonl": (".json", ".jsonl", ".ndjson")}
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other MS Office binary files)
_COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"7z\xbc\xaf": "7z", b"Rar!": "rar", b"%PDF": "PDF"}


class FormatError(ValueError):
    """A file that is not a readable table (missing, empty, an archive, a JSON array …); the message names it."""


def known_suffixes() -> tuple[str, ...]:
    """Every file-name ending of :data:`SUFFIXES`, in order."""
    return tuple(s for endings in SUFFIXES.values() for s in endings)


def sniff_format(path: str | Path) -> str:
    """``"xlsx"``, ``"xls"``, ``"jsonl"`` or ``"csv"`` from the first bytes; unusable files raise FormatError."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such file")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise FormatError(f"{path.name}: the file is empty")
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE2):
        return "xls"
    for magic, what in _COMPRESSED.items():
        if head.startswith(magic):
            raise FormatError(f"{path.name}: a {what} file, not a table; extract or export it as .xlsx/.csv first")
    text = head
    for bom in BOMS:
        if text.startswith(bom):
            text = text[len(bom):]
            break
    text = text.lstrip()
    if text[:1] == b"{":
        return "jsonl"
    if text[:1] == b"[":
        raise FormatError(f"{path.name}: a JSON array; convert it to JSON Lines (one object per line)")
    if text[:1] == b"<":
        raise FormatError(f"{path.name}: an HTML/XML document, not a table; save it as .xlsx or .csv")
    return "csv"


def has_utf8_bom(path: str | Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(3) == BOMS[0]
