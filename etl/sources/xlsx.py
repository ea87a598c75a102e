"""Excel workbooks (.xlsx, and legacy .xls) read with python-calamine in chunks of string columns."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine as calamine

from etl.sources.raw import InputError, RawSource, clean_headers, column_to_str, frame_from_columns

HEADER_SCAN_ROWS = 30  # title rows above the header are skipped within this many rows


def _filled(row: list) -> int:
    return sum(1 for v in row if v is not None and v != "")


class XlsxSource(RawSource):
    """One sheet of a workbook (the first, or the named one). Title rows above the header (a row with fewer than
    two filled cells) are skipped; the header is the first row with at least two filled cells. Row numbers are
    the sheet's own row numbers. Number cells come out as ``"12"`` / ``"2.5"``, date cells as
    ``"YYYY-MM-DD HH:MM:SS"``, booleans as ``"TRUE"``/``"FALSE"``."""

    kind = "xlsx"

    def __init__(self, path: Path, *, sheet: str | None = None, chunk_size: int = 50_000, kind: str = "xlsx"):
        self.kind = kind
        self.chunk_size = max(1, int(chunk_size))
        try:
            self._book = calamine.CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises several error types for a broken or foreign zip
            raise InputError(f"{path.name}：不是可读取的 Excel 工作簿（{exc}）") from exc
        names = list(self._book.sheet_names)
        if sheet is None:
            if not names:
                raise InputError(f"{path.name}：工作簿中没有工作表")
            sheet = names[0]
        elif sheet not in names:
            raise InputError(f"{path.name}：没有名为“{sheet}”的工作表（现有：{'、'.join(names)}）")
        self.sheet = sheet
        try:
            self._ws = self._book.get_sheet_by_name(sheet)
        except Exception as exc:
            raise InputError(f"{path.name}：工作表“{sheet}”无法读取（{exc}）") from exc
        head = list(islice(self._ws.iter_rows(), HEADER_SCAN_ROWS))
        filled = [_filled(r) for r in head]
        if not any(filled):
            raise InputError(f"{path.name}：工作表“{sheet}”是空的")
        self._header_index = next((i for i, n in enumerate(filled) if n >= 2), next(i for i, n in enumerate(filled)
                                                                                      if n))
        super().__init__(path, clean_headers(head[self._header_index], f"{path.name} [{sheet}]"))

    def chunks(self) -> Iterator[pd.DataFrame]:
        rows_iter = self._ws.iter_rows()
        first = self._header_index + 1  # index of the first data row in iter_rows (which starts at sheet row 1)
        for _ in islice(rows_iter, first):
            pass
        width = len(self.headers)
        start = first
        while True:
            rows = list(islice(rows_iter, self.chunk_size))
            if not rows:
                break
            if len(rows[0]) != width:  # calamine ranges are rectangular; keep this defensive
                rows = [(list(r) + [None] * width)[:width] for r in rows]
            columns = list(zip(*rows, strict=True))
            data = {h: column_to_str(columns[j]) for j, h in enumerate(self.headers)}
            numbers = np.arange(start + 1, start + 1 + len(rows), dtype=np.int64)
            start += len(rows)
            df = frame_from_columns(data, numbers)
            if len(df):
                yield df
