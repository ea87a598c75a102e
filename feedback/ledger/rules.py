"""The ledger's rules (pure): states and transitions, requests, region deadline rules on working days."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import pandas as pd

from feedback.ledger.workdays import PACKAGE, Calendar, add_workdays
from feedback.stats.kpi import overdue_mask

STATUSES = {"pending_verify": "待核实", "rectifying": "整改中", "rectified": "已整改", "replied": "已反馈",
            "revisited": "已回访", "closed": "关闭", "cannot_fix": "无法整改", "voided": "差评无效"}
# The main line; 无法整改 and 差评无效 are reached only through an approved request.
TRANSITIONS = {"pending_verify": ("rectifying", "rectified"), "rectifying": ("rectified",),
               "rectified": ("replied",), "cannot_fix": ("replied",), "replied": ("revisited",),
               "revisited": ("closed",), "closed": (), "voided": ()}
REQUEST_TYPES = {"extend": "延期", "cannot_fix": "无法整改", "void": "差评无效"}
REQUEST_STATUSES = {"pending": "申请", "approved": "通过", "rejected": "驳回"}
_REQUESTABLE = {"extend": ("pending_verify", "rectifying"), "cannot_fix": ("pending_verify", "rectifying"),
                "void": tuple(s for s in STATUSES if s != "voided")}
_STAMP = {"rectified": "rectified_at", "replied": "replied_at", "revisited": "revisited_at", "closed": "closed_at"}


class LedgerError(ValueError):
    """An operation the ledger does not allow (unknown case, invalid transition, request already decided …)."""


@dataclass(frozen=True)
class DeadlineRule:
    """Working days, counted from the 差评, to verify (核实/联系) and to rectify; what an approved 延期 adds."""

    verify_days: int = 1
    rectify_days: int = 5
    extend_days: int = 10  # 5 + 10 = the "15" of Shanghai's 1-5-15 for complex cases
    calendar: Calendar = PACKAGE  # the working-day calendar the days are counted on (national, from config)


DEFAULT_RULE = DeadlineRule()


def rules_from_mapping(data: Mapping[str, Any], calendar: Calendar = PACKAGE) -> dict[str, DeadlineRule]:
    """Region rules from config: ``{"4403": {"verify_days": 1, "rectify_days": 15}, …}`` keyed by region-code
    prefix; a key "default" replaces the built-in default rule. Unknown keys and bad values are errors. Every rule
    counts on ``calendar``."""
    rules: dict[str, DeadlineRule] = {"default": DeadlineRule(calendar=calendar)}
    known = set(DeadlineRule.__dataclass_fields__) - {"calendar"}
    for prefix, raw in data.items():
        if not isinstance(raw, Mapping) or set(raw) - known:
            raise LedgerError(f"deadline rule {prefix!r}: expected a table of {sorted(known)}, got {raw!r}")
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in raw.values()):
            raise LedgerError(f"deadline rule {prefix!r}: working days must be whole numbers >= 0")
        rules[str(prefix)] = DeadlineRule(**raw, calendar=calendar)
    return rules


def rules_from_settings(section: Any) -> dict[str, DeadlineRule]:
    """Deadline rules from the ``[ledger]`` settings section (default rule plus per-region rules), counted on the
    package calendar plus the ``holidays`` / ``workdays`` entered there."""
    base = {k: getattr(section, k) for k in ("verify_days", "rectify_days", "extend_days")}
    try:
        calendar = Calendar.from_config(section.holidays, section.workdays)
    except ValueError as exc:
        raise LedgerError(str(exc)) from None
    return rules_from_mapping({"default": base, **dict(section.regions or {})}, calendar)


def request_applies(type: str, status: str) -> bool:
    """True when a request of this type may be filed on a case in this status."""
    return status in _REQUESTABLE.get(type, ())


def rule_for(region_code: str | None, rules: Mapping[str, DeadlineRule] | None) -> tuple[str, DeadlineRule]:
    """The rule of the longest region-code prefix that matches, else "default"."""
    rules = rules or {}
    best = max((p for p in rules if p != "default" and region_code and region_code.startswith(p)),
               key=len, default=None)
    if best is not None:
        return best, rules[best]
    return "default", rules.get("default", DEFAULT_RULE)


@lru_cache(maxsize=4096)
def deadlines(start: date, rule: DeadlineRule) -> tuple[date, date]:
    """(verify_due, rectify_due): the last working day allowed for each step, counted after ``start``."""
    return add_workdays(start, rule.verify_days, rule.calendar), add_workdays(start, rule.rectify_days, rule.calendar)


def parse_status(value: str) -> str:
    """A status code from its code or its Chinese name."""
    by_name = {v: k for k, v in STATUSES.items()}
    if value in STATUSES:
        return value
    if value in by_name:
        return by_name[value]
    raise LedgerError(f"unknown status {value!r}; use one of " + ", ".join(f"{k} ({v})" for k, v in STATUSES.items()))


def transition(case_id: int, current: str, target: str, satisfaction: int | None, now: datetime) -> dict[str, Any]:
    """The case's new column values for a move along the main line; a move the rules forbid raises LedgerError.
    已回访 needs the citizen's satisfaction with the fix (1..5, 5 best)."""
    label = STATUSES
    if target in ("cannot_fix", "voided"):
        kind = "cannot_fix" if target == "cannot_fix" else "void"
        raise LedgerError(f"case {case_id}: {label[target]} needs an approved request "
                          f"(haocha ledger request {case_id} --type {kind} --reason …)")
    allowed = TRANSITIONS[current]
    if target not in allowed:
        options = ", ".join(f"{label[s]} ({s})" for s in allowed) or "none: the case is finished"
        raise LedgerError(f"case {case_id}: cannot go from {label[current]} to {label[target]}; allowed: {options}")
    if (target == "revisited") != (satisfaction is not None):
        raise LedgerError(f"case {case_id}: satisfaction (1-5) is given with 已回访 and only then")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise LedgerError(f"case {case_id}: satisfaction must be 1..5 (5 = 非常满意), got {satisfaction}")
    values: dict[str, Any] = {"status": target, "updated_at": now}
    if current == "pending_verify":
        values["verified_at"] = now
    if target in _STAMP:
        values[_STAMP[target]] = now
    if target == "rectified":
        values["outcome"] = "rectified"
    if satisfaction is not None:
        values["satisfaction"] = satisfaction
    return values


def check_request_form(type: str, reason: str) -> None:
    """Raise LedgerError unless ``type`` is a request type and a reason is given."""
    if type not in REQUEST_TYPES:
        raise LedgerError(f"unknown request type {type!r}; use one of {', '.join(REQUEST_TYPES)}")
    if not reason or not reason.strip():
        raise LedgerError("a request needs a reason")


def check_request_applies(case_id: int, status: str, type: str, extra_days: int | None) -> None:
    """Raise LedgerError unless a request of ``type`` may be filed on a case in ``status`` as given."""
    if status not in _REQUESTABLE[type]:
        raise LedgerError(f"case {case_id} is {STATUSES[status]}: a {REQUEST_TYPES[type]} request "
                          "does not apply")
    if extra_days is not None and (type != "extend" or extra_days < 1):
        raise LedgerError("extra working days are given only with an extend request, and are >= 1")


def overdue_label(status: str, verify_due: date | None, rectify_due: date | None, today: date) -> str | None:
    """The stage-appropriate overdue label of one case as of ``today``: a 待核实 case past its verify deadline is
    核实超期 (whatever else is late: verifying is the step it is stuck at), a 整改中 case past its rectify deadline
    整改超期; None when on time or finished."""
    if status == "pending_verify" and verify_due is not None and verify_due < today:
        return "核实超期"
    if status in ("pending_verify", "rectifying") and rectify_due is not None and rectify_due < today:
        return "整改超期"
    return None


def overdue_labels(cases: pd.DataFrame, today: date) -> pd.Series:
    """overdue_label of each case as of ``today`` (None when on time)."""
    out = pd.Series([None] * len(cases), index=cases.index, dtype=object)
    out[overdue_mask(cases, today)] = "整改超期"
    out[(cases["status"] == "pending_verify") & (cases["verify_due"] < today)] = "核实超期"
    return out
