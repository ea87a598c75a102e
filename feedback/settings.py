"""Typed settings loaded from config.toml and the environment; unknown keys are an error."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedback.files import WorkbookLimits
from feedback.isolate import Limits
from feedback.tasks.config import RANGES as TASK_RANGES
from feedback.tasks.config import TaskSettings


class SettingsError(ValueError):
    """A configuration file that cannot be used, with the key path that is wrong."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///instance/haocha.db"
    echo: bool = False
    read_url: str = ""  # a read replica for the dashboard's and the API's reads; empty: read from ``url``


@dataclass(frozen=True)
class PathSettings:
    instance_dir: str = "instance"
    region_names: str = ""


@dataclass(frozen=True)
class SecuritySettings:
    hash_key_env: str = "HAOCHA_HASH_KEY"
    dev_key_file: bool = True
    proxies: int = 0  # trusted reverse proxies in front of the dashboard (ProxyFix); 0: none
    import_memory_mb: int = 2_048  # memory an upload's preview / import (and `haocha ingest`) may take
    import_timeout_s: int = 900  # … and its wall time
    background_nice: int = 10  # CPU priority of the dashboard's child processes (imports, stages) below requests

    def import_limits(self) -> Limits:
        """The limits untrusted files are read under (feedback.isolate)."""
        return Limits(memory_mb=self.import_memory_mb, timeout_s=self.import_timeout_s, nice=self.background_nice)


@dataclass(frozen=True)
class IngestSettings:
    chunk_size: int = 50_000
    timezone: str = "Asia/Shanghai"
    region_code_width: int = 12
    reject_preview: int = 10
    max_text_chars: int = 5_000
    xlsx_max_cells: int = 50_000_000
    xlsx_max_uncompressed_mb: int = 2_048
    xlsx_max_ratio: int = 200
    xlsx_max_shared_strings: int = 5_000_000

    def workbook_limits(self) -> WorkbookLimits:
        """The limits an .xlsx is inspected against before it is read (feedback.files.check_workbook)."""
        return WorkbookLimits(
            max_cells=self.xlsx_max_cells, max_uncompressed_mb=self.xlsx_max_uncompressed_mb,
            max_ratio=self.xlsx_max_ratio, max_shared_strings=self.xlsx_max_shared_strings,
        )


@dataclass(frozen=True)
class KpiSettings:
    good_includes_basic: bool = True
    min_ranking_volume: int = 30
    board_size: int = 5
    ranking_metric: str = "adjusted_bad_rate"  # adjusted_bad_rate | bad_rate | mean_score (stats.rankings)
    black_requires_bad: bool = True  # the 黑榜 lists only units with at least one 差评
    black_requires_excess: bool = True  # ... and only units with 实际/预期 > 1 (more 差评 than their mix predicts)
    chart_min_volume: int = 30  # rate charts grey out (样本少) and keep off the axis buckets with fewer ratings


@dataclass(frozen=True)
class LedgerSettings:
    verify_days: int = 1
    rectify_days: int = 5
    extend_days: int = 10
    regions: dict = field(default_factory=dict)
    holidays: list = field(default_factory=list)  # ISO dates: the official arrangement of a year chinesecalendar does not cover yet
    workdays: list = field(default_factory=list)  # ISO dates: that year's make-up working days (调休上班)


@dataclass(frozen=True)
class ScoringSettings:
    engine: str = "linear"
    batch_size: int = 5_000
    taxonomy: str = ""
    train_sample: int = 200_000
    category_threshold: float = 0.5
    other_below: float = 0.22
    sub_mix: float = 0.5
    lead_mix: float = 0.2
    lead_decay: float = 0.3
    phrase_conf: float = 0.4
    hidden_below: float = 0.3
    complaint_above: float = 0.55
    hidden_text_below: float = 0.5
    hidden_turns: bool = True  # a clause after 但/不过/就是 … that complains also makes a hidden complaint
    message_classifier: str = ""  # the office's 12345 classifier (`haocha train classifier`), relative to config.toml
    message_fit_above: float = 0.6  # a message gets a 政务服务 category only at this P(about a service's handling)
    adopt_margin: float = 0.005
    min_per_class: int = 300
    scheduler: str = ""  # Dask scheduler address to score on ("" = in this process; "local:N" = N local workers)


@dataclass(frozen=True)
class AlertSettings:
    """The [alerts] rules evaluated after every ingest (feedback.alerts.rules) and the webhook they are posted to."""

    enabled: bool = True
    lookback_weeks: int = 4
    dept_bad_rate_threshold: float = 2.0
    dept_bad_rate_min_volume: int = 50
    dept_bad_rate_min_bad: int = 3
    burst_factor: float = 3.0
    burst_baseline_weeks: int = 8
    burst_min_count: int = 10
    hidden_factor: float = 2.0
    hidden_min_count: int = 5
    webhook_url: str = ""
    webhook_timeout_seconds: float = 5.0
    webhook_max_posts: int = 10
    link_base_url: str = ""
    webhook_kind: str = "text"  # text | dingtalk | feishu: the body and, with $HAOCHA_ALERTS_WEBHOOK_SECRET, the signature
    webhook_attempts: int = 3  # tries per message …
    webhook_backoff_seconds: float = 1.0  # … waiting this, then 2×, 4× … between them

    def __post_init__(self) -> None:
        if self.webhook_kind not in ("text", "dingtalk", "feishu"):
            raise SettingsError(f"alerts.webhook_kind = {self.webhook_kind!r}：只能是 text、dingtalk 或 feishu")


@dataclass(frozen=True)
class DashboardSettings:
    """The [dashboard] section: everything the web app needs besides the database (``create_app`` options)."""

    secret_key_env: str = "HAOCHA_SECRET_KEY"  # environment variable holding the session-signing key
    secure_cookies: bool = False  # send the session cookie only over HTTPS (turn on behind TLS)
    session_hours: int = 8  # a login lasts this long
    max_upload_mb: int = 50  # largest file accepted by 数据导入
    login_max_failures: int = 5  # failed logins per username + IP …
    login_window_minutes: int = 5  # … within this many minutes before answers become 429
    page_size: int = 50  # rows per page in the explorer and the API (the API caps per_page at 200)
    upload_keep_hours: int = 24  # unconfirmed uploads are deleted after this long
    push_max_kb: int = 10_240  # largest JSON body accepted by POST /api/v1/push (413 above it)
    cache_seconds: int = 300  # the overview's results are reused this long unless the data changes (0 = off)
    stale_seconds: int = 30  # after a change, a result this young is served while it is recomputed (0 = wait)
    refresh_seconds: int = 15  # … recomputed in the background at most this often per filter set
    statement_timeout_s: int = 30  # PostgreSQL: a dashboard read statement is cancelled after this long (0 = off)
    plotly_basic: bool = True  # serve the vendored basic plotly.js (bar, scatter, pie); false: the package's full one
    compress_static: bool = True  # brotli/gzip for static scripts and styles (never HTML: BREACH)
    processes: int = 1  # `haocha serve`: web processes (gunicorn workers) beyond 1 need [jobs] queue = "procrastinate"


@dataclass(frozen=True)
class PushSettings:
    """The [push] section: the source systems each push account may write (POST /api/v1/push)."""

    sources: dict = field(default_factory=dict)  # account name → list of source names

    def __post_init__(self) -> None:
        for account, names in self.sources.items():
            if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
                raise SettingsError(f"push.sources.{account} must be a list of source names, got {names!r}")


JOB_QUEUES = ("thread", "procrastinate")


@dataclass(frozen=True)
class JobSettings:
    """The [jobs] section: where the later stages after an upload or a push run."""

    queue: str = "thread"  # "thread": a thread of the web process; "procrastinate": PostgreSQL queue + haocha worker
    retries: int = 2  # procrastinate: retries of a failed stage run
    retry_wait_s: int = 60  # … seconds before each retry

    def __post_init__(self) -> None:
        if self.queue not in JOB_QUEUES:
            raise SettingsError(f"jobs.queue = {self.queue!r} 无效（可用 {'、'.join(JOB_QUEUES)}）")


@dataclass(frozen=True)
class DisplaySettings:
    timezone: str = "Asia/Shanghai"  # every time on screens, in exports and the bulletin is shown in this zone


@dataclass(frozen=True)
class BulletinSettings:
    """The letterhead and wording of the monthly bulletin (月度通报); {city} in any text is replaced by ``city``,
    {year} / {month} in the 文号 pattern by the bulletin's month."""

    city: str = "清源市"
    issuer: str = "{city}政务服务管理办公室"
    recipients: str = "各县（市、区）政务服务管理办公室，市直各有关单位"  # 主送机关
    issue_no_pattern: str = "清政务办〔{year}〕{month}号"
    opening: str = ("为进一步提升政务服务水平，推动“好差评”结果运用，现将{year}年{month}月{city}政务服务“好差评”"
                    "情况通报如下：")
    closing: str = "请各单位对照通报问题认真整改，整改情况于下月5日前报{issuer}。"
    signature: str = "{issuer}"
    decimals: int = 2  # decimals of every percentage and score in the bulletin (one rule for all its numbers)


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    kpi: KpiSettings = field(default_factory=KpiSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    tasks: TaskSettings = field(default_factory=TaskSettings)
    ledger: LedgerSettings = field(default_factory=LedgerSettings)
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    push: PushSettings = field(default_factory=PushSettings)
    jobs: JobSettings = field(default_factory=JobSettings)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    bulletin: BulletinSettings = field(default_factory=BulletinSettings)
    # User-defined source profiles: validated by the ETL's profile module, which owns their shape.
    profiles: Mapping[str, Any] = field(default_factory=dict)
    base_dir: Path = field(default=Path("."))
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def instance_path(self) -> Path:
        p = Path(self.paths.instance_dir)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def region_names_path(self) -> Path:
        """The CSV of region names: ``[paths] region_names`` (relative to the config's folder), by default
        region_names.csv in the instance folder."""
        if not self.paths.region_names:
            return self.instance_path / "region_names.csv"
        p = Path(self.paths.region_names)
        return p if p.is_absolute() else self.base_dir / p

    def _resolved(self, url: str) -> str:
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str((self.base_dir / url[len(prefix):]).resolve())
        return url

    @property
    def database_url(self) -> str:
        return self._resolved(self.database.url)

    @property
    def database_read_url(self) -> str | None:
        """The read replica's URL (``[database] read_url``), or None when reads go to the primary."""
        return self._resolved(self.database.read_url) if self.database.read_url else None


RANKING_METRICS = ("adjusted_bad_rate", "bad_rate", "mean_score")  # kpi.ranking_metric (stats.rankings.METRIC_ORDERS)

_SECTIONS = {
    "database": DatabaseSettings, "paths": PathSettings, "security": SecuritySettings, "ingest": IngestSettings,
    "kpi": KpiSettings, "dashboard": DashboardSettings, "tasks": TaskSettings, "ledger": LedgerSettings,
    "scoring": ScoringSettings, "alerts": AlertSettings, "push": PushSettings, "jobs": JobSettings,
    "display": DisplaySettings, "bulletin": BulletinSettings,
}


# Allowed ranges (inclusive; None = unbounded) of the keys that need more than "not negative", which every
# number must be; a value outside is an error naming section and key.
_RANGES: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "ingest": {"chunk_size": (1, 10_000_000), "region_code_width": (2, 12), "max_text_chars": (1, None),
               "xlsx_max_cells": (1, None), "xlsx_max_uncompressed_mb": (1, None), "xlsx_max_ratio": (1, None)},
    "kpi": {"board_size": (1, 100), "min_ranking_volume": (0, 1_000_000), "chart_min_volume": (0, 1_000_000)},
    "ledger": {"rectify_days": (1, 365), "verify_days": (0, 365), "extend_days": (1, 365)},
    "scoring": {"batch_size": (1, None), "train_sample": (1, None), "category_threshold": (0, 1),
                "hidden_below": (0, 1), "adopt_margin": (0, 1), "other_below": (0, 1), "min_per_class": (1, None),
                "sub_mix": (0, 1), "lead_mix": (0, 1), "lead_decay": (0, 1), "phrase_conf": (0, 1),
                "complaint_above": (0, 1), "hidden_text_below": (0, 1), "message_fit_above": (0, 1)},
    "alerts": {"lookback_weeks": (1, 520), "burst_factor": (1, None), "burst_baseline_weeks": (1, 520),
               "hidden_factor": (1, None), "webhook_timeout_seconds": (0.1, 300), "webhook_attempts": (1, 10),
               "webhook_backoff_seconds": (0, 300)},
    "dashboard": {"session_hours": (1, 24 * 90), "max_upload_mb": (1, None), "login_max_failures": (1, None),
                  "login_window_minutes": (1, None), "page_size": (1, 200), "push_max_kb": (1, None),
                  "stale_seconds": (0, 3600), "refresh_seconds": (0, 3600), "processes": (1, 64)},
    "security": {"proxies": (0, 10), "import_memory_mb": (16, 1_048_576), "import_timeout_s": (1, 86_400),
                 "background_nice": (0, 19)},
    "jobs": {"retries": (0, 20), "retry_wait_s": (0, 86_400)}, "bulletin": {"decimals": (0, 4)},
    "tasks": TASK_RANGES,
}


def _check_range(name: str, key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    lo, hi = _RANGES.get(name, {}).get(key, (0, None))
    if value != value or (lo is not None and value < lo) or (hi is not None and value > hi):  # NaN fails too
        allowed = f"{lo} 到 {hi}" if lo is not None and hi is not None else f"不小于 {lo}"
        raise SettingsError(f"{name}.{key} = {value!r} 超出允许范围（{allowed}）")


def _section(name: str, cls: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise SettingsError(f"[{name}] must be a table, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise SettingsError(
            f"unknown key(s) in [{name}]: {', '.join(unknown)} (known: {', '.join(sorted(fields))})"
        )
    defaults = cls()
    for key, value in raw.items():
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int):
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise SettingsError(f"{name}.{key} must be {expected.__name__}, got {value!r}")
    for key, value in raw.items():
        _check_range(name, key, value)
    if name == "kpi" and raw.get("ranking_metric", defaults.ranking_metric) not in RANKING_METRICS:
        raise SettingsError(f"kpi.ranking_metric = {raw['ranking_metric']!r} 不是 {' / '.join(RANKING_METRICS)} 之一")
    if name == "tasks" and raw.get("rate_prior_strength_min", defaults.rate_prior_strength_min) > raw.get(
            "rate_prior_strength_max", defaults.rate_prior_strength_max):
        raise SettingsError("tasks.rate_prior_strength_min 大于 tasks.rate_prior_strength_max")
    if name in ("display", "ingest") and "timezone" in raw:
        _check_timezone(name, raw["timezone"])
    if name == "bulletin":
        _check_placeholders(raw)
    return cls(**raw)


BULLETIN_PLACEHOLDERS = ("city", "issuer", "year", "month")
# Environment variables that override a key (the alert bot's URL carries its access token: a secret).
ENV_OVERRIDES = {"HAOCHA_DATABASE_URL": ("database", "url"), "HAOCHA_DATABASE_READ_URL": ("database", "read_url"),
                 "HAOCHA_INSTANCE_DIR": ("paths", "instance_dir"),
                 "HAOCHA_ALERTS_WEBHOOK_URL": ("alerts", "webhook_url")}


def _check_placeholders(raw: Mapping[str, Any]) -> None:
    """Every text of [bulletin] may use only {city}, {issuer}, {year} and {month} (the issuer not itself)."""
    sample = dict.fromkeys(BULLETIN_PLACEHOLDERS, "x")
    for key, value in raw.items():
        if not isinstance(value, str):
            continue
        try:
            value.format_map(sample)
        except (KeyError, ValueError, IndexError) as exc:
            raise SettingsError(f"bulletin.{key} = {value!r}：只能使用占位符 "
                                + "、".join("{" + k + "}" for k in BULLETIN_PLACEHOLDERS) + f"（{exc}）") from exc
        if key == "issuer" and "{issuer}" in value:
            raise SettingsError("bulletin.issuer 不能引用 {issuer} 自身")


def _check_timezone(name: str, value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"{name}.timezone = {value!r} 不是有效的时区名称（例如 Asia/Shanghai）") from exc


def settings_from_mapping(
    data: Mapping[str, Any], *, base_dir: Path = Path("."), env: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from a parsed TOML mapping; environment overrides come from ``env``."""
    env = dict(env or {})
    unknown = sorted(set(data) - set(_SECTIONS) - {"profiles"})
    if unknown:
        raise SettingsError(
            f"unknown section(s): {', '.join(unknown)} (known: {', '.join(sorted([*_SECTIONS, 'profiles']))})"
        )
    kwargs: dict[str, Any] = {name: _section(name, cls, data.get(name, {})) for name, cls in _SECTIONS.items()}
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise SettingsError("[profiles] must be a table of profile tables")
    for variable, (section, key) in ENV_OVERRIDES.items():
        if env.get(variable):
            kwargs[section] = dataclasses.replace(kwargs[section], **{key: env[variable]})
    return Settings(**kwargs, profiles=profiles, base_dir=base_dir, env=env)


def load_settings(path: str | os.PathLike | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``config.toml`` (or ``$HAOCHA_CONFIG``); a missing default file means built-in defaults."""
    env = dict(os.environ if env is None else env)
    explicit = path or env.get("HAOCHA_CONFIG")
    cfg = Path(explicit) if explicit else Path("config.toml")
    if not cfg.exists():
        if explicit:
            raise SettingsError(f"config file not found: {cfg}")
        return settings_from_mapping({}, base_dir=Path.cwd(), env=env)
    try:
        data = tomllib.loads(cfg.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{cfg}: {exc}") from exc
    return settings_from_mapping(data, base_dir=cfg.resolve().parent, env=env)
