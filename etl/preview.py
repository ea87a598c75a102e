"""The upload preview: format, encoding and profile detected, the first rows run through the row checks, sample
rows as they would be stored, and a per-column mapping a person can fix (one call, plain data back)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pandas as pd

from etl import pipeline
from etl.profiles import INPUT_FIELDS, Profile, ProfileError, norm_header, profile_table, save_profile_table
from etl.sources.detect import InputError, open_source
from etl.transform.chunk import transform
from feedback import codes
from feedback.settings import Settings

CHECK_ROWS = 2_000  # rows run through the checks before loading
SAMPLE_ROWS = 10
SAMPLE_FIELDS = ("rated_at", "level", "channel", "service_name", "dept_name", "region_code", "title", "text")
FORMAT_NAMES = {"csv": "CSV 文本表格", "xlsx": "Excel 工作簿（XLSX）", "xls": "Excel 97-2003 工作簿（XLS）",
                "jsonl": "JSON 行格式（JSONL）"}
ENCODING_NAMES = {"utf-8": "UTF-8", "utf_8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "utf_8_sig": "UTF-8（带 BOM）",
                  "gb18030": "GB18030（国标中文）", "gbk": "GBK（国标中文）", "gb2312": "GB2312（国标中文）",
                  "big5": "Big5（繁体中文）", "utf_16": "UTF-16", "utf-16": "UTF-16"}
CUSTOM = "自定义"  # the base name when no profile fits and the person maps the columns by hand
_NAME = re.compile(r"^[\w\-（）()·]{1,40}$")


@dataclass
class UploadInspection:
    """What the preview shows; plain data (``as_dict`` is JSON-safe) so the call can run in another process."""

    file_name: str
    format: str | None = None  # csv, xlsx, xls, jsonl
    format_name: str = ""
    encoding: str | None = None
    encoding_name: str = ""
    headers: list[str] = field(default_factory=list)
    profile: str | None = None  # the profile the file would be loaded with; None when none fits
    profile_name: str = ""
    mapping: list[tuple[str, str | None]] = field(default_factory=list)  # header → field, None = not imported
    unknown_headers: list[str] = field(default_factory=list)  # headers no field takes (a person may map them)
    mapping_override: dict[str, str] = field(default_factory=dict)  # what the person chose ("" = not imported)
    error: str | None = None  # why the file cannot be imported as it is (Chinese)
    checked: int = 0  # rows run through the checks (at most CHECK_ROWS)
    ok: int = 0
    duplicate: int = 0  # the same record twice within the checked rows
    rejected: int = 0
    reject_groups: list[dict] = field(default_factory=list)  # column, count, example (first reason)
    first_rejects: list[dict] = field(default_factory=list)  # row_number, column, reason (the first ten)
    sample_fields: list[str] = field(default_factory=list)
    samples: list[list[str]] = field(default_factory=list)  # SAMPLE_ROWS rows as they would be stored (masked)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> UploadInspection:
        data = dict(data)
        data["mapping"] = [tuple(m) for m in data.get("mapping", [])]
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _overridden(base: Profile | None, headers: list[str], override: Mapping[str, str]) -> Profile:
    """``base`` (or an empty text-scheme profile) with the person's per-column choices applied."""
    fields = dict(base.field_map) if base is not None else {}
    for header, target in override.items():
        key = norm_header(header)
        fields = {h: f for h, f in fields.items() if norm_header(h) != key}
        if target:
            if target not in INPUT_FIELDS:
                raise ProfileError(f"列“{header}”：没有名为 {target} 的字段")
            fields[header] = target
    mapped = set(fields.values())
    if base is None:
        return Profile(name=CUSTOM, level_scheme="text", field_map=fields)
    return replace(base, field_map=fields, id_fields=tuple(f for f in base.id_fields if f in mapped),
                   required=tuple(f for f in base.required if f in mapped))


def _closest(headers: list[str], settings: Settings) -> Profile | None:
    """The profile that maps the most of ``headers`` even though some required column is missing (a starting
    point for a person's mapping); None when no profile maps any."""
    best, score = None, 0
    for p in pipeline.known_profiles(settings).values():
        n = sum(len(v) for v in p.bind(headers).values())
        if n > score:
            best, score = p, n
    return best


def _base(headers: list[str], chosen: str, settings: Settings) -> tuple[Profile | None, str | None]:
    """(the chosen or detected profile, or the closest one as a suggestion; the error when none fits)."""
    try:
        return pipeline.resolve_profile(headers, chosen or "auto", settings), None
    except (pipeline.ProfileNotFound, ProfileError) as exc:
        return _closest(headers, settings), str(exc)


def _cell(field_name: str, value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if field_name == "level":
        return codes.level_name(int(value)) or str(value)
    if field_name == "channel":
        return codes.channel_name(str(value)) or str(value)
    if field_name == "rated_at":
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _check(out: UploadInspection, settings: Settings, path: Path, raw, profile: Profile) -> None:
    """Run the first CHECK_ROWS rows through the transform (nothing is written)."""
    chunk = next(iter(raw.chunks()), None)
    if chunk is None:
        return
    chunk = chunk.iloc[:CHECK_ROWS]
    ctx = pipeline.transform_context(settings, profile.name, path.name)
    result = transform(chunk, profile, ctx)
    records, rejects = result.records, result.rejects.sort_values("row_number", kind="stable")
    repeated = records["record_key"].duplicated()  # a record the file repeats is stored once
    dup = int(repeated.sum())
    out.checked, out.rejected, out.duplicate = len(chunk), len(rejects), dup
    out.ok = len(records) - dup
    groups: dict[str, dict] = {}
    for r in rejects.itertuples(index=False):
        column = r.column if isinstance(r.column, str) else "整行"
        g = groups.setdefault(column, {"column": column, "count": 0, "example": r.reason})
        g["count"] += 1
    out.reject_groups = sorted(groups.values(), key=lambda g: -g["count"])
    out.first_rejects = [{"row_number": int(r.row_number), "column": r.column if isinstance(r.column, str) else "",
                          "reason": r.reason} for r in rejects.head(10).itertuples(index=False)]
    shown = [f for f in SAMPLE_FIELDS if records[f].notna().any()] if len(records) else []
    out.sample_fields = shown
    out.samples = [[_cell(f, row[f]) for f in shown] for _, row in records[~repeated].head(SAMPLE_ROWS).iterrows()]


def inspect_upload(settings: Settings, path: str | Path, chosen_profile: str = "auto",
                   mapping_override: Mapping[str, str] | None = None) -> UploadInspection:
    """Everything the preview shows for ``path``: reads at most the first chunk, writes nothing. Problems come
    back in ``error`` (Chinese), never as exceptions, so a person always sees the page."""
    path = Path(path)
    override = {str(k): str(v or "") for k, v in (mapping_override or {}).items()}
    out = UploadInspection(file_name=path.name, mapping_override=override)
    try:
        raw = open_source(path, chunk_size=CHECK_ROWS, limits=settings.ingest.workbook_limits())
    except InputError as exc:
        out.error = f"无法读取文件：{exc}"
        return out
    out.format, out.encoding, out.headers = raw.kind, raw.encoding, list(raw.headers)
    out.format_name = FORMAT_NAMES.get(raw.kind, raw.kind)
    out.encoding_name = ENCODING_NAMES.get((raw.encoding or "").lower(), raw.encoding or "") if raw.encoding else ""
    base, error = _base(out.headers, chosen_profile, settings)
    try:
        profile = _overridden(base, out.headers, override) if override else base
    except ProfileError as exc:
        error, profile = str(exc), base
    if profile is None:
        out.error = error
        out.mapping = [(h, None) for h in out.headers]
        out.unknown_headers = list(out.headers)
        return out
    bound = {h: f for f, hs in profile.bind(out.headers).items() for h in hs}
    out.mapping = [(h, bound.get(h)) for h in out.headers]
    out.unknown_headers = [h for h in out.headers if h not in bound]
    if error and not override:  # a suggestion only: the mapping is shown, nothing can be loaded yet
        out.error = error
        out.profile_name = f"未识别（最接近：{codes.profile_name(profile.name)}）"
        return out
    out.profile = profile.name if not override else None
    out.profile_name = codes.profile_name(profile.name) + ("（已手动调整，保存为来源配置后可导入）" if override else "")
    try:
        _check(out, settings, path, raw, profile)
    except InputError as exc:
        out.error = f"无法读取文件：{exc}"
    return out


def save_mapping(settings: Settings, path: str | Path, name: str, chosen_profile: str,
                 mapping_override: Mapping[str, str]) -> str:
    """Save the preview's profile with the person's column choices as a named profile (instance/profiles.json);
    returns the name. Raises ProfileError (Chinese) for a bad name or mapping."""
    name = (name or "").strip()
    if not _NAME.match(name):
        raise ProfileError("配置名称须为 1–40 个汉字、字母、数字或 - _ ( )")
    raw = open_source(Path(path), chunk_size=CHECK_ROWS, limits=settings.ingest.workbook_limits())
    base, _ = _base(list(raw.headers), chosen_profile, settings)
    profile = _overridden(base, list(raw.headers), mapping_override)
    save_profile_table(settings.instance_path, name, profile_table(replace(profile, name=name)))
    return name
