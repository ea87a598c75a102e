"""SQLAlchemy 2.0 typed models, one module per subsystem: the schema of record; Alembic migrations must match it
exactly. Everything is re-exported here, so ``from feedback.models import Record`` works.
"""

from feedback.models.accounts import AuditLog, LoginThrottle, User
from feedback.models.alerts import Alert
from feedback.models.base import NAMING, Base
from feedback.models.distribution import DISTRIBUTED, reference_tables
from feedback.models.ledger import LedgerCase, LedgerEvent, LedgerRequest
from feedback.models.records import RECORD_COLUMNS, Batch, Record, Reject, Watermark
from feedback.models.rollups import (
    RollupBadTag,
    RollupDaily,
    RollupDailyChannel,
    RollupDailyUnit,
    RollupMonthly,
    RollupMonthlyChannel,
    RollupMonthlyService,
    RollupMonthlyUnit,
    RollupQuarterly,
    RollupQuarterlyService,
)
from feedback.models.scoring import GoldLabel, ModelVersion, Score
from feedback.models.tasks import Task, TaskBuild, TaskEvent, TaskRecord

__all__ = [
    "RECORD_COLUMNS",
    "Base",
    "NAMING",
    "DISTRIBUTED",
    "reference_tables",
    "Batch",
    "Reject",
    "Record",
    "Watermark",
    "ModelVersion",
    "Score",
    "GoldLabel",
    "User",
    "AuditLog",
    "LoginThrottle",
    "LedgerCase",
    "LedgerRequest",
    "LedgerEvent",
    "TaskBuild",
    "Task",
    "TaskEvent",
    "TaskRecord",
    "Alert",
    "RollupDaily",
    "RollupDailyUnit",
    "RollupDailyChannel",
    "RollupMonthlyUnit",
    "RollupMonthly",
    "RollupMonthlyChannel",
    "RollupQuarterly",
    "RollupMonthlyService",
    "RollupQuarterlyService",
    "RollupBadTag",
]
