"""The later stages after a load (score → rollups → tasks → ledger → alerts) as plain calls on an engine and settings.

``haocha ingest`` and ``haocha demo`` run them and print each result; the dashboard's background runner runs them
after a push or an upload and records the outcomes. A stage returns what it did and never prints; a stage that
fails is recorded in its outcome and the next one still runs. The rollups are refreshed once per run, by their own
stage (scoring leaves them to it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from feedback.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stage:
    name: str  # "score", "rollups", …: how outcomes and messages name it
    label: str  # its Chinese name on screens
    run: Callable[[Engine, Settings], Any]  # returns the stage's result (what the command line prints)


@dataclass(frozen=True)
class StageOutcome:
    name: str
    ok: bool
    seconds: float
    error: str | None = None
    result: Any = None


@dataclass(frozen=True)
class TasksResult:
    summary: Any  # feedback.tasks.rebuild.BuildSummary
    top: list[dict]  # the ten best tasks after the rebuild


@dataclass(frozen=True)
class LedgerResult:
    opened: int  # new 差评 cases


def score_new(engine: Engine, settings: Settings, progress: Callable[[int, int], None] | None = None):
    """Score the records that have no score under the active version (a ScoreRun); the rollups stage follows."""
    from feedback.scoring.score import score_store

    return score_store(engine, settings, progress=progress)


def rebuild_rollups(engine: Engine, settings: Settings):
    """Rebuild the daily rollups the dashboard and reports read (a RefreshResult)."""
    from feedback.stats.rollups import refresh_rollups

    return refresh_rollups(engine)


class Correction(NamedTuple):
    """A stored gold label: its id, and the active scoring version it overrode (None: no version yet)."""

    label_id: int
    version: str | None


def record_correction(conn: Connection, record_id: int, category: str, *, by: str, note: str | None = None,
                      subcategory: str | None = None, given_with: int | None = None) -> Correction:
    """A person's correction of a record (a gold label: a category, or NOT_COMPLAINT), counted at once: it wins
    over the active score, and where that changed the score's category or hidden-complaint flag the record's
    contribution moves between its old and new rollup rows in the caller's transaction
    (``feedback.stats.rollups.apply_correction``: milliseconds; the overview, KPIs and bulletin read the new counts
    without waiting for a batch; a confirmation moves nothing; where the day's rollups disagree with its records,
    the day is rebuilt instead, ~2 s at 10M ratings in PostgreSQL, see docs/performance.md).
    ``given_with``: the gold label whose answer this one shares (the same words answered once on the 待确认
    page; undone with it). Returns the new label's id and the active scoring version it overrode (None: no version
    yet). Raises KeyError for no such record, ``repository.NoComplaintRefused`` for a 不是投诉 of a record that cannot be one."""
    from feedback.scoring import repository as store
    from feedback.stats.rollups import apply_correction

    active = store.active_version(conn)
    version = active["version"] if active else None
    label_id, change = store.add_gold_label(conn, record_id, category, by=by, note=note, version=version,
                                            subcategory=subcategory, given_with=given_with)
    if change is not None:
        apply_correction(conn, change)
    return Correction(label_id, version)


def undo_correction(conn: Connection, label_id: int) -> dict[str, Any]:
    """Take back a person's correction (``repository.undo_gold_label``): the active score gets back what the label
    replaced, the label is deleted, and the record's contribution moves back between its rollup rows in the
    caller's transaction (``apply_correction``, as record_correction: the rollups end as a full rebuild leaves
    them). Returns the undone label (``repository.gold_label``). Raises KeyError for no such label,
    ``repository.UndoRefused`` for one that cannot be undone (not the record's latest, no values kept, the record
    rescored since)."""
    from feedback.scoring import repository as store
    from feedback.stats.rollups import apply_correction

    label = store.gold_label(conn, label_id)
    if label is None:
        raise KeyError(label_id)
    active = store.active_version(conn)
    change = store.undo_gold_label(conn, label_id, active["version"] if active else None)
    if change is not None:
        apply_correction(conn, change)
    return label


def rebuild_task_list(engine: Engine, settings: Settings) -> TasksResult:
    """Rebuild the tasks from the current records and scores, and read the ten best."""
    from feedback.tasks.queries import list_tasks
    from feedback.tasks.rebuild import rebuild_tasks

    summary = rebuild_tasks(engine, settings)
    with engine.connect() as conn:
        top = list_tasks(conn, top=10)
    return TasksResult(summary, top)


def open_ledger_cases(engine: Engine, settings: Settings) -> LedgerResult:
    """Open a rectification case for every 差评 that has none, on the [ledger] deadline rules."""
    from feedback import ledger as cases
    from feedback.clock import local_now

    rules = cases.rules_from_settings(settings.ledger)
    with engine.begin() as conn:
        opened = cases.sync_cases(conn, rules=rules, now=local_now(settings.ingest.timezone), since=None)
    return LedgerResult(opened)


def evaluate_alerts(engine: Engine, settings: Settings):
    """Evaluate the 预警 rules (a CheckResult), or nothing (None) when [alerts] enabled is false."""
    from feedback.alerts.check import check_alerts

    if not settings.alerts.enabled:
        return None
    return check_alerts(engine, settings)


STAGES: tuple[Stage, ...] = (
    Stage("score", "评分", score_new),
    Stage("rollups", "汇总", rebuild_rollups),
    Stage("tasks", "任务", rebuild_task_list),
    Stage("ledger", "台账", open_ledger_cases),
    Stage("alerts", "预警", evaluate_alerts),
)


def stage(name: str) -> Stage:
    """The stage of STAGES called ``name``."""
    for s in STAGES:
        if s.name == name:
            return s
    raise KeyError(name)


def run_stages(engine: Engine, settings: Settings, stages: Iterable[Stage] = STAGES,
               on_result: Callable[[StageOutcome], None] | None = None,
               on_start: Callable[[Stage], None] | None = None) -> list[StageOutcome]:
    """Run each stage once, in order, and never raise: an error (a domain error such as ScoringError, or any
    other) is kept in that stage's outcome and the next stage still runs. ``on_result`` sees each outcome as soon
    as its stage is done (the command line prints it there), ``on_start`` each stage as it starts; an error of
    either callback itself is not caught."""
    outcomes = []
    for s in stages:
        if on_start is not None:
            on_start(s)
        t0 = time.perf_counter()
        try:
            result = s.run(engine, settings)
        except Exception as exc:  # noqa: BLE001 - one stage must not stop the others
            outcome = StageOutcome(s.name, False, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}")
            log.debug("stage %s failed", s.name, exc_info=True)
        else:
            outcome = StageOutcome(s.name, True, time.perf_counter() - t0, result=result)
            log.debug("stage %s: %s", s.name, result)
        outcomes.append(outcome)
        if on_result is not None:
            on_result(outcome)
    return outcomes
