"""Parallel workflow changes (8 threads) have exactly one effect: ledger approvals and requests, task changes.

On PostgreSQL the threads really overlap (row locks and conditional updates decide); on SQLite they are
serialised by its single writer, and the same guarantees must hold."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from feedback import ledger
from feedback.filters import Filters
from feedback.ledger.rules import LedgerError
from feedback.models import LedgerRequest, TaskEvent
from feedback.stats import queries as stats_queries
from feedback.tasks.lifecycle import LifecycleError
from feedback.tasks.repository import change_task, insert_build, save_tasks
from tests.feedback.ledger.test_ledger import ROWS, T0
from tests.feedback.stats.test_kpi import insert_records

THREADS = 8


def _parallel(engine, work, expected_errors):
    """Run ``work(conn, i)`` in THREADS threads started together, each in its own transaction; returns the
    results and the expected refusals (any other exception fails the test)."""
    barrier = threading.Barrier(THREADS)
    results, refusals, failures = [], [], []

    def run(i: int) -> None:
        barrier.wait()
        try:
            with engine.begin() as conn:
                results.append(work(conn, i))
        except expected_errors as exc:
            refusals.append(exc)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [], f"unexpected errors (a 500 on a page): {failures!r}"
    return results, refusals


@pytest.fixture
def case(engine):
    """A case in 整改中 (rectify due 2026-03-09) on which 延期 can be requested."""
    with engine.begin() as conn:
        ids = insert_records(conn, ROWS)
        ledger.sync_cases(conn, now=T0)
        frame = stats_queries.case_frame(conn, Filters())
        case_id = int(frame.loc[frame.record_id == ids["mar"], "case_id"].item())
        ledger.set_status(conn, case_id, "rectifying", by="ops", now=T0)
    return case_id


def _case(engine, case_id):
    with engine.connect() as conn:
        return stats_queries.case_frame(conn, Filters()).set_index("case_id").loc[case_id]


def test_parallel_approvals_apply_an_extension_once(engine, case):
    with engine.begin() as conn:
        req = ledger.request(conn, case, "extend", reason="涉及系统改造", by="dept", now=T0)
    results, refusals = _parallel(engine, lambda conn, i: ledger.decide(
        conn, req, approve=True, by=f"科长{i}", now=datetime(2026, 3, 5)), LedgerError)
    assert (len(results), len(refusals)) == (1, THREADS - 1)
    assert all("already decided" in str(e) for e in refusals)
    row = _case(engine, case)
    assert (row.rectify_due, row.extended_days) == (date(2026, 3, 23), 10)  # the 10 working days once, not 20+
    with engine.connect() as conn:
        events = ledger.history(conn, case)
    assert events.action.tolist().count("approve") == 1


def test_parallel_requests_store_one_pending(engine, case):
    results, refusals = _parallel(engine, lambda conn, i: ledger.request(
        conn, case, "extend", reason=f"理由{i}", by=f"dept{i}", now=T0), LedgerError)
    assert (len(results), len(refusals)) == (1, THREADS - 1)
    assert all("already has a pending 延期" in str(e) for e in refusals)
    with engine.connect() as conn:
        pending = conn.execute(select(func.count()).select_from(LedgerRequest).where(
            LedgerRequest.case_id == case, LedgerRequest.status == "pending")).scalar_one()
        events = ledger.history(conn, case)
    assert pending == 1 and events.action.tolist().count("request") == 1


def test_parallel_case_transitions_apply_once(engine, case):
    results, refusals = _parallel(engine, lambda conn, i: ledger.set_status(
        conn, case, "rectified", by=f"ops{i}", now=T0), LedgerError)
    assert (len(results), len(refusals)) == (1, THREADS - 1)
    with engine.connect() as conn:
        events = ledger.history(conn, case)
    assert events.to_status.tolist().count("rectified") == 1


def test_the_index_allows_one_pending_request_per_case_and_type(engine, case):
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    row = dict(case_id=case, type="extend", status="pending", reason="r", requested_by="x", requested_at=T0)
    with engine.begin() as conn:
        conn.execute(insert(LedgerRequest).values(**row))
        conn.execute(insert(LedgerRequest).values(**{**row, "status": "rejected"}))  # decided ones do not count
        conn.execute(insert(LedgerRequest).values(**{**row, "type": "void"}))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(LedgerRequest).values(**row))


@pytest.fixture
def task(engine):
    with engine.begin() as conn:
        build = insert_build(conn, as_of=None, model_version=None, settings_hash="t", settings={})
        ids = save_tasks(conn, [{"task_key": "k1", "kind": "service", "source": "rating", "title": "上传失败", "score": 1.0, "signals": 3,
                                 "first_seen": T0, "last_seen": T0}], build)
    return ids["k1"]


def _status_events(engine, task_id):
    with engine.connect() as conn:
        return conn.execute(select(TaskEvent.from_status, TaskEvent.to_status).where(
            TaskEvent.task_id == task_id, TaskEvent.action == "status")).all()


def test_parallel_task_status_changes_write_one_history_entry(engine, task):
    results, refusals = _parallel(engine, lambda conn, i: change_task(
        conn, task, by=f"pm{i}", status="accepted"), LifecycleError)
    assert [r for r in results if r] and len([r for r in results if r]) == 1  # one change, the rest found it done
    assert refusals == [] or all("同时修改" in str(e) for e in refusals)
    assert _status_events(engine, task) == [("new", "accepted")]


def test_parallel_conflicting_task_changes_follow_the_lifecycle(engine, task):
    # half accept, half dismiss: whichever comes first wins; the others see its state and are judged by it
    results, refusals = _parallel(engine, lambda conn, i: change_task(
        conn, task, by=f"pm{i}", status="accepted" if i % 2 else "dismissed", note="重复"), LifecycleError)
    events = _status_events(engine, task)
    assert len([r for r in results if "status" in r]) == len(events) <= 2
    assert events[0][0] == "new" and all(a != b for a, b in events)
    for (_, to), (frm, _) in zip(events, events[1:], strict=False):
        assert frm == to  # every entry starts where the previous one ended: no lost or doubled step
