"""The demo office's year (``haocha demo --office``): after the demo city's ratings are loaded, replay what the
staff of a 政务服务管理办公室 would have done, dated when they would have done it.

Every change goes through the domain's own writes (``feedback.ledger``, the alerts check and repository, the tasks
repository) inside ``feedback.clock.simulated``, so history timestamps lie in the demo's past and every rule
(transitions, deadlines, requests) applies as it does for a person. The plan is drawn from the seed and the case
or task id only: the same demo gives the same year. Nothing is dated after ``until`` (the real now by default):
a step that would come later is simply not done yet.

The year: most 差评 cases are verified within a working day, rectified within the deadline, answered, revisited
and closed; some are late, some extended (延期), some ruled 无法整改 or appealed as 差评无效 (most appeals approved);
about a dozen stay stuck past their deadline (the 超期 list an office really has). Alerts are checked week by
week, each handled a few days later except the last fortnight's. The best tasks are accepted, shipped and
verified in the weeks after their first build.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine

from feedback import ledger
from feedback.alerts import queries as alert_queries
from feedback.alerts import repository as alert_repository
from feedback.alerts.check import fire
from feedback.alerts.rules import week_start
from feedback.clock import local_now, simulated
from feedback.ledger.workdays import CalendarRangeError
from feedback.ledger.workdays import add_workdays as _add_workdays
from feedback.tasks import queries as task_queries
from feedback.tasks import repository as task_repository
from feedback.tasks.lifecycle import STATUSES as TASK_STATUSES

STUCK, STUCK_SHARE = 12, 0.03  # cases left past their deadline (at most a dozen, ~3 %): a real 超期 list
STAFF = ("窗口负责人", "综合科", "督查科")
SATISFACTION = (5, 5, 5, 5, 5, 4, 4, 4, 3, 2)  # the citizen's verdict on the fix at 回访


@dataclass(frozen=True)
class OfficeResult:
    cases: dict[str, int] = field(default_factory=dict)  # cases by Chinese status after the year
    overdue: int = 0  # cases past a deadline at ``until``
    steps: int = 0  # ledger changes made
    alerts: int = 0  # alerts stored by the weekly checks
    alerts_closed: int = 0
    tasks: dict[str, int] = field(default_factory=dict)  # worked tasks by Chinese status
    until: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def add_workdays(start: date, n: int, calendar: Any = None) -> date:
    """Working days on the ledger's calendar; past the years the calendar knows (a plan reaching into next
    year), Monday to Friday, so a replay never stops on a missing holiday table."""
    try:
        return _add_workdays(start, n, calendar) if calendar is not None else _add_workdays(start, n)
    except CalendarRangeError:
        d, step, left = start, (1 if n >= 0 else -1), abs(n)
        while left:
            d += timedelta(days=step)
            left -= d.weekday() < 5
        return d


def _rng(seed: int, *key: Any) -> random.Random:
    return random.Random(f"{seed}:" + ":".join(map(str, key)))


def _at(day: date, rng: random.Random, after: datetime | None = None) -> datetime:
    """A working-hours time on ``day`` (09:00-17:30), never before ``after`` (+ a few minutes)."""
    t = datetime.combine(day, time(9)) + timedelta(minutes=rng.randrange(0, 510))
    if after is not None and t <= after:
        t = after + timedelta(minutes=rng.randrange(5, 90))
    return t


def work_the_year(engine: Engine, settings: Any, *, seed: int = 7, until: datetime | None = None,
                  progress: Callable[[str], None] | None = None) -> OfficeResult:
    """Replay the office's year on the loaded demo (cases opened, tasks built); returns what it left behind."""
    until = until or local_now(settings.ingest.timezone)
    say = progress or (lambda _msg: None)
    steps = _work_ledger(engine, settings, seed, until, say)
    alerts, closed = _check_alerts_weekly(engine, settings, seed, until, say)
    tasks = _work_tasks(engine, seed, until, say)
    with engine.connect() as conn:
        cases = ledger.list_cases(conn, now=until)
    return OfficeResult(cases=dict(Counter(cases["status_name"])), overdue=int(cases["overdue"].notna().sum()),
                        steps=steps, alerts=alerts, alerts_closed=closed, tasks=tasks, until=until.isoformat(sep=" "))


# ---------------------------------------------------------------- ledger

def _case_plan(case: Any, rng: random.Random, calendar: Any, stuck: bool) -> list[tuple[date, str, dict]]:
    """The dated steps of one case: (day, kind, arguments); kind is "status", "request" or "decide"."""
    opened = case.opened_at.date()
    same_day = case.opened_at.hour < 15 and rng.random() < 0.5
    verify = opened if same_day else add_workdays(opened, 1 if rng.random() < 0.93 else rng.randint(2, 3), calendar)
    who = rng.choice(STAFF[:2])
    if stuck:  # verified (or not) and then forgotten: overdue on screens and in the bulletin
        return [] if rng.random() < 0.35 else [(verify, "status", dict(status="rectifying", by=who,
                                                                      note="已联系评价人，核实属实"))]
    u = rng.random()
    if u < 0.04:  # 差评无效 appeal: most approved, some rejected (then worked as usual)
        approve = rng.random() < 0.7
        out = [(verify, "request", dict(type="void", by=who, reason="评价人来电称误点“非常不满意”，有通话录音")),
               (add_workdays(verify, 2, calendar), "decide", dict(approve=approve, by="督查科",
                                                                  note="核实属实，认定误评" if approve else
                                                                  "录音不能证明误评，驳回"))]
        return out if approve else out + _main_line(case, add_workdays(verify, 2, calendar), rng, calendar, who)
    if u < 0.07:  # 无法整改: no legal basis for what the citizen asked; explained and answered
        decided = add_workdays(verify, 2, calendar)
        return [(verify, "request", dict(type="cannot_fix", by=who, reason="诉求超出法定办理条件，已作解释说明")),
                (decided, "decide", dict(approve=True, by="督查科", note="同意按解释说明办结")),
                *_after_fix(decided, rng, calendar, who)]
    if u < 0.15:  # 延期: a complex case, extended once, then fixed within the new deadline
        ext = add_workdays(verify, 1, calendar)
        fixed = add_workdays(case.rectify_due, rng.randint(1, 6), calendar)
        return [(verify, "status", dict(status="rectifying", by=who, note="已联系评价人，需协调相关部门")),
                (ext, "request", dict(type="extend", by=who, reason="需与系统厂商共同整改")),
                (add_workdays(ext, 1, calendar), "decide", dict(approve=True, by="督查科", note=None)),
                (fixed, "status", dict(status="rectified", by=who, note="系统问题已修复")),
                *_after_fix(fixed, rng, calendar, who)]
    return _main_line(case, verify, rng, calendar, who)


def _main_line(case: Any, verify: date, rng: random.Random, calendar: Any, who: str) -> list[tuple[date, str, dict]]:
    if rng.random() < 0.2:  # 立行立改: fixed on the spot at the first contact
        return [(verify, "status", dict(status="rectified", by=who, note="立行立改，已当场解决")),
                *_after_fix(verify, rng, calendar, who)]
    late = rng.random() < 0.08
    fixed = (add_workdays(case.rectify_due, rng.randint(1, 4), calendar) if late else
             max(verify, add_workdays(case.rectify_due, -rng.randint(0, 3), calendar)))
    return [(verify, "status", dict(status="rectifying", by=who, note="已联系评价人，核实属实")),
            (fixed, "status", dict(status="rectified", by=who, note=rng.choice(
                ("已向窗口人员通报并培训", "已补充办事指南材料样本", "已调整窗口排班", "已督促承办科室办结")))),
            *_after_fix(fixed, rng, calendar, who)]


def _after_fix(day: date, rng: random.Random, calendar: Any, who: str) -> list[tuple[date, str, dict]]:
    replied = add_workdays(day, rng.randint(0, 1), calendar)
    revisited = add_workdays(replied, rng.randint(1, 3), calendar)
    return [(replied, "status", dict(status="replied", by=who, note="已向评价人反馈整改情况")),
            (revisited, "status", dict(status="revisited", by="回访专员", note="电话回访",
                                       satisfaction=rng.choice(SATISFACTION))),
            (add_workdays(revisited, rng.randint(0, 2), calendar), "status", dict(status="closed", by="督查科",
                                                                                   note=None))]


def _work_ledger(engine: Engine, settings: Any, seed: int, until: datetime, say: Callable[[str], None]) -> int:
    rules = ledger.rules_from_settings(settings.ledger)
    calendar = rules["default"].calendar
    with engine.connect() as conn:
        cases = ledger.list_cases(conn, now=until)
    cases = cases[cases["status"] == "pending_verify"].sort_values(["opened_at", "case_id"])
    # the stuck few (a dozen on the default demo): drawn among cases whose deadline had passed a month before ``until``
    old = [int(c) for c in cases.loc[cases["rectify_due"] < (until - timedelta(days=30)).date(), "case_id"]]
    stuck = set(_rng(seed, "stuck").sample(old, min(STUCK, max(1, round(STUCK_SHARE * len(old))), len(old))))
    done = 0
    with engine.begin() as conn:
        for n, case in enumerate(cases.itertuples(index=False), 1):
            rng = _rng(seed, "case", case.case_id)
            last: datetime | None = case.opened_at.to_pydatetime()
            pending: int | None = None
            for day, kind, args in _case_plan(case, rng, calendar, case.case_id in stuck):
                at = _at(day, rng, last)
                if at > until:
                    break
                with simulated(at):
                    if kind == "status":
                        ledger.set_status(conn, int(case.case_id), **args)
                    elif kind == "request":
                        pending = ledger.request(conn, int(case.case_id), args.pop("type"), **args)
                    else:
                        ledger.decide(conn, pending, rules=rules, **args)
                last, done = at, done + 1
            if n % 200 == 0 or n == len(cases):
                say(f"台账 {n:,}/{len(cases):,} 件（{n / max(len(cases), 1):.0%}）")
    return done


# ---------------------------------------------------------------- alerts

def _check_alerts_weekly(engine: Engine, settings: Any, seed: int, until: datetime,
                         say: Callable[[str], None]) -> tuple[int, int]:
    """The alert rules as the office's Monday-morning check would have raised them, week by week: evaluated once
    over the whole year (one read instead of one per week; each week's figures against the weeks before it, as a
    weekly check sees them), then each week's alerts stored on the Monday after it; each handled (closed) a few
    days later, except the last two weeks' ones."""
    if not settings.alerts.enabled:
        return 0, 0
    with engine.connect() as conn:
        span = alert_queries.data_span(conn)
    if span is None:
        return 0, 0
    first, last = span
    weeks = (week_start(last) - week_start(first)).days // 7 + 1
    _, fired = fire(engine, settings, dataclasses.replace(settings.alerts, lookback_weeks=weeks))
    by_week: dict[date, list] = {}
    for f in fired:
        by_week.setdefault(f.period_start, []).append(f)
    stored = closed = 0
    for monday, group in sorted(by_week.items()):
        checked_at = datetime.combine(monday + timedelta(weeks=1), time(8, 30))
        if checked_at > until:
            break
        with simulated(checked_at), engine.begin() as conn:
            new_ids, _ = alert_repository.store(conn, group)
        stored += len(new_ids)
        for alert_id in new_ids:
            if monday >= last - timedelta(days=14):
                continue  # the latest ones are still open on the 预警 page
            rng = _rng(seed, "alert", alert_id)
            at = checked_at + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
            if at <= until:
                with simulated(at), engine.begin() as conn:
                    alert_repository.set_status(conn, alert_id, "closed", by=rng.choice(STAFF[1:]))
                closed += 1
    say(f"预警 {len(by_week)} 周有预警，共 {stored} 条（已处理 {closed} 条）")
    return stored, closed


# ---------------------------------------------------------------- tasks

def _work_tasks(engine: Engine, seed: int, until: datetime, say: Callable[[str], None]) -> dict[str, int]:
    """The ten best tasks taken up in the weeks after their build: accepted, most worked on, some shipped and
    verified, one dismissed with a reason."""
    with engine.connect() as conn:
        tasks = task_queries.list_tasks(conn, top=10)
    owners = ("陈静", "刘洋", "赵敏", "周强", "李娜")
    worked: Counter[str] = Counter()
    with engine.begin() as conn:
        for i, t in enumerate(tasks):
            if t["status"] != "new":
                continue
            rng = _rng(seed, "task", t["task_key"])
            built = _task_built(t)
            day = add_workdays(built.date(), 1 + i % 3)
            plan = [(day, dict(status="accepted", owner=owners[i % len(owners)],
                               due=add_workdays(day, 20), note="已分派责任科室"))]
            if i == 9:
                plan = [(day, dict(status="dismissed", note="属政策性诉求，非服务问题，已转政策研究部门"))]
            elif i % 4 != 3:
                started = add_workdays(day, rng.randint(1, 3))
                plan.append((started, dict(status="in_progress", note="已制定整改方案")))
                if i % 2 == 0:
                    shipped = add_workdays(started, rng.randint(5, 12))
                    plan.append((shipped, dict(status="shipped", note="整改措施已上线")))
                    if i % 4 == 0:
                        plan.append((add_workdays(shipped, 10), dict(status="verified",
                                                                      note="上线后同类投诉明显下降，确认有效")))
            last = built
            for d, change in plan:
                at = _at(d, rng, last)
                if at > until:
                    break
                with simulated(at):
                    task_repository.change_task(conn, t["id"], by="王经理" if i % 2 else "综合科", **change)
                last = at
            worked[TASK_STATUSES[task_queries.get_task(conn, t["id"])["status"]]] += 1
    say(f"任务 {len(tasks)} 项已办理")
    return dict(worked)


def _task_built(task: dict) -> datetime:
    created = task.get("created_at")
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    return created or local_now()
