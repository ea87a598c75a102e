"""One conversion: check the database (PostgreSQL, the citus extension, the schema ready for distribution), plan
what is left to convert, and run it, or only say what would run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from feedback.citus import queries, repository
from feedback.citus.repository import Statement
from feedback.models import Base
from feedback.models.distribution import Plan, conversion_plan, metadata_foreign_keys


class CitusError(Exception):
    """The database cannot be converted; the message (in Chinese) says why and what to do."""


@dataclass(frozen=True)
class Conversion:
    plan: Plan
    statements: list[Statement]
    citus_version: str | None  # None: the extension is not created (only when planning)
    workers: int | None
    dry_run: bool = True
    ran: int = 0  # statements run

    def as_json(self) -> dict[str, Any]:
        p = self.plan
        return {
            "citus_version": self.citus_version, "workers": self.workers, "dry_run": self.dry_run,
            "statements": [s.render() for s in self.statements], "ran": self.ran,
            "dropped_foreign_keys": [fk.name for fk in p.drop],
            "recreated_foreign_keys": [fk.name for fk in p.attach],
            "reference_tables": list(p.reference),
            "distributed_tables": {t: {"column": c, "colocate_with": w} for t, c, w in p.distributed},
            "already_converted": list(p.done), "coordinator_only": list(p.local), "problems": list(p.problems),
        }


def _not_citus(engine: Engine) -> str:
    return (f"Citus 转换只适用于 PostgreSQL：当前数据库是 {engine.dialect.name}。"
            "请把 [database] url（或 HAOCHA_DATABASE_URL）指向 Citus 协调节点上的数据库")


def plan(engine: Engine, *, require_citus: bool = True) -> Conversion:
    """Read the catalogs and plan; CitusError when the database is not PostgreSQL, or (``require_citus``) has no
    citus extension."""
    if engine.dialect.name != "postgresql":
        raise CitusError(_not_citus(engine))
    with engine.connect() as conn:
        version = queries.citus_version(conn)
        if version is None and require_citus:
            if queries.citus_available(conn):
                raise CitusError("数据库尚未创建 citus 扩展：在协调节点上以超级用户执行 CREATE EXTENSION citus;，"
                                 "用 SELECT citus_add_node('主机', 端口); 加入各工作节点，然后重新运行")
            raise CitusError("此 PostgreSQL 服务器没有安装 Citus 扩展：在协调节点和每个工作节点安装 Citus，"
                             "在 postgresql.conf 中设置 shared_preload_libraries = 'citus' 并重启，"
                             "再执行 CREATE EXTENSION citus;")
        the_plan = conversion_plan(
            Base.metadata.tables, queries.table_names(conn), queries.foreign_keys(conn),
            metadata_foreign_keys(Base.metadata), queries.unique_keys(conn),
            queries.citus_tables(conn) if version is not None else {})
        workers = queries.worker_count(conn) if version is not None else None
    return Conversion(the_plan, repository.statements(the_plan), version, workers)


def convert(engine: Engine, *, dry_run: bool = False,
            before: Callable[[Statement], None] | None = None) -> Conversion:
    """Convert the database (``dry_run``: only plan; the citus extension is then not required). A plan with
    problems runs nothing and raises CitusError listing them."""
    result = plan(engine, require_citus=not dry_run)
    if dry_run:
        return result
    if result.plan.problems:
        raise CitusError("数据库结构还不能分布，未做任何修改：\n  " + "\n  ".join(result.plan.problems))
    ran = repository.run(engine, result.statements, before)
    return Conversion(result.plan, result.statements, result.citus_version, result.workers, dry_run=False, ran=ran)
