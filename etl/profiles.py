"""Source profiles: which source header feeds which canonical field, per-source code tables, and detection."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from etl.builtin_profiles import BUILTIN_SPECS
from feedback.codes import CHANNELS, profile_name
from feedback.models import RECORD_COLUMNS
from feedback.text.normalise import clean_scalar

RATING, MESSAGE = "rating", "message"
KINDS = (RATING, MESSAGE)
LEVEL_SCHEMES = ("platform", "gbt39046", "text")

# Canonical fields a source column can feed (they are Record columns).
MAPPABLE_FIELDS: frozenset[str] = frozenset({
    "project_no", "service_code", "service_name", "dept_code", "dept_name", "region_code", "channel_raw",
    "level_raw", "is_default", "assess_number", "user_type", "is_anonymous", "is_public", "tags", "title", "text",
    "votes_up", "votes_down", "reply_text", "replied_at", "rated_at", "accepted_at", "promised_at",
})
# Input-only fields: read, used, never stored as such.
PSEUDO_FIELDS: Mapping[str, str] = MappingProxyType({
    "source_id": "the source's own record id (e.g. 留言编号); used in id_fields",
    "evaluator_id": "rater identity (证件号, user id): hashed into evaluator_hash, the clear value is dropped",
    "evaluator_name": "rater name (userName): hashed only when it is ID-shaped and no evaluator_id exists",
    "staff_name": "the clerk who handled the case (经办人): dropped",
    "real_name_flag": "是否实名: read and dropped",
    "subject": "sub-item of the service (subMatter): dropped",
})
# Filled by the transform, never from a source column.
COMPUTED_FIELDS: frozenset[str] = frozenset(
    {"id", "source_system", "record_key", "kind", "row_number", "channel", "level", "level_scheme", "evaluator_hash",
     "content_hash"}
)
FIELD_ALIASES: Mapping[str, str] = MappingProxyType({"channel": "channel_raw", "level": "level_raw"})
SENSITIVE_FIELDS: frozenset[str] = frozenset({"evaluator_id", "evaluator_name", "staff_name"})
INPUT_FIELDS: frozenset[str] = MAPPABLE_FIELDS | frozenset(PSEUDO_FIELDS)

assert MAPPABLE_FIELDS | COMPUTED_FIELDS == set(RECORD_COLUMNS), "profiles out of step with feedback.models"


class ProfileError(ValueError):
    """A profile definition (built-in or from config.toml) that cannot be used; names the key path."""


class ProfileNotFound(LookupError):
    """No profile fits a file's headers; the message lists the headers and what each profile misses."""


def norm_header(name: object) -> str:
    """Header comparison key: BOM, surrounding and repeated whitespace removed, case-folded."""
    return (clean_scalar(name) or "").casefold()


def norm_value(value: object) -> str:
    """Code-table comparison key for raw values (``"１"``, ``" 1 "`` and ``"1.0"`` all become ``"1"``)."""
    text = norm_header(value)
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


@dataclass(frozen=True)
class Profile:
    """How to read one kind of source. ``field_map`` maps source headers to canonical or pseudo fields (several
    headers may feed one field: the first non-empty wins, in map order). ``required`` and ``id_fields`` name
    fields. ``level_scheme``: ``platform`` (1 非常不满意 … 5 非常满意), ``gbt39046`` (1 非常满意 … 5 非常不满意) or
    ``text`` (words; bare numbers read as platform codes). Level words (非常满意 …) are understood in every scheme;
    ``level_map`` adds source-specific values. ``channel_map`` maps raw channel values to canonical codes."""

    name: str
    kind: str = RATING
    field_map: Mapping[str, str] = field(default_factory=dict)
    id_fields: tuple[str, ...] = ()
    level_scheme: str = "platform"
    level_map: Mapping[str, int] = field(default_factory=dict)
    channel_map: Mapping[str, str] = field(default_factory=dict)
    default_channel_values: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_map", MappingProxyType(dict(self.field_map)))
        object.__setattr__(self, "level_map", MappingProxyType({norm_value(k): v for k, v in self.level_map.items()}))
        object.__setattr__(self, "channel_map",
                           MappingProxyType({norm_value(k): v for k, v in self.channel_map.items()}))
        object.__setattr__(self, "default_channel_values",
                           frozenset(norm_value(v) for v in self.default_channel_values))
        object.__setattr__(self, "id_fields", tuple(self.id_fields))
        object.__setattr__(self, "required", tuple(self.required))
        self.validate()

    def validate(self, where: str | None = None) -> None:
        where = where or f"profile {self.name}"
        if self.kind not in KINDS:
            raise ProfileError(f"{where}.kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.level_scheme not in LEVEL_SCHEMES:
            raise ProfileError(f"{where}.level_scheme: {self.level_scheme!r} is not one of {', '.join(LEVEL_SCHEMES)}")
        for header, target in self.field_map.items():
            if target not in INPUT_FIELDS:
                raise ProfileError(f"{where}.fields.{header}: {_why_not_field(target)}")
        mapped = set(self.field_map.values())
        for key in ("id_fields", "required"):
            for f in getattr(self, key):
                if f not in mapped:
                    raise ProfileError(f"{where}.{key}: {f!r} is not a field any header maps to")
        for raw, level in self.level_map.items():
            if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
                raise ProfileError(f"{where}.level_map.{raw}: {level!r} is not a level 1..5 (5 = 非常满意)")
        for raw, code in self.channel_map.items():
            if code not in CHANNELS:
                raise ProfileError(f"{where}.channel_map.{raw}: {code!r} is not a channel ({', '.join(CHANNELS)})")

    def bind(self, headers: Iterable[str]) -> dict[str, list[str]]:
        """Field → the actual headers present in the file that feed it, in ``field_map`` order."""
        present: dict[str, str] = {}
        for h in headers:
            present.setdefault(norm_header(h), h)
        out: dict[str, list[str]] = {}
        for src, target in self.field_map.items():
            actual = present.get(norm_header(src))
            if actual is not None and actual not in out.get(target, []):
                out.setdefault(target, []).append(actual)
        return out

    def headers_for(self, field_name: str) -> list[str]:
        return [h for h, f in self.field_map.items() if f == field_name]

    def missing_required(self, headers: Iterable[str]) -> list[str]:
        """Required fields no header feeds, each shown as its accepted headers (``a|b``)."""
        bound = self.bind(headers)
        return ["|".join(self.headers_for(f)) for f in self.required if f not in bound]


def _why_not_field(target: object) -> str:
    if target in COMPUTED_FIELDS:
        return f"{target!r} is computed by the transform and cannot be mapped from a column"
    return f"{target!r} is not a field (fields: {', '.join(sorted(INPUT_FIELDS))})"


def builtin_profiles() -> dict[str, Profile]:
    """The built-in profiles, in detection order (national before zhejiang: their headers are identical)."""
    return {name: Profile(name=name, **spec) for name, spec in BUILTIN_SPECS.items()}


def detect_profile(headers: Iterable[str], profiles: Mapping[str, Profile] | Iterable[Profile]) -> Profile:
    """The profile whose required fields are all present and that maps the most headers; ties go to the profile
    covering the larger share of its own headers, then to the earlier one. National and Zhejiang files have the
    same headers, so detection says ``national``: a Zhejiang file needs ``--profile zhejiang``."""
    headers = list(headers)
    items = list(profiles.values()) if isinstance(profiles, Mapping) else list(profiles)
    best: tuple[tuple[int, float, int], Profile] | None = None
    for order, p in enumerate(items):
        if p.missing_required(headers):
            continue
        matched = sum(len(v) for v in p.bind(headers).values())
        if not matched:
            continue
        score = (matched, matched / max(1, len(p.field_map)), -order)
        if best is None or score > best[0]:
            best = (score, p)
    if best is None:
        lines = [f"没有与这些表头相符的来源配置（文件的表头：{'、'.join(headers)}）"]
        for p in items:
            missing = p.missing_required(headers)
            lines.append(f"  {profile_name(p.name)}：" + (f"缺少列 {'、'.join(missing)}" if missing
                                                        else "必需的列都在，但没有一列能对应"))
        raise ProfileNotFound("\n".join(lines))
    return best[1]


# ---------------------------------------------------------------------------------------------------------------
# User profiles from config.toml: [profiles.NAME]
CONFIG_KEYS = ("kind", "extends", "fields", "level_scheme", "level_map", "channel_map", "default_channel_values",
               "id_fields", "required", "description")


def _expect(value: object, types: type | tuple[type, ...], where: str, what: str) -> None:
    if not isinstance(value, types):
        raise ProfileError(f"{where}: expected {what}, got {type(value).__name__} {value!r}")


def _field_name(value: object, where: str) -> str:
    _expect(value, str, where, "a field name")
    name = FIELD_ALIASES.get(value, value)
    if name not in INPUT_FIELDS:
        raise ProfileError(f"{where}: {_why_not_field(value)}")
    return name


def profile_from_config(name: str, table: Mapping, builtins: Mapping[str, Profile] | None = None) -> Profile:
    """A profile from a ``[profiles.NAME]`` table. ``extends`` starts from a built-in (a table named like a
    built-in extends it implicitly); ``fields`` / ``level_map`` / ``channel_map`` add to the base's,
    other keys replace. Entries of ``required`` may be field names or headers of ``fields``."""
    where = f"profiles.{name}"
    _expect(table, Mapping, where, "a table")
    unknown = sorted(set(table) - set(CONFIG_KEYS))
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(CONFIG_KEYS)})")
    builtins = builtin_profiles() if builtins is None else builtins
    base_name = table.get("extends", name if name in builtins else None)
    if base_name is not None:
        _expect(base_name, str, f"{where}.extends", "a profile name")
        if base_name not in builtins:
            raise ProfileError(f"{where}.extends: no built-in profile {base_name!r} ({', '.join(builtins)})")
        base = builtins[base_name]
    else:
        base = Profile(name=name, level_scheme="text")
    changes: dict[str, object] = {"name": name}
    for key in ("kind", "level_scheme", "description"):
        if key in table:
            _expect(table[key], str, f"{where}.{key}", "a string")
            changes[key] = table[key]
    fields = dict(base.field_map)
    if "fields" in table:
        _expect(table["fields"], Mapping, f"{where}.fields", "a table of header = field")
        for header, target in table["fields"].items():
            fields[header] = _field_name(target, f"{where}.fields.{header}")
    changes["field_map"] = fields
    for key in ("level_map", "channel_map"):
        if key in table:
            _expect(table[key], Mapping, f"{where}.{key}", "a table")
            merged = dict(getattr(base, key))
            for raw, value in table[key].items():
                _expect(value, int if key == "level_map" else str, f"{where}.{key}.{raw}",
                        "a level 1..5" if key == "level_map" else "a channel code")
                merged[norm_value(raw)] = value
            changes[key] = merged
    by_header = {norm_header(h): f for h, f in fields.items()}
    for key in ("id_fields", "required", "default_channel_values"):
        if key in table:
            _expect(table[key], list, f"{where}.{key}", "a list")
            items = []
            for i, item in enumerate(table[key]):
                _expect(item, (str, int), f"{where}.{key}[{i}]", "a string")
                if key == "default_channel_values":
                    items.append(str(item))
                elif norm_header(item) in by_header and item not in INPUT_FIELDS:
                    items.append(by_header[norm_header(item)])
                else:
                    items.append(_field_name(item, f"{where}.{key}[{i}]"))
            changes[key] = tuple(items) if key != "default_channel_values" else frozenset(items)
    try:
        profile = replace(base, **changes)
    except ProfileError as exc:
        raise ProfileError(str(exc).replace(f"profile {name}", where)) from exc
    return profile


def all_profiles(settings_profiles: Mapping) -> dict[str, Profile]:
    """Built-ins followed by the user's ``[profiles.*]`` (a user profile with a built-in's name replaces it)."""
    profiles = builtin_profiles()
    builtins = dict(profiles)
    for name, table in (settings_profiles or {}).items():
        profiles[name] = profile_from_config(name, table, builtins)
    return profiles


# ---------------------------------------------------------------------------------------------------------------
# Profiles saved from the upload preview: instance/profiles.json, the same tables as [profiles.NAME]
SAVED_FILE = "profiles.json"


def saved_profile_tables(instance_path: Path) -> dict[str, dict]:
    """The ``[profiles.NAME]``-style tables saved from the dashboard (none when the file is absent)."""
    path = Path(instance_path) / SAVED_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ProfileError(f"{path}：不是有效的 JSON（{exc}）") from None
    return data if isinstance(data, dict) else {}


def profile_table(profile: Profile) -> dict:
    """``profile`` as a self-contained ``[profiles.NAME]`` table (no ``extends``)."""
    table: dict = {"kind": profile.kind, "level_scheme": profile.level_scheme, "fields": dict(profile.field_map),
                   "id_fields": list(profile.id_fields), "required": list(profile.required)}
    for key in ("level_map", "channel_map"):
        if getattr(profile, key):
            table[key] = dict(getattr(profile, key))
    if profile.default_channel_values:
        table["default_channel_values"] = sorted(profile.default_channel_values)
    if profile.description:
        table["description"] = profile.description
    return table


def save_profile_table(instance_path: Path, name: str, table: Mapping) -> None:
    """Add or replace one saved profile (checked first: a table that is not a valid profile is refused)."""
    if name in BUILTIN_SPECS:
        raise ProfileError(f"“{name}”是内置来源配置的名称，请换一个名称")
    profile_from_config(name, dict(table))
    path = Path(instance_path) / SAVED_FILE
    tables = saved_profile_tables(instance_path)
    tables[name] = dict(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(tables, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
