"""ledger history keeps the rectify deadline: ``ledger_events.rectify_due``

Revision ID: 0014
Revises: 0013

Every ledger event now stores the case's rectify deadline after the event, so the ledger can be replayed as it
stood at a moment (the monthly bulletin, frozen at its month's end): an approved 延期 moves the deadline, and a
December extension must not move the deadline October's bulletin shows.

Backfill of the events written before this revision:
- a case never extended (``extended_days = 0``): every event gets the case's deadline (it never changed);
- an extended case: walking its history backwards from the case's current deadline, each approved 延期 is undone
  by counting its working days back on the chinesecalendar package calendar (exact: a deadline is always a working
  day). The days of each 延期 are the request's ``extra_days``, else the "（整改期限延长N个工作日）" the approval
  wrote at the end of its note. When they cannot be known (or do not add up to the case's ``extended_days``), or a
  date lies in a year the package calendar does not cover (an arrangement entered only as ``[ledger] holidays``),
  the events before the last 延期 keep NULL: the replay then uses the case's current deadline for them.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_DAYS = re.compile(r"延长(\d+)个工作日）$")


def upgrade() -> None:
    op.add_column("ledger_events", sa.Column("rectify_due", sa.Date(), nullable=True))
    bind = op.get_bind()
    meta = sa.MetaData()
    cases = sa.Table("ledger_cases", meta, autoload_with=bind)
    events = sa.Table("ledger_events", meta, autoload_with=bind)
    requests = sa.Table("ledger_requests", meta, autoload_with=bind)
    due_of_case = sa.select(cases.c.rectify_due).where(cases.c.id == events.c.case_id).scalar_subquery()
    bind.execute(sa.update(events).values(rectify_due=due_of_case))
    extended = bind.execute(sa.select(cases.c.id, cases.c.rectify_due, cases.c.extended_days)
                            .where(cases.c.extended_days > 0).order_by(cases.c.id)).all()
    for case in extended:
        rows = bind.execute(
            sa.select(events.c.id, events.c.action, events.c.note, requests.c.type, requests.c.extra_days)
            .select_from(events.outerjoin(requests, requests.c.id == events.c.request_id))
            .where(events.c.case_id == case.id).order_by(events.c.at, events.c.id)).all()
        for event_id, due in _backfill(rows, case.rectify_due, case.extended_days):
            bind.execute(sa.update(events).where(events.c.id == event_id).values(rectify_due=due))


def _backfill(rows, current, extended_days: int):
    """(event id, rectify deadline after it) for the events of one extended case whose value differs from the
    case's current deadline (set for every event above); None where it cannot be reconstructed."""
    from feedback.ledger.workdays import CalendarRangeError, add_workdays

    days = {r.id: r.extra_days or _note_days(r.note) for r in rows if r.action == "approve" and r.type == "extend"}
    known = None not in days.values() and sum(days.values()) == extended_days
    out, due = [], current
    for r in reversed(rows):  # newest first: ``due`` is the deadline after r
        if due != current:
            out.append((r.id, due))
        if r.id in days and due is not None:  # undo this 延期
            try:
                due = add_workdays(due, -days[r.id]) if known else None
            except CalendarRangeError:
                due = None
    return out


def _note_days(note: str | None) -> int | None:
    m = _DAYS.search(note or "")
    return int(m.group(1)) if m else None


def downgrade() -> None:
    with op.batch_alter_table("ledger_events") as batch:
        batch.drop_column("rectify_due")
