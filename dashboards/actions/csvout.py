"""CSV exports that are safe to open in Excel: formula-like cells neutralised, UTF-8 with BOM."""

from __future__ import annotations

from typing import Any

from feedback.sheets import csv_bytes


def rejects_csv(rejects: list[dict[str, Any]]) -> bytes:
    """One line per reject: row number, column, reason, then the raw row's own columns in first-seen order."""
    raw_cols: dict[str, None] = {}
    for r in rejects:
        raw_cols.update(dict.fromkeys(r["raw"]))
    header = ["行号", "字段", "原因", *raw_cols]
    rows = ([r["row_number"], r["column"], r["reason"], *(r["raw"].get(c) for c in raw_cols)] for r in rejects)
    return csv_bytes(header, rows)
