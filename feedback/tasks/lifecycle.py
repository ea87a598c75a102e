"""Task states and the transitions allowed between them, and when a task is overdue (pure rules; writes live in
the repository)."""

from __future__ import annotations

from datetime import date

STATUSES: dict[str, str] = {
    "new": "新建", "accepted": "已受理", "in_progress": "整改中", "shipped": "已上线",
    "verified": "已验证", "reopened": "已重开", "dismissed": "不予处理",
}
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"accepted", "in_progress", "dismissed"}),
    "accepted": frozenset({"in_progress", "shipped", "dismissed"}),
    "in_progress": frozenset({"shipped", "dismissed", "accepted"}),
    "shipped": frozenset({"verified", "reopened", "in_progress"}),
    "verified": frozenset({"reopened"}),
    "reopened": frozenset({"accepted", "in_progress", "shipped", "dismissed"}),
    "dismissed": frozenset({"reopened"}),
}
# States in which the task is still open work (listed by default, shown on the board).
OPEN = frozenset({"new", "accepted", "in_progress", "shipped", "reopened"})
# States in which the task's work is still to be done: past its due date in one of these, a task is overdue (a
# shipped fix awaits verification, and verified or dismissed tasks are finished).
PENDING = frozenset({"new", "accepted", "in_progress", "reopened"})


def overdue_days(status: str, due: date | str | None, today: date) -> int | None:
    """Whole days a task is past its due date on ``today`` while its work is still pending (1 = due yesterday);
    None when it is not overdue: no due date, due today or later, or shipped, verified or dismissed."""
    if not due or status not in PENDING:
        return None
    days = (today - (date.fromisoformat(due[:10]) if isinstance(due, str) else due)).days
    return days if days > 0 else None


class LifecycleError(ValueError):
    """A status change that the lifecycle does not allow, with the reason."""


def check_transition(current: str, target: str, *, note: str | None = None) -> None:
    """Raise ``LifecycleError`` unless ``current → target`` is allowed; dismissing needs a reason."""
    if target not in STATUSES:
        raise LifecycleError(f"unknown status '{target}' (use {', '.join(STATUSES)})")
    if target == current:
        return
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none"
        raise LifecycleError(f"cannot go from {current} to {target} (allowed: {allowed})")
    if target == "dismissed" and not (note and note.strip()):
        raise LifecycleError("dismissing a task needs a reason: give --note")
