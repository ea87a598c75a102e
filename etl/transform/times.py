"""Vectorised date-time parsing of every format seen in real exports, to naive local wall-clock datetime64."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedback.text.normalise import clean_arrow, to_arrow

# Formats with separators, tried (exact match) on whatever is still unparsed. Digit-only strings are dispatched by
# length instead (see _numeric), because e.g. "%Y%m%d%H%M%S" would happily read an epoch in milliseconds.
TEXT_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y%m%dT%H%M%S",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H时%M分%S秒",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y年%m月%d日 %H时",
)
# Strings that carry a UTC offset (or Z): converted to the target time zone.
OFFSET_FORMATS: tuple[str, ...] = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y%m%dT%H%M%S%z")
DIGIT_FORMATS: dict[int, str] = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")  # 1900 date system (serial 61 = 1900-03-01)
EXCEL_SERIAL_RANGE = (36526.0, 73051.0)  # 2000-01-01 … 2100-01-01: a 5-digit number in a time column
SAMPLE = 64

_NAT = np.iinfo(np.int64).min


def _strptime(arr: pa.Array, fmt: str) -> pa.Array:
    return pc.strptime(arr, format=fmt, unit="us", error_is_null=True)


class _Parse:
    """Result buffer: microseconds since the epoch (wall clock) per row, and the rows still to parse."""

    def __init__(self, arr: pa.Array, tz: str):
        self.arr = arr
        self.tz = tz
        self.out = np.full(len(arr), _NAT, dtype=np.int64)
        self.todo = np.flatnonzero(arr.is_valid().to_numpy(zero_copy_only=False))

    def rows(self, idx: np.ndarray) -> pa.Array:
        return self.arr if len(idx) == len(self.arr) else self.arr.take(pa.array(idx))

    def put(self, idx: np.ndarray, parsed: pa.Array, *, utc: bool = False) -> None:
        ok = parsed.is_valid().to_numpy(zero_copy_only=False)
        if not ok.any():
            return
        values = pc.cast(parsed.filter(pa.array(ok)), pa.int64()).to_numpy()
        if utc:
            local = pd.to_datetime(values, unit="us", utc=True).tz_convert(self.tz).tz_localize(None)
            values = local.as_unit("us").asi8
        self.out[idx[ok]] = values
        self.todo = self.todo[self.out[self.todo] == _NAT]

    def pass_formats(self, formats: tuple[str, ...], *, utc: bool = False) -> None:
        if not len(self.todo):
            return
        # Order the formats by how many of a small sample each one reads, so mostly one pass does the work.
        sample = self.arr.take(pa.array(self.todo[:SAMPLE]))
        hits = {f: _strptime(sample, f).null_count for f in formats}
        for fmt in sorted(formats, key=hits.get):
            if not len(self.todo):
                return
            idx = self.todo
            self.put(idx, _strptime(self.rows(idx), fmt), utc=utc)

    def pass_digits(self) -> None:
        if not len(self.todo):
            return
        idx = self.todo
        sub = self.rows(idx)
        is_num = pc.fill_null(pc.match_substring_regex(sub, r"^[0-9]+(\.[0-9]+)?$"), False).to_numpy(
            zero_copy_only=False)
        if not is_num.any():
            return
        idx, sub = idx[is_num], sub.filter(pa.array(is_num))
        text = pd.Series(sub.to_numpy(zero_copy_only=False), dtype=object)
        length = text.str.len().to_numpy()
        is_int = ~text.str.contains(".", regex=False).to_numpy()
        for n, fmt in DIGIT_FORMATS.items():
            m = is_int & (length == n)
            if m.any():
                self.put(idx[m], _strptime(sub.filter(pa.array(m)), fmt))
        for n, unit in ((13, "ms"), (10, "s")):
            m = is_int & (length == n)
            if m.any():
                vals = pd.to_numeric(text[m]).to_numpy(dtype=np.int64)
                self.put(idx[m], pa.array(pd.to_datetime(vals, unit=unit).as_unit("us").asi8, pa.int64()), utc=True)
        num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        m = (num >= EXCEL_SERIAL_RANGE[0]) & (num < EXCEL_SERIAL_RANGE[1]) & (~is_int | (length == 5))
        if m.any():
            us = np.round(num[m] * 86_400) * 1_000_000  # Excel keeps ms noise: round to the second
            vals = EXCEL_EPOCH.astype(np.int64) + us.astype(np.int64)
            self.put(idx[m], pa.array(vals, pa.int64()))

    def pass_pandas_iso(self) -> None:
        """Fractional seconds and other ISO 8601 shapes Arrow's strptime does not take."""
        if not len(self.todo):
            return
        idx = self.todo
        text = pd.Series(self.arr.take(pa.array(idx)).to_numpy(zero_copy_only=False), dtype=object)
        has_offset = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).to_numpy()
        for offset in (False, True):
            m = has_offset == offset
            if m.any():
                parsed = pd.to_datetime(text[m], format="ISO8601", errors="coerce", utc=offset)
                if offset:
                    parsed = parsed.dt.tz_convert(self.tz).dt.tz_localize(None)
                ok = parsed.notna().to_numpy()
                vals = np.where(ok, parsed.to_numpy(dtype="datetime64[us]").view(np.int64), 0)
                self.put(idx[m], pa.array(vals, pa.int64(), mask=~ok))


def parse_datetimes(values: pd.Series, tz: str = "Asia/Shanghai") -> pd.Series:
    """Parse a column of date-time strings to naive wall-clock ``datetime64[us]`` in ``tz``; NaT where missing or
    not recognised. Naive inputs are taken as wall-clock time in ``tz``; offsets, ``Z`` and epochs are converted.
    Accepted: ``2019-02-28 11:25:05``, ``2019/2/28 11:25:05``, ``2019-02-28``, ``2019/2/28``, ``…T…``,
    ``20190228T112505``, ``20190228112505``, ``20190228``, ISO 8601 with fractions and offsets, epoch ms / s,
    Excel serials (``43524.4757``), ``2019年2月28日 11时25分``."""
    arr = pc.utf8_trim_whitespace(to_arrow(values))
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)
    p = _Parse(arr, tz)
    p.pass_formats(TEXT_FORMATS)
    p.pass_digits()
    if len(p.todo):  # leftovers may be dirty: full-width digits, stray inner spaces
        cleaned = clean_arrow(p.arr)
        p.arr = pc.if_else(pc.is_null(cleaned), p.arr, cleaned)
        p.pass_formats(TEXT_FORMATS)
        p.pass_digits()
    p.pass_formats(OFFSET_FORMATS, utc=True)
    p.pass_pandas_iso()
    out = p.out.view("datetime64[us]")
    return pd.Series(out, index=values.index)
