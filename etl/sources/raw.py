"""The raw-source contract every reader implements: headers, string chunks with row numbers, and input errors."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from feedback.text.normalise import STR_DTYPE, clean_scalar

ROW = "__row__"  # int: the row number a person sees (header = 1, first data row = 2; JSON Lines: line number)
ERROR = "__error__"  # str: why the reader could not split this row into fields (NA for good rows)
SPECIAL_COLUMNS = (ROW, ERROR)


class InputError(ValueError):
    """An input that cannot be read as a table at all; the message is one line naming the file."""


class RawSource:
    """A readable table: ``headers`` known up front, ``chunks()`` yields DataFrames of strings.

    Every chunk has one ``str`` column per source header (cells exactly as in the source, missing or empty = NA,
    numbers never parsed), plus ``__row__`` (int64) and ``__error__`` (``str``, NA unless the reader could not
    split the row; such a row carries whatever fields could be recovered and must be recorded as rejected).
    Fully empty rows are skipped (they still count in the row numbers)."""

    kind: str = ""
    encoding: str | None = None
    sheet: str | None = None

    def __init__(self, path: Path, headers: list[str]):
        self.path = path
        self.headers = headers

    def chunks(self) -> Iterator[pd.DataFrame]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path.name} kind={self.kind} columns={len(self.headers)}>"


def clean_headers(raw: Sequence[object], source: str) -> list[str]:
    """Header names with BOM, whitespace runs and full-width letters cleaned; blanks become ``column_N`` and
    repeats ``name.2``; a header row without any usable name is an ``InputError``."""
    names: list[str] = []
    seen: set[str] = set()
    usable = 0
    for i, value in enumerate(raw, 1):
        name = clean_scalar(cell_to_str(value))
        if name:
            usable += 1
        else:
            name = f"column_{i}"
        base, k = name, 1
        while name in seen or name in SPECIAL_COLUMNS:
            k += 1
            name = f"{base}.{k}"
        seen.add(name)
        names.append(name)
    if not usable:
        raise InputError(f"{source}：表头行没有可用的列名")
    return names


def _fmt_float(v: float) -> str | None:
    if math.isnan(v) or math.isinf(v):
        return None
    if v.is_integer() and abs(v) < 2**63:
        return str(int(v))
    return repr(v)


def _fmt_datetime(v: dt.datetime) -> str:
    if v.microsecond:
        v = (v + dt.timedelta(microseconds=500_000)).replace(microsecond=0)  # Excel float noise → whole second
    if v.tzinfo is not None:
        return v.isoformat(sep=" ")  # the offset stays; the transform converts it
    return v.strftime("%Y-%m-%d %H:%M:%S")


_CONVERTERS = {
    str: lambda v: v,
    bool: lambda v: "TRUE" if v else "FALSE",
    int: str,
    float: _fmt_float,
    Decimal: lambda v: format(v.normalize(), "f") if v == v.to_integral_value() else str(v),
    dt.datetime: _fmt_datetime,
    pd.Timestamp: lambda v: _fmt_datetime(v.to_pydatetime()),
    dt.date: lambda v: v.strftime("%Y-%m-%d 00:00:00"),
    dt.time: lambda v: v.strftime("%H:%M:%S"),
    dt.timedelta: str,
    bytes: lambda v: v.decode("utf-8", "replace"),
    dict: lambda v: json.dumps(v, ensure_ascii=False),
    list: lambda v: json.dumps(v, ensure_ascii=False),
}


def cell_to_str(v: object) -> str | None:
    """One typed cell (Excel, JSON, SQL) as the string the transform parses: integers without ``.0``, date-times
    as ``YYYY-MM-DD HH:MM:SS``, booleans ``TRUE``/``FALSE``; ``None`` stays ``None``."""
    if v is None:
        return None
    conv = _CONVERTERS.get(type(v))
    if conv is None:
        for cls, fn in _CONVERTERS.items():
            if isinstance(v, cls):
                conv = fn
                break
        else:
            conv = str
    return conv(v)


def column_to_str(values: Iterable[object]) -> pd.array:
    """A column of typed cells as a ``str`` array; empty strings become NA."""
    values = list(values)
    if not set(map(type, values)) <= {str}:
        values = [cell_to_str(v) for v in values]
    arr = pd.array(values, dtype=STR_DTYPE)
    arr[arr == ""] = np.nan
    return arr


def frame_from_columns(columns: dict[str, object], rows: np.ndarray, errors: Sequence[str | None] | None = None
                       ) -> pd.DataFrame:
    """Assemble a chunk: source columns, ``__row__`` and ``__error__``; rows with no value at all are dropped."""
    df = pd.DataFrame(columns)
    n = len(rows)
    df[ROW] = np.asarray(rows, dtype=np.int64)
    if errors is None:
        df[ERROR] = pd.Series(pa.nulls(n, pa.large_string()), index=df.index, dtype=STR_DTYPE)
    else:
        df[ERROR] = pd.array(errors, dtype=STR_DTYPE)
    data_cols = [c for c in df.columns if c not in SPECIAL_COLUMNS]
    # a blank row is possible only if every data column has a missing value somewhere
    if n and data_cols and all(df[c].hasnans for c in data_cols):
        empty = df[data_cols].isna().all(axis=1) & df[ERROR].isna()
        if empty.any():
            df = df.loc[~empty]
    return df.reset_index(drop=True)
