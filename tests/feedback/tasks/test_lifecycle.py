"""When a task is overdue: past its due date with its work still pending."""

from datetime import date

import pytest

from feedback.tasks.lifecycle import OPEN, PENDING, STATUSES, overdue_days

DAY = date(2026, 12, 7)


@pytest.mark.parametrize("status", sorted(PENDING))
def test_a_pending_task_past_its_due_date_is_overdue_by_whole_days(status):
    assert overdue_days(status, date(2026, 11, 30), DAY) == 7
    assert overdue_days(status, "2026-12-06", DAY) == 1  # as the queries give it: ISO text
    assert overdue_days(status, date(2026, 12, 7), DAY) is None  # due today: not yet late
    assert overdue_days(status, "2027-01-05", DAY) is None
    assert overdue_days(status, None, DAY) is None


@pytest.mark.parametrize("status", sorted(set(STATUSES) - PENDING))
def test_shipped_verified_and_dismissed_tasks_are_never_overdue(status):
    assert overdue_days(status, date(2026, 1, 1), DAY) is None


def test_pending_is_the_open_work_less_the_shipped_fixes():
    assert PENDING == OPEN - {"shipped"}
