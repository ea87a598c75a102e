"""Value parsers for coded fields (levels, channels, tags, flags, numbers, regions), applied per distinct value."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from etl.profiles import norm_value
from feedback.codes import CHANNEL_NAMES, CHANNELS, LEVEL_WORDS, OTHER_CHANNEL, TAG_BY_TEXT, TAGS
from feedback.text.normalise import STR_DTYPE, clean_scalar

_CHANNEL_NAMES_CF = {k.casefold(): v for k, v in CHANNEL_NAMES.items()} | {c: c for c in CHANNELS}
_LEVEL_WORDS = {k.casefold(): v for k, v in LEVEL_WORDS.items()}
REGION_LENGTHS = (2, 4, 6, 9, 12)  # the levels of a 行政区划 code (DOMAIN.md §4)
_TAG_SPLIT = re.compile(r"[,|，;；、\s]+")
_FLAGS = {
    "1": True, "0": False, "是": True, "否": False, "true": True, "false": False, "t": True, "f": False,
    "y": True, "n": False, "yes": True, "no": False, "有": True, "无": False, "匿名": True, "实名": False,
    "公开": True, "不公开": False,
}
_USER_TYPES = {"1": "person", "2": "legal", "个人": "person", "自然人": "person", "person": "person",
               "法人": "legal", "企业": "legal", "单位": "legal", "legal": "legal"}


class Distinct:
    """A column factorised once: parsers run over its distinct values, results are spread back by code."""

    def __init__(self, series: pd.Series):
        self.codes, uniques = pd.factorize(series)
        self.uniques: list[str] = [str(u) for u in uniques]

    def apply(self, fn: Callable[[str], Any]) -> list[Any]:
        return [fn(u) for u in self.uniques]

    def take(self, values: Sequence[Any], dtype: Any) -> pd.array:
        """Per-row array from one value per distinct input (missing input → NA)."""
        return pd.array(list(values), dtype=dtype).take(self.codes, allow_fill=True)

    def take_np(self, values: Sequence[Any], fill: Any, dtype: Any) -> np.ndarray:
        arr = np.asarray([*values, fill], dtype=dtype)
        return arr[np.where(self.codes < 0, len(values), self.codes)]

    def cleaned(self) -> list[str | None]:
        return self.apply(clean_scalar)

    def cleaned_series(self, index: pd.Index, max_len: int | None = None) -> pd.Series:
        values = self.cleaned()
        if max_len:
            values = [v[:max_len] if v else v for v in values]
        return pd.Series(self.take(values, STR_DTYPE), index=index)


def parse_level(raw: str, scheme: str, level_map: Mapping[str, int]) -> tuple[int | None, str | None]:
    """Normalised level 1..5 (5 = best) and the scheme it was read with, or ``(None, None)``."""
    key = norm_value(raw)
    if not key:
        return None, None
    if key in level_map:
        return level_map[key], scheme
    if key in _LEVEL_WORDS:
        return _LEVEL_WORDS[key], "text"
    if key.isdigit() and 1 <= int(key) <= 5:
        code = int(key)
        if scheme == "gbt39046":
            return 6 - code, "gbt39046"
        return code, "platform"
    return None, None


def channel_of(raw: str, channel_map: Mapping[str, str]) -> str:
    """Canonical channel of a raw value: the profile's map, then Chinese names and canonical codes, else other."""
    key = norm_value(raw)
    return channel_map.get(key) or _CHANNEL_NAMES_CF.get(key) or OTHER_CHANNEL


def parse_tags(raw: str) -> tuple[str | None, tuple[str, ...]]:
    """Known tag codes (v1 or v2; tag wording is mapped to its code) as ``"110,209"`` in source order without
    repeats, and the unknown items."""
    known: list[str] = []
    unknown: list[str] = []
    for item in _TAG_SPLIT.split(clean_scalar(raw) or ""):
        if not item:
            continue
        code = item[:-2] if item.endswith(".0") else item
        code = code if code in TAGS else TAG_BY_TEXT.get(item)
        if code is None:
            unknown.append(item)
        elif code not in known:
            known.append(code)
    return (",".join(known) or None), tuple(unknown)


def parse_flag(raw: str) -> bool | None:
    return _FLAGS.get(norm_value(raw))


def parse_user_type(raw: str) -> str | None:
    return _USER_TYPES.get(norm_value(raw))


def int_parser(lo: int, hi: int) -> Callable[[str], int | None]:
    def parse(raw: str) -> int | None:
        key = norm_value(raw)
        if key.isdigit() and lo <= int(key) <= hi:
            return int(key)
        return None

    return parse


def region_parser(width: int) -> Callable[[str], str | None]:
    """Digits only, 2 (province), 4 (city), 6 (county), 9 (township) or 12 (village) long, padded right with zeros
    to ``width``."""
    allowed = {n for n in REGION_LENGTHS if n <= width} | {width}

    def parse(raw: str) -> str | None:
        key = norm_value(raw)
        if key.isascii() and key.isdigit() and len(key) in allowed:
            return key.ljust(width, "0")
        return None

    return parse


def region_rule(width: int) -> str:
    allowed = sorted({n for n in REGION_LENGTHS if n <= width} | {width})
    return "、".join(str(n) for n in allowed)
