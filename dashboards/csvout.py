"""CSV exports that are safe to open in Excel: formula-like cells neutralised, UTF-8 with BOM."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """A cell as text; one that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def rejects_csv(rejects: list[dict[str, Any]]) -> bytes:
    """One line per reject: row number, column, reason, then the raw row's own columns in first-seen order."""
    raw_cols: dict[str, None] = {}
    for r in rejects:
        raw_cols.update(dict.fromkeys(r["raw"]))
    header = ["行号", "字段", "原因", *raw_cols]
    rows = ([r["row_number"], r["column"], r["reason"], *(r["raw"].get(c) for c in raw_cols)] for r in rejects)
    return to_csv(header, rows)
