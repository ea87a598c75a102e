"""The 差评 rectification ledger: ``from feedback import ledger``, then ``ledger.sync_cases(conn)`` and so on.

``rules`` holds the states, transitions and working-day deadlines (pure), ``replay`` the ledger as it stood at a
moment (pure), ``queries`` the reads and ``repository`` the writes; the names below are the ledger's public API."""

from feedback.ledger.queries import cases_as_of, history, list_cases
from feedback.ledger.repository import decide, escalate, request, set_status, sync_cases
from feedback.ledger.rules import (
    DEFAULT_RULE,
    REQUEST_STATUSES,
    REQUEST_TYPES,
    STATUSES,
    TRANSITIONS,
    DeadlineRule,
    LedgerError,
    deadlines,
    parse_status,
    request_applies,
    rule_for,
    rules_from_mapping,
    rules_from_settings,
)

__all__ = [
    "DEFAULT_RULE", "REQUEST_STATUSES", "REQUEST_TYPES", "STATUSES", "TRANSITIONS", "DeadlineRule", "LedgerError",
    "cases_as_of", "deadlines", "decide", "escalate", "history", "list_cases", "parse_status", "request",
    "request_applies", "rule_for", "rules_from_mapping", "rules_from_settings", "set_status", "sync_cases",
]
