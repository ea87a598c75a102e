"""The statements of a Citus conversion, built from a plan (a pure function: no connection needed) and run one by
one. Table and column names go to Citus's functions as bound parameters; the two DDL forms that take no
parameters (dropping and adding a foreign key) quote every identifier."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import TextClause

from feedback.models.distribution import ForeignKey, Plan

_DIALECT = postgresql.dialect()
_ACTIONS = {"NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"}


def quote(name: str) -> str:
    """An identifier, always double-quoted (quotes inside doubled)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Statement:
    """One step: what it does (in Chinese, for the operator) and its SQL."""

    purpose: str
    sql: TextClause

    def render(self) -> str:
        """The SQL with its parameters written in, as psql would take it."""
        return str(self.sql.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True})) + ";"


def _columns(names: Iterable[str]) -> str:
    return ", ".join(quote(c) for c in names)


def drop_foreign_key(fk: ForeignKey) -> TextClause:
    return text(f"ALTER TABLE {quote(fk.table)} DROP CONSTRAINT {quote(fk.name)}")


def add_foreign_key(fk: ForeignKey) -> TextClause:
    if fk.on_delete not in _ACTIONS or fk.on_update not in _ACTIONS:
        raise ValueError(f"unknown referential action in {fk}")
    return text(f"ALTER TABLE {quote(fk.table)} ADD CONSTRAINT {quote(fk.name)} FOREIGN KEY ({_columns(fk.columns)}) "
                f"REFERENCES {quote(fk.referred_table)} ({_columns(fk.referred_columns)}) "
                f"ON DELETE {fk.on_delete} ON UPDATE {fk.on_update}")


def create_reference_table(table: str) -> TextClause:
    return text("SELECT create_reference_table(CAST(:table AS regclass))").bindparams(table=quote(table))


def create_distributed_table(table: str, column: str, colocate_with: str) -> TextClause:
    return text("SELECT create_distributed_table(CAST(:table AS regclass), :column, colocate_with => :colocate)"
                ).bindparams(table=quote(table), column=column, colocate=colocate_with)


def statements(plan: Plan) -> list[Statement]:
    """The plan's statements in the order they must run."""
    out = [Statement(f"删除 Citus 不支持的外键（参考表 → 分布表）{fk}", drop_foreign_key(fk)) for fk in plan.drop]
    out += [Statement(f"暂时删除外键（转换后重建）{fk}", drop_foreign_key(fk)) for fk in plan.detach]
    out += [Statement(f"参考表 {t}", create_reference_table(t)) for t in plan.reference]
    out += [Statement(f"分布表 {t}（分布列 {c}，" + ("新建共置组）" if with_ == "none" else f"与 {with_} 共置）"),
                      create_distributed_table(t, c, with_)) for t, c, with_ in plan.distributed]
    out += [Statement(f"重建外键 {fk}", add_foreign_key(fk)) for fk in plan.attach]
    return out


def run(engine: Engine, steps: Iterable[Statement], before: Callable[[Statement], None] | None = None) -> int:
    """Run each statement in a transaction of its own (Citus copies the data of each table over its own
    connections; a failure leaves the earlier steps done, and running the conversion again plans what is left).
    Returns the number run."""
    n = 0
    for step in steps:
        if before is not None:
            before(step)
        with engine.begin() as conn:
            conn.execute(step.sql)
        n += 1
    return n
