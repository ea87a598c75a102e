"""Turn one raw chunk into canonical Record rows plus rejects, vectorised over the whole chunk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl.profiles import MESSAGE, RATING, SENSITIVE_FIELDS, Profile, norm_value
from etl.sources.raw import ERROR, ROW, SPECIAL_COLUMNS
from etl.transform.fields import (
    Distinct,
    channel_of,
    int_parser,
    parse_flag,
    parse_level,
    parse_tags,
    parse_user_type,
    region_parser,
    region_rule,
)
from etl.transform.hashes import content_hashes, hash_identities, join_key, long_key_fix, natural_ids
from etl.transform.rejects import REJECT_COLUMNS, Rejects, quoted
from etl.transform.times import parse_datetimes
from feedback.codes import DEFAULT_CHANNEL
from feedback.models import RECORD_COLUMNS, Record
from feedback.text.normalise import STR_DTYPE, clean_text, from_arrow, to_arrow
from feedback.text.pii import mask_text

__all__ = ["REJECT_COLUMNS", "TransformContext", "TransformResult", "transform"]

MIN_TIME = pd.Timestamp("2000-01-01")
STR_LEN = {c.name: getattr(c.type, "length", None) for c in Record.__table__.columns}
ID_SHAPED = r"[0-9A-Za-z][0-9A-Za-z_@.\-]{5,}"  # a user name that is really an account / ID number
IDENTIFIERS = ("project_no", "service_code", "dept_code")  # over-long values are rejected, never truncated
LEVEL_HELP = {"platform": "1 非常不满意 … 5 非常满意", "gbt39046": "1 非常满意 … 5 非常不满意（GB/T 39046）",
              "text": "非常满意/满意/基本满意/不满意/非常不满意"}


@dataclass(frozen=True)
class TransformContext:
    source_system: str
    hash_key: bytes
    region_width: int = 12
    timezone: str = "Asia/Shanghai"
    max_text_chars: int = 5000
    file_name: str = ""
    now: datetime | None = None  # naive wall-clock "now" in ``timezone`` (tests); None = the current time
    only_dept: str | None = None  # set: rows of any other department (or none) are rejected (scoped pushes)


@dataclass
class TransformResult:
    records: pd.DataFrame  # exactly RECORD_COLUMNS, in that order
    rejects: pd.DataFrame  # row_number, column (source header or None), reason, raw (JSON, PII masked)
    warnings: list[str] = field(default_factory=list)  # optional values that were set empty, one line per column
    unknown_tags: dict[str, int] = field(default_factory=dict)  # tag items not in the v1/v2 dictionaries → rows


class _Frame:
    """The raw chunk bound to a profile, with typed constructors of the chunk's length."""

    def __init__(self, raw: pd.DataFrame, profile: Profile):
        self.raw = raw
        self.index = raw.index
        self.n = len(raw)
        self.source_columns = [c for c in raw.columns if c not in SPECIAL_COLUMNS]
        self.bind = profile.bind(self.source_columns)

    def get(self, name: str) -> tuple[pd.Series | None, str | None]:
        """The field's raw strings (several feeding headers coalesced in profile order) and its first header."""
        headers = self.bind.get(name)
        if not headers:
            return None, None
        s = self.raw[headers[0]]
        for h in headers[1:]:
            s = s.fillna(self.raw[h])
        return (s if isinstance(s.dtype, pd.StringDtype) else s.astype(STR_DTYPE)), headers[0]

    def na_str(self) -> pd.Series:
        return from_arrow(pa.nulls(self.n, pa.large_string()), self.index)

    def const_str(self, value: str) -> pd.Series:
        return from_arrow(pa.repeat(pa.scalar(value, pa.large_string()), self.n), self.index)

    def na_int(self) -> pd.Series:
        return pd.Series(pd.arrays.IntegerArray(np.zeros(self.n, np.int64), np.ones(self.n, bool)), index=self.index)

    def na_bool(self) -> pd.Series:
        return pd.Series(pd.arrays.BooleanArray(np.zeros(self.n, bool), np.ones(self.n, bool)), index=self.index)

    def na_time(self) -> pd.Series:
        return pd.Series(np.full(self.n, np.datetime64("NaT"), "datetime64[us]"), index=self.index)


def _truncate(series: pd.Series, length: int | None) -> pd.Series:
    arr = to_arrow(series)
    if not length or not pc.any(pc.fill_null(pc.greater(pc.utf8_length(arr), length), False)).as_py():
        return series
    return from_arrow(pc.utf8_slice_codeunits(arr, 0, length), series.index)


def transform(raw: pd.DataFrame, profile: Profile, ctx: TransformContext) -> TransformResult:
    """Map, parse, clean, mask and hash one chunk. Every input row ends in ``records`` or in ``rejects``; a row
    with several problems is rejected once, naming the first (order: reader error, empty id, time, level, region,
    empty message).

    Rejected: a reader ``__error__``; an empty id field (when the file has the id column); a missing, unreadable,
    pre-2000 or more-than-a-day-ahead ``rated_at``; a rating whose level is missing or not valid in the
    profile's scheme; a region code that is not 2/4/6/9/12 digits (or longer than ``region_width``); a message with
    no text, title or level; an identifier (办件编号, 事项编码, 部门编码) longer than its column; a rating's assess
    number that is not 1–32767 (it is part of the key). Kept with the value emptied and a line in ``warnings``:
    unreadable optional times, a message's assess number, votes, flags, user types. Unknown channels become ``other`` (raw kept in ``channel_raw``).
    Tags: unknown codes are dropped from ``tags`` and counted in ``unknown_tags`` (per batch, for the log).
    ``record_key`` = id fields joined by ``#`` plus ``#assess_number`` for ratings (``1`` when empty), or
    ``h:`` + ``content_hash`` when the profile has no id fields or the file lacks their columns."""
    f = _Frame(raw, profile)
    n, idx = f.n, f.index
    rej = Rejects(n)
    warnings: list[str] = []
    rows = raw[ROW].to_numpy(dtype=np.int64) if ROW in raw else np.arange(2, n + 2, dtype=np.int64)
    out: dict[str, pd.Series] = {}

    def warn(mask: np.ndarray, values: pd.Series, header: str, what: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            first = int(np.argmax(mask))
            warnings.append(f"{header}: {int(mask.sum())} 个值{what}，已置空（首个在第 {rows[first]} 行："
                            f"{quoted(values, mask)[first]}）")

    def bad_value(s: pd.Series, h: str, what: str):
        return lambda m: quoted(s, m, f"{h} ", f" {what}")

    if ERROR in raw:
        rej.add(raw[ERROR].notna().to_numpy(), None, lambda m: raw[ERROR].to_numpy(dtype=object))

    # --- text fields ------------------------------------------------------------------------------------------
    for name in IDENTIFIERS:  # never cut to the column: two different ids would merge as duplicates
        s, h = f.get(name)
        if s is None:
            out[name] = f.na_str()
            continue
        out[name] = clean_text(s) if name == "project_no" else Distinct(s).cleaned_series(idx)
        limit = STR_LEN[name]
        rej.add(out[name].str.len().gt(limit).fillna(False).to_numpy(dtype=bool), h,
                bad_value(out[name], h, f"超过 {limit} 个字符（编号不截断，以免不同记录被当作重复合并）"))
    for name in ("service_name", "dept_name"):
        s, _ = f.get(name)
        out[name] = Distinct(s).cleaned_series(idx, STR_LEN[name]) if s is not None else f.na_str()
    for name in ("title", "text", "reply_text"):
        s, _ = f.get(name)
        out[name] = _truncate(mask_text(clean_text(s)), ctx.max_text_chars) if s is not None else f.na_str()

    # --- record id: checked first, a row without its id cannot be stored ------------------------------------------
    assess_s, assess_h = f.get("assess_number")
    out["assess_number"] = f.na_int()
    if assess_s is not None:
        d = Distinct(assess_s)
        out["assess_number"] = pd.Series(d.take(d.apply(int_parser(1, 32767)), "Int64"), index=idx)
        bad = assess_s.notna().to_numpy() & out["assess_number"].isna().to_numpy()
        if profile.kind == RATING:  # part of the record key: emptied, different 追评 would collapse into one
            rej.add(bad, assess_h, bad_value(assess_s, assess_h, "不是 1–32767 的整数（追评序号是记录编号的一部分）"))
        else:
            warn(bad, assess_s, assess_h, "不是 1–32767 的整数")
    key_parts: list[pd.Series] = []
    for name in profile.id_fields:
        s, h = f.get(name)
        if s is None or name == "assess_number":
            continue
        value = out[name] if name in out else clean_text(s)
        rej.add(value.isna().to_numpy(), h, f"{h} 为空，无法确定记录编号")
        key_parts.append(value)
    if key_parts and profile.kind == RATING and assess_s is not None:  # a 追评 is its own record
        assess = pc.cast(pa.array(out["assess_number"], pa.int64()), pa.large_string())
        key_parts.append(from_arrow(pc.fill_null(assess, "1"), idx))

    # --- times ---------------------------------------------------------------------------------------------------
    s, h = f.get("rated_at")
    if s is None:
        rej.add(np.ones(n, dtype=bool), None, "缺少时间列（评价时间 / 留言时间）")
        out["rated_at"] = f.na_time()
    else:
        t = parse_datetimes(s, ctx.timezone)
        nat = t.isna().to_numpy()
        missing = np.zeros(n, dtype=bool)
        if nat.any():
            missing[nat] = s[nat].fillna("").str.strip().eq("").to_numpy()
        now = ctx.now or datetime.now(ZoneInfo(ctx.timezone)).replace(tzinfo=None)
        late = pd.Timestamp(now + timedelta(days=1))
        rej.add(missing, h, f"{h} 为空")
        rej.add(nat & ~missing, h, bad_value(s, h, "不是可识别的日期时间"))
        rej.add(((t < MIN_TIME) | (t > late)).to_numpy(), h,
                bad_value(s, h, "超出合理范围（早于 2000 年或晚于当前时间一天以上）"))
        out["rated_at"] = t
    for name in ("replied_at", "accepted_at", "promised_at"):
        s, h = f.get(name)
        if s is None:
            out[name] = f.na_time()
            continue
        out[name] = parse_datetimes(s, ctx.timezone)
        warn(s.notna().to_numpy() & out[name].isna().to_numpy(), s, h, "不是可识别的日期时间")

    # --- level ---------------------------------------------------------------------------------------------------
    s, h = f.get("level_raw")
    out["level"], out["level_scheme"], out["level_raw"] = f.na_int(), f.na_str(), f.na_str()
    if s is not None:
        d = Distinct(s)
        parsed = d.apply(lambda u: parse_level(u, profile.level_scheme, profile.level_map))
        out["level"] = pd.Series(d.take([p[0] for p in parsed], "Int64"), index=idx)
        out["level_scheme"] = pd.Series(d.take([p[1] for p in parsed], STR_DTYPE), index=idx)
        out["level_raw"] = d.cleaned_series(idx, STR_LEN["level_raw"])
        has_raw = out["level_raw"].notna().to_numpy()
        invalid = has_raw & out["level"].isna().to_numpy()
        if profile.kind == RATING:
            rej.add(~has_raw, h, f"{h} 为空（评价必须有满意度）")
            rej.add(invalid, h, bad_value(s, h, f"不是有效的满意度（本来源按 {LEVEL_HELP[profile.level_scheme]}）"))
        else:
            warn(invalid, s, h, "不是有效的满意度")
    elif profile.kind == RATING:
        rej.add(np.ones(n, dtype=bool), None, "缺少满意度列")

    # --- region --------------------------------------------------------------------------------------------------
    s, h = f.get("region_code")
    out["region_code"] = f.na_str()
    if s is not None:
        d = Distinct(s)
        out["region_code"] = pd.Series(d.take(d.apply(region_parser(ctx.region_width)), STR_DTYPE), index=idx)
        invalid = s.notna().to_numpy() & out["region_code"].isna().to_numpy()
        rej.add(invalid, h, bad_value(s, h, f"不是 {region_rule(ctx.region_width)} 位数字的行政区划代码"))

    if profile.kind == MESSAGE:
        empty = out["text"].isna().to_numpy() & out["title"].isna().to_numpy() & out["level"].isna().to_numpy()
        rej.add(empty, f.get("text")[1], "留言内容为空（没有留言详情、留言主题或满意度）")

    # --- channel, default flag, other coded fields -------------------------------------------------------------
    s, h = f.get("channel_raw")
    is_default = np.zeros(n, dtype=bool)
    out["channel_raw"], out["channel"] = f.na_str(), f.na_str()
    if s is not None:
        d = Distinct(s)
        out["channel_raw"] = d.cleaned_series(idx, STR_LEN["channel_raw"])
        out["channel"] = pd.Series(d.take(d.apply(lambda u: channel_of(u, profile.channel_map)), STR_DTYPE),
                                   index=idx)
        defaults = d.apply(lambda u: norm_value(u) in profile.default_channel_values)
        is_default |= d.take_np(defaults, False, bool) | (out["channel"] == DEFAULT_CHANNEL).to_numpy()
    for name in ("is_default", "is_anonymous", "is_public"):
        s, h = f.get(name)
        flags = f.na_bool()
        if s is not None:
            d = Distinct(s)
            flags = pd.Series(d.take(d.apply(parse_flag), "boolean"), index=idx)
            warn(s.notna().to_numpy() & flags.isna().to_numpy(), s, h, "不是是/否标志")
        if name == "is_default":
            is_default |= flags.fillna(False).to_numpy(dtype=bool)
        else:
            out[name] = flags
    out["is_default"] = pd.Series(is_default, index=idx)
    s, h = f.get("user_type")
    out["user_type"] = f.na_str()
    if s is not None:
        d = Distinct(s)
        out["user_type"] = pd.Series(d.take(d.apply(parse_user_type), STR_DTYPE), index=idx)
        warn(s.notna().to_numpy() & out["user_type"].isna().to_numpy(), s, h, "不是用户类型（1 个人 / 2 法人）")
    for name in ("votes_up", "votes_down"):
        s, h = f.get(name)
        out[name] = f.na_int()
        if s is not None:
            d = Distinct(s)
            out[name] = pd.Series(d.take(d.apply(int_parser(0, 2**31 - 1)), "Int64"), index=idx)
            warn(s.notna().to_numpy() & out[name].isna().to_numpy(), s, h, "不是非负整数")
    unknown_tags: dict[str, int] = {}
    s, h = f.get("tags")
    out["tags"] = f.na_str()
    if s is not None:
        d = Distinct(s)
        parsed = d.apply(parse_tags)
        out["tags"] = _truncate(pd.Series(d.take([p[0] for p in parsed], STR_DTYPE), index=idx), STR_LEN["tags"])
        counts = np.bincount(d.codes[d.codes >= 0], minlength=len(d.uniques))
        for (_, unknown), c in zip(parsed, counts, strict=True):
            for item in unknown:
                unknown_tags[item] = unknown_tags.get(item, 0) + int(c)

    if ctx.only_dept is not None:  # a department-bound account may only send its own department's records
        _, h = f.get("dept_code")
        dept = out["dept_code"]
        mine = f"本账号只能提交部门 {ctx.only_dept} 的记录"
        rej.add(dept.isna().to_numpy(), h, f"{h} 为空，{mine}" if h else f"缺少部门编码列，{mine}")
        rej.add(dept.ne(ctx.only_dept).fillna(False).to_numpy(dtype=bool), h,
                bad_value(dept, h or "部门编码", f"不是本账号的部门，{mine}"))

    # --- evaluator identity: hashed, never kept in clear -------------------------------------------------------
    out["evaluator_hash"] = f.na_str()
    ev, _ = f.get("evaluator_id")
    if ev is not None:
        out["evaluator_hash"] = hash_identities(ev, ctx.hash_key)
    name_s, _ = f.get("evaluator_name")
    if name_s is not None:
        todo = out["evaluator_hash"].isna().to_numpy() & name_s.notna().to_numpy()
        if todo.any():
            names = name_s[todo]
            shaped = names.str.fullmatch(ID_SHAPED).fillna(False).to_numpy(dtype=bool)
            if shaped.any():
                hashed = out["evaluator_hash"].copy()
                hashed.iloc[np.flatnonzero(todo)[shaped]] = hash_identities(names[shaped], ctx.hash_key).to_numpy()
                out["evaluator_hash"] = hashed

    # --- assemble --------------------------------------------------------------------------------------------------
    out["source_system"] = f.const_str(ctx.source_system)
    out["kind"] = f.const_str(profile.kind)
    out["row_number"] = pd.Series(rows, index=idx)
    records = pd.DataFrame({c: out[c] for c in RECORD_COLUMNS if c in out}, index=idx)
    keep = ~rej.flagged
    if not keep.all():
        records = records.loc[keep]
        key_parts = [p.loc[keep] for p in key_parts]
    records["content_hash"] = content_hashes(records)
    if key_parts:
        records["record_key"] = long_key_fix(join_key(key_parts), STR_LEN["record_key"])
    else:
        records["record_key"] = "h:" + records["content_hash"]
    records["id"] = natural_ids(records["source_system"], records["record_key"])
    records = records[list(RECORD_COLUMNS)].reset_index(drop=True)
    sensitive = [h for fld, hs in f.bind.items() if fld in SENSITIVE_FIELDS for h in hs]
    rejects = rej.frame(raw, rows, f.source_columns, sensitive)
    return TransformResult(records, rejects, warnings, unknown_tags)
