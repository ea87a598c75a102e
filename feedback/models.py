"""SQLAlchemy 2.0 typed models: the schema of record; Alembic migrations must match it exactly."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# BIGINT on PostgreSQL, INTEGER (rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Batch(Base):
    """One ingestion run over one input: counts satisfy read = loaded + duplicate + rejected."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_system: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # A pushed batch: sha256 of its records (canonical JSON). file_sha256 is then the idempotency key (account +
    # batch_id), and a resend under the same key must carry the same records.
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | done | failed
    rows_done: Mapped[int] = mapped_column(Integer, default=0)  # checkpoint for resuming a killed load
    read: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)


class Reject(Base):
    """An input row that was not loaded, with where it was and why."""

    __tablename__ = "rejects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    row_number: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)  # JSON object of the raw row as read (PII already masked)


class Record(Base):
    """One rating (好差评) or one message (12345 / 留言板), normalised. Immutable once loaded."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("source_system", "record_key"),
        Index("ix_records_rated_at", "rated_at"),
        Index("ix_records_dept_code_rated_at", "dept_code", "rated_at"),
        Index("ix_records_level", "level"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_system: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(128))  # source record id, or "h:" + content hash
    kind: Mapped[str] = mapped_column(String(16))  # rating | message
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    project_no: Mapped[str | None] = mapped_column(String(64))
    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))
    dept_code: Mapped[str | None] = mapped_column(String(32))
    dept_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str | None] = mapped_column(String(32))  # canonical code, see feedback.codes.CHANNELS
    channel_raw: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(SmallInteger)  # 1..5, 5 = 非常满意
    level_raw: Mapped[str | None] = mapped_column(String(32))
    level_scheme: Mapped[str | None] = mapped_column(String(16))  # platform | gbt39046 | text
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    assess_number: Mapped[int | None] = mapped_column(SmallInteger)
    user_type: Mapped[str | None] = mapped_column(String(16))  # person | legal
    evaluator_hash: Mapped[str | None] = mapped_column(String(64))
    is_anonymous: Mapped[bool | None] = mapped_column(Boolean)
    is_public: Mapped[bool | None] = mapped_column(Boolean)
    tags: Mapped[str | None] = mapped_column(String(200))  # comma-separated tag codes
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)  # cleaned, PII masked
    votes_up: Mapped[int | None] = mapped_column(Integer)
    votes_down: Mapped[int | None] = mapped_column(Integer)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    rated_at: Mapped[datetime] = mapped_column(DateTime)  # Asia/Shanghai wall-clock time
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    promised_at: Mapped[datetime | None] = mapped_column(DateTime)
    content_hash: Mapped[str] = mapped_column(String(64))


class Watermark(Base):
    """The high-water mark of an incremental SQL source pull."""

    __tablename__ = "watermarks"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    column: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ModelVersion(Base):
    """A scoring model version: engine, parameters and held-out figures; one is active per kind."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # scoring
    description: Mapped[str] = mapped_column(Text)  # JSON: engines, parameters, training data hash
    metrics: Mapped[str | None] = mapped_column(Text)  # JSON: held-out figures
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Score(Base):
    """Sentiment, complaint categories and the hidden-complaint flag of one record under one model version."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("record_id", "model_version"),
        Index("ix_scores_model_version_category", "model_version", "category"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(ForeignKey("model_versions.version"))
    sentiment: Mapped[str] = mapped_column(String(8))  # neg | neu | pos
    sentiment_score: Mapped[float] = mapped_column(Float)  # fused, 0 = negative … 1 = positive
    text_score: Mapped[float | None] = mapped_column(Float)  # text only; None without text
    hidden_complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str | None] = mapped_column(String(64))  # top complaint category slug, "other", or None
    category_conf: Mapped[float | None] = mapped_column(Float)
    subcategory: Mapped[str | None] = mapped_column(String(64))  # second-level slug of the top category
    categories: Mapped[str | None] = mapped_column(Text)  # JSON list of [slug, confidence], best first
    scored_at: Mapped[datetime] = mapped_column(DateTime)


class GoldLabel(Base):
    """A person's correction of a record's complaint category: always wins over the model, joins training."""

    __tablename__ = "gold_labels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    labelled_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


# --- users, API tokens and audit log (dashboard; migration 0003) -------------------------------------------


class User(Base):
    """A dashboard account: argon2 password hash, role, optional department binding, hashed API token."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, PHC string
    role: Mapped[str] = mapped_column(String(16))  # admin | ops | pm | viewer (checked by dashboards.users)
    dept_code: Mapped[str | None] = mapped_column(String(32))  # set: the user sees only this department
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the bearer token
    token_created_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditLog(Base):
    """Who did what and from where: logins (success and failure), exports, uploads, imports, task changes."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_username_action_at", "username", "action", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    username: Mapped[str | None] = mapped_column(String(64))  # as typed for failed logins
    action: Mapped[str] = mapped_column(String(32))  # login | login_failed | logout | export | upload | import …
    detail: Mapped[str | None] = mapped_column(Text)  # JSON object
    ip: Mapped[str | None] = mapped_column(String(64))


# --- rectification ledger: 差评 cases and their events (migration 0004) ----------------------------------


class LedgerCase(Base):
    """One 差评 (or escalated complaint) under rectification: state, working-day deadlines and milestones."""

    __tablename__ = "ledger_cases"
    __table_args__ = (
        UniqueConstraint("record_id"),
        Index("ix_ledger_cases_status_rectify_due", "status", "rectify_due"),
        Index("ix_ledger_cases_rated_at", "rated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))  # no cascade: records are never deleted
    origin: Mapped[str] = mapped_column(String(16))  # bad_rating | escalated
    status: Mapped[str] = mapped_column(String(16))  # see feedback.ledger.STATUSES
    outcome: Mapped[str | None] = mapped_column(String(16))  # rectified | cannot_fix | voided, once known
    rule: Mapped[str] = mapped_column(String(32))  # deadline rule applied: a region-code prefix or "default"
    # The record's dimensions, copied (records are immutable) so case queries never scan the records table.
    rated_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(16))
    dept_code: Mapped[str | None] = mapped_column(String(32))
    dept_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str | None] = mapped_column(String(32))
    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    is_default: Mapped[bool] = mapped_column(Boolean)
    opened_at: Mapped[datetime] = mapped_column(DateTime)  # the clock start: rated_at, or the escalation time
    verify_due: Mapped[date] = mapped_column(Date)
    rectify_due: Mapped[date] = mapped_column(Date)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    rectified_at: Mapped[datetime | None] = mapped_column(DateTime)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    revisited_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)  # 回访: 1..5, 5 = 非常满意 with the fix
    ruling: Mapped[str | None] = mapped_column(Text)  # the approved 无法整改 / 差评无效 decision, kept visible
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class LedgerRequest(Base):
    """A 延期 / 无法整改 / 差评无效 (申诉复核) request on a case, pending until approved or rejected."""

    __tablename__ = "ledger_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ledger_cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # extend | cannot_fix | void
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected
    reason: Mapped[str] = mapped_column(Text)
    extra_days: Mapped[int | None] = mapped_column(Integer)  # working days asked for (extend only)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class LedgerEvent(Base):
    """One step in a case's history: who did what, when, from which state to which, and why."""

    __tablename__ = "ledger_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ledger_cases.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_requests.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # open | transition | request | approve | reject
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


# --- optimisation tasks and their history (migration 0005) -----------------------------------------------


class TaskBuild(Base):
    """One rebuild of the task list: when, up to which data, with which model version and settings."""

    __tablename__ = "task_builds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    built_at: Mapped[datetime] = mapped_column(DateTime)
    as_of: Mapped[datetime | None] = mapped_column(DateTime)  # latest record time seen by the build
    model_version: Mapped[str | None] = mapped_column(String(64))
    settings_hash: Mapped[str] = mapped_column(String(16))
    settings: Mapped[str] = mapped_column(Text)  # JSON of the task settings used
    signals: Mapped[int] = mapped_column(Integer, default=0)
    tasks: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class Task(Base):
    """An optimisation task: one complaint group with its priority, evidence, state and owner.

    ``task_key`` is a stable hash of the group definition, so state and notes survive rebuilds."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("task_key"),
        Index("ix_tasks_active_rank", "active", "rank"),
        Index("ix_tasks_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # service | hall | topic
    source: Mapped[str] = mapped_column(String(16))  # rating | message | mixed
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(64))
    subcategory: Mapped[str | None] = mapped_column(String(64))
    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))
    dept_code: Mapped[str | None] = mapped_column(String(32))
    dept_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    anchor: Mapped[str | None] = mapped_column(String(100))  # the place or group a topic is about
    status: Mapped[str] = mapped_column(String(16), default="new")
    owner: Mapped[str | None] = mapped_column(String(64))
    due_date: Mapped[date | None] = mapped_column(Date)
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # found by the latest rebuild
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    components: Mapped[str] = mapped_column(Text, default="{}")  # JSON name -> value in [0, 1] (null: n/a)
    metrics: Mapped[str] = mapped_column(Text, default="{}")  # JSON raw figures behind the components
    keywords: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    evidence: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of representative comments
    breakdown: Mapped[str] = mapped_column(Text, default="{}")  # JSON departments / channels / regions
    series: Mapped[str] = mapped_column(Text, default="[]")  # JSON weekly [week start, signals]
    impact: Mapped[str | None] = mapped_column(Text)  # JSON of the latest impact check
    signals: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen: Mapped[datetime | None] = mapped_column(DateTime)
    build_id: Mapped[int | None] = mapped_column(ForeignKey("task_builds.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class TaskEvent(Base):
    """One entry of a task's history: creation, status change, owner, due date, note, impact verdict."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # created | status | owner | due | note | impact
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str | None] = mapped_column(Text)  # JSON details (impact figures, old/new owner …)


class TaskRecord(Base):
    """A record (rating or message) that is evidence for a task, as of the latest rebuild."""

    __tablename__ = "task_records"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)  # severity weight of this signal
    __table_args__ = (Index("ix_task_records_record_id", "record_id"),)



# --- fired alerts (migration 0008): written by feedback.alert_store, one row per rule, subject and week ------


class Alert(Base):
    """One alert of an [alerts] rule for one subject (department, category or service) and one week."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("rule", "subject", "period"),  # deduplication: a rule fires once per subject and week
        Index("ix_alerts_status_created_at", "status", "created_at"),
        Index("ix_alerts_dept_code", "dept_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(32))  # dept_bad_rate | category_burst | hidden_doubling
    subject: Mapped[str] = mapped_column(String(200))  # department code, category slug or service key
    subject_name: Mapped[str | None] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(10))  # the week's Monday, YYYY-MM-DD
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # Sunday, or the latest data day of a running week
    dept_code: Mapped[str | None] = mapped_column(String(32))  # scoping: None = city-wide (unbound users only)
    dept_name: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)  # the measured figure (rate in %, count, or ratio)
    baseline: Mapped[float | None] = mapped_column(Float)  # what it is compared with (None: a fixed threshold)
    threshold: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)  # complaints behind the alert
    volume: Mapped[int | None] = mapped_column(Integer)  # ratings of the subject that week (rate rules)
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text)  # JSON list of [name, value]: the explorer filters of its records
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)  # posted to the webhook
    notify_error: Mapped[str | None] = mapped_column(Text)


# --- daily rollups read by the dashboard and reports (migration 0006) --------------------------------------
# Built by feedback.rollups from records, active scores and voided ledger cases; never edited by hand.


class _RollupUnit:
    """Dimensions every rollup shares: kind, department, region, channel."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    dept_code: Mapped[str | None] = mapped_column(String(32))
    dept_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str | None] = mapped_column(String(32))


class _RollupCounts:
    """Rating level and the counts summed per group."""

    level: Mapped[int | None] = mapped_column(SmallInteger)
    is_default: Mapped[bool] = mapped_column(Boolean)
    voided: Mapped[bool] = mapped_column(Boolean)  # 差评无效 approved on appeal
    n: Mapped[int] = mapped_column(Integer)  # records
    projects: Mapped[int] = mapped_column(Integer)  # first ratings (评价次数 1 or unknown) with a 办件编号
    hidden: Mapped[int] = mapped_column(Integer)  # hidden complaints under the active model version


class _RollupFine:
    """The fine rollups' extra dimensions: the service, and the active model's sentiment and category."""

    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))
    sentiment: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(64))


def _fine_indexes(table: str, period: str) -> tuple[Index, ...]:
    """Period + kind, and each selective filter (category, sentiment, service) before the period: a
    complaint-focused filter reads only its rows, not the whole period."""
    return (Index(f"ix_{table}_{period}_kind", period, "kind"),
            *(Index(f"ix_{table}_{col}_{period}", col, period)
              for col in ("category", "sentiment", "service_code", "service_name")))


class RollupDaily(_RollupUnit, _RollupFine, _RollupCounts, Base):
    """Record counts per day and every filterable dimension, with active-score sentiment and category."""

    __tablename__ = "rollup_daily"
    __table_args__ = _fine_indexes("rollup_daily", "day")

    day: Mapped[date] = mapped_column(Date)


class RollupDailyUnit(_RollupUnit, _RollupCounts, Base):
    """The same counts without service, sentiment and category: the small table the overview reads."""

    __tablename__ = "rollup_daily_unit"
    __table_args__ = (Index("ix_rollup_daily_unit_day_kind", "day", "kind"),)

    day: Mapped[date] = mapped_column(Date)


class RollupMonthlyUnit(_RollupUnit, _RollupCounts, Base):
    """rollup_daily_unit summed by calendar month (``month`` = its first day): whole months of long periods."""

    __tablename__ = "rollup_monthly_unit"
    __table_args__ = (Index("ix_rollup_monthly_unit_month_kind", "month", "kind"),)

    month: Mapped[date] = mapped_column(Date)


class RollupMonthly(_RollupUnit, _RollupFine, _RollupCounts, Base):
    """rollup_daily summed by calendar month (``month`` = its first day): the whole months of a period when a
    question needs the service, sentiment or category (migration 0009)."""

    __tablename__ = "rollup_monthly"
    __table_args__ = _fine_indexes("rollup_monthly", "month")

    month: Mapped[date] = mapped_column(Date)


class RollupBadTag(_RollupUnit, Base):
    """Evaluation-tag counts of 差评 (non-default ratings at level 1-2), one row per tag and dimensions."""

    __tablename__ = "rollup_bad_tags"
    __table_args__ = (Index("ix_rollup_bad_tags_day", "day"),)

    day: Mapped[date] = mapped_column(Date)
    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(SmallInteger)
    voided: Mapped[bool] = mapped_column(Boolean)
    sentiment: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(64))
    tag: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer)


# Columns the ETL fills, in table order (everything but the surrogate id and the batch id).
RECORD_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in Record.__table__.columns if c.name not in ("id", "batch_id")
)
