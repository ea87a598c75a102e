"""Which tasks a list shows: the task filters (type, status, category, department, search, overdue) shared by the
dashboard page, the JSON API, the dashboard's exports and ``haocha tasks export`` (pure; the SQL is in
``feedback.tasks.queries.task_conditions``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from feedback.filters import FilterError
from feedback.tasks.lifecycle import STATUSES

# Task types of the list: 政务服务 tasks (a service or a hall, from ratings) and 12345 topics (from messages) are
# ranked apart, because a city's message topics would otherwise swamp the service tasks an office can act on.
TASK_TYPES: dict[str, tuple[str, ...] | None] = {"gov": ("service", "hall"), "topic": ("topic",), "all": None}
TYPE_NAMES: dict[str, str] = {"gov": "政务服务", "topic": "12345 话题", "all": "全部"}
DEFAULT_TYPE = "gov"
NO_CATEGORY = "none"  # filter value of tasks without a category (topics from messages)
MAX_QUERY = 100  # characters of the search text


def type_of(kind: str | None) -> str:
    """The list type (gov or topic) a task kind belongs to."""
    return "topic" if kind == "topic" else "gov"


@dataclass(frozen=True)
class TaskFilters:
    """The task list's filters, with their URL form (``type``, ``status``, ``category``, ``dept``, ``q``,
    ``inactive``, ``overdue``). ``as_of`` is the day on which a task's due date is judged (``overdue`` keeps the
    tasks past it with their work pending, and every listed task carries its ``overdue_days``); None: today by
    the storage clock, as a due date is checked when it is set."""

    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    depts: tuple[str, ...] = ()
    include_inactive: bool = False
    task_type: str = DEFAULT_TYPE
    q: str = ""
    overdue: bool = False
    as_of: date | None = None

    @classmethod
    def from_args(cls, args: Any, as_of: date | None = None) -> TaskFilters:
        """From URL arguments (anything with ``get`` and ``getlist``); FilterError says what is wrong."""
        def many(name: str) -> tuple[str, ...]:
            values = [p.strip() for v in args.getlist(name) for p in str(v).split(",")]
            return tuple(dict.fromkeys(v for v in values if v))

        statuses = many("status")
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            raise FilterError(f"状态“{'、'.join(b[:20] for b in bad)}”无效，可选：{'、'.join(STATUSES.values())}")
        task_type = (args.get("type") or DEFAULT_TYPE).strip()
        if task_type not in TASK_TYPES:
            raise FilterError(f"任务类型“{task_type[:20]}”无效，可选 gov（政务服务）、topic（12345 话题）或 all（全部）")
        q = " ".join(str(args.get("q") or "").split())
        if len(q) > MAX_QUERY:
            raise FilterError(f"搜索文字最长 {MAX_QUERY} 个字符")
        return cls(statuses, many("category"), many("dept"), args.get("inactive") in ("1", "true", "on"),
                   task_type, q, args.get("overdue") in ("1", "true", "on"), as_of)

    def to_args(self) -> list[tuple[str, str]]:
        out = [("type", self.task_type)] if self.task_type != DEFAULT_TYPE else []
        out += [("status", s) for s in self.statuses] + [("category", c) for c in self.categories]
        out += [("dept", d) for d in self.depts] + ([("q", self.q)] if self.q else [])
        return out + ([("inactive", "1")] if self.include_inactive else []) + ([("overdue", "1")] if self.overdue else [])

    def with_type(self, task_type: str) -> TaskFilters:
        return dataclasses.replace(self, task_type=task_type)

    def scoped(self, dept: str | None) -> TaskFilters:
        return self if dept is None else dataclasses.replace(self, depts=(dept,))

    def kinds(self) -> tuple[str, ...] | None:
        """The task kinds of the chosen type (None: every kind)."""
        return TASK_TYPES[self.task_type]
