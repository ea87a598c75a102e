"""The filter set shared by every screen, API call, export and report, with its URL form."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from feedback.codes import CHANNELS


class FilterError(ValueError):
    """A filter value that cannot be used (bad date, unknown level …)."""


_MULTI = ("depts", "regions", "channels", "services", "levels", "categories", "sentiments", "kinds")
_URL_NAMES = {  # URL parameter → field
    "start": "start", "end": "end", "dept": "depts", "region": "regions", "channel": "channels",
    "service": "services", "level": "levels", "category": "categories", "sentiment": "sentiments", "kind": "kinds",
}
SENTIMENTS = ("neg", "neu", "pos")
# Dates a filter may name: ratings exist from the 2000s on; a date like 0001-01-01 or 9999-12-31 is a typo or a
# probe, and would make every period computation (and the work of a request) unbounded.
MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2100, 12, 31)
KINDS = ("rating", "message")
# a channel by its code or by its name on screens (channel=实体大厅 as channel=hall); anything else is an error,
# never a filter that silently matches nothing (a national channel number such as 4 is a source's raw value)
_CHANNEL_BY_NAME = {name: code for code, name in CHANNELS.items()}


def parse_date(name: str, raw: Any) -> date:
    """A URL date (YYYY-MM-DD) between MIN_DATE and MAX_DATE; FilterError with a Chinese message otherwise."""
    text = str(raw).strip()
    try:
        value = date.fromisoformat(text)
    except ValueError as exc:
        raise FilterError(f"{name}：'{text[:40]}' 不是日期（格式 YYYY-MM-DD）") from exc
    if not MIN_DATE <= value <= MAX_DATE:
        raise FilterError(f"{name}：日期 {value.isoformat()} 超出允许范围 {MIN_DATE.isoformat()} 至 "
                          f"{MAX_DATE.isoformat()}")
    return value


@dataclass(frozen=True)
class Filters:
    """Inclusive date range on ``rated_at`` and multi-select values; an empty tuple means 'all'."""

    start: date | None = None
    end: date | None = None
    depts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # service_code, or service_name when a source has no codes
    levels: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def scoped(self, dept: str | None) -> Filters:
        """Restrict to one department (a user bound to a department sees only it, whatever was asked)."""
        if dept is None:
            return self
        return dataclasses.replace(self, depts=(dept,))

    def with_period(self, start: date | None, end: date | None) -> Filters:
        return dataclasses.replace(self, start=start, end=end)

    def to_query_args(self) -> list[tuple[str, str]]:
        """URL parameters (repeatable keys for multi-select), the inverse of ``from_query_args``."""
        out: list[tuple[str, str]] = []
        for url_name, fname in _URL_NAMES.items():
            value = getattr(self, fname)
            if value is None or value == ():
                continue
            if isinstance(value, tuple):
                out.extend((url_name, str(v)) for v in value)
            else:
                out.append((url_name, value.isoformat()))
        return out

    def query_string(self, **changes: Any) -> str:
        """``urlencode(dataclasses.replace(self, **changes).to_query_args())``, with this filter set's own
        fields encoded once per filter set (the 总览 links each of its marks to the explorer: hundreds a
        request); a test holds the two equal."""
        if not changes.keys() <= _FIELDS:
            raise TypeError(f"not a filter field: {', '.join(sorted(changes.keys() - _FIELDS))}")
        own = _encoded(self)
        return "&".join(p for p in (_encode(url_name, changes[fname]) if fname in changes else own[fname]
                                    for url_name, fname in _URL_NAMES.items()) if p)

    @classmethod
    def from_query_args(cls, args: Mapping[str, Any] | Iterable[tuple[str, str]]) -> Filters:
        """Parse ``?start=2026-01-01&dept=A&dept=B&level=1`` (a werkzeug MultiDict, a dict of lists, or pairs).

        Comma-separated values are accepted too (``level=1,2``)."""
        pairs: list[tuple[str, str]] = []
        if hasattr(args, "getlist"):
            for key in args.keys():  # noqa: SIM118 - MultiDict
                pairs.extend((key, v) for v in args.getlist(key))
        elif isinstance(args, Mapping):
            for key, value in args.items():
                values = value if isinstance(value, list | tuple) else [value]
                pairs.extend((key, v) for v in values)
        else:
            pairs = list(args)
        data: dict[str, Any] = {f: [] for f in _MULTI}
        for key, raw in pairs:
            fname = _URL_NAMES.get(key)
            if fname is None or raw is None or str(raw).strip() == "":
                continue
            if fname in ("start", "end"):
                data[fname] = parse_date(key, raw)
                continue
            for part in str(raw).split(","):
                part = part.strip()
                if part:
                    data[fname].append(part)
        try:
            levels = tuple(sorted({int(v) for v in data["levels"]}))
        except ValueError as exc:
            raise FilterError(f"level：{'、'.join(data['levels'])[:60]} 不是 1–5 的数字") from exc
        if any(v < 1 or v > 5 for v in levels):
            raise FilterError("level：满意度必须在 1 到 5 之间")
        bad = set(data["sentiments"]) - set(SENTIMENTS)
        if bad:
            raise FilterError(f"sentiment：未知取值 {'、'.join(sorted(bad))[:60]}（可用 {', '.join(SENTIMENTS)}）")
        channels = [_CHANNEL_BY_NAME.get(v, v) for v in data["channels"]]
        bad = set(channels) - set(CHANNELS)
        if bad:  # channels are stored as canonical codes only (etl.transform.fields.channel_of): say so
            raise FilterError(f"channel：未知渠道 {'、'.join(sorted(bad))[:60]}（可用 "
                              f"{'、'.join(f'{code}（{name}）' for code, name in CHANNELS.items())}）")
        data["channels"] = channels
        bad = set(data["kinds"]) - set(KINDS)
        if bad:
            raise FilterError(f"kind：未知取值 {'、'.join(sorted(bad))[:60]}（可用 {', '.join(KINDS)}）")
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            raise FilterError(f"开始日期 {start} 晚于结束日期 {end}")
        return cls(
            start=start if isinstance(start, date) else None,
            end=end if isinstance(end, date) else None,
            levels=levels,
            **{f: tuple(dict.fromkeys(data[f])) for f in _MULTI if f != "levels"},
        )


FIELD_LABELS = (("depts", "部门"), ("regions", "区划"), ("channels", "渠道"), ("services", "事项"),
                ("levels", "满意度"), ("categories", "问题分类"), ("sentiments", "情感"), ("kinds", "类型"))
MAX_NAMED = 5  # values named in the line; more are summed up ("等 12 项")


_FIELDS = frozenset(_URL_NAMES.values())


@lru_cache(maxsize=256)
def _encoded(filters: Filters) -> dict[str, str]:
    """Each field of ``filters`` in its URL form (``_encode``)."""
    return {fname: _encode(url_name, getattr(filters, fname)) for url_name, fname in _URL_NAMES.items()}


def _encode(url_name: str, value: Any) -> str:
    """One field's part of the URL query, as ``urlencode(to_query_args())`` writes it ('' when unset)."""
    if value is None or value == ():
        return ""
    key = quote_plus(url_name)
    if isinstance(value, tuple):
        return "&".join(f"{key}={quote_plus(str(v))}" for v in value)
    return f"{key}={quote_plus(value.isoformat())}"


def describe_filters(filters: Filters, names: Mapping[str, Mapping[str, str]],
                     period: tuple[date, date] | None = None,
                     extra: Iterable[tuple[str, str]] = ()) -> str:
    """The one-line statement of what a screen or an export shows: "当前筛选：2026-09-15 至 2026-10-15 · 渠道：
    移动端、PC端 · 部门：…". ``names`` maps a Filters field to {value: label} (a value without a label is shown
    as is); ``period`` is the period actually shown (defaults to the filters' own dates); ``extra`` adds a page's
    own conditions as (label, text) pairs (empty texts are left out)."""
    parts: list[str] = []
    start, end = period if period else (filters.start, filters.end)
    if start or end:
        parts.append(f"{start.isoformat() if start else '最早'} 至 {end.isoformat() if end else '最新'}")
    for field, label in FIELD_LABELS:
        values = getattr(filters, field)
        if not values:
            continue
        known = names.get(field, {})
        shown = [known.get(str(v)) or str(v) for v in values]
        text = "、".join(shown[:MAX_NAMED]) + (f" 等 {len(shown)} 项" if len(shown) > MAX_NAMED else "")
        parts.append(f"{label}：{text}")
    parts.extend(f"{label}：{text}" for label, text in extra if text)
    return "当前筛选：" + (" · ".join(parts) if parts else "全部数据")
