"""The nation profile's distribution plan on Citus, in one place: which tables are sharded and on which column,
which are reference tables (a copy on every node), and the pure rules and planning both the converter
(``feedback.citus``) and the rule test (``tests/feedback/test_distribution_rules.py``) apply.

Citus's rules that shape the plan: a unique constraint (primary keys included) of a distributed table must
contain its distribution column; a foreign key between two distributed tables must join their distribution
columns (the tables co-located); a reference table may not have a foreign key to a distributed table (such keys
are dropped: Citus refuses them); and a table that Citus turned into a "Citus local table" keeps no foreign key to
a distributed table, so every foreign key touching a table still to be distributed is dropped first and added
again once all tables are converted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import MetaData

ANCHOR = "records"  # the co-location group's first table; the others are co-located with it
DISTRIBUTED: dict[str, str] = {  # table → distribution column; ANCHOR first
    "records": "id",
    "scores": "record_id",
    "task_records": "record_id",
}
# Tables outside the product's metadata that stay plain tables on the coordinator.
COORDINATOR_ONLY = ("alembic_version",)
COORDINATOR_ONLY_PREFIXES = ("procrastinate_",)  # the job queue's tables, present when [jobs] queue is used

CITUS_REFERENCE, CITUS_DISTRIBUTED = "reference", "distributed"  # citus_tables.citus_table_type


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: str
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"  # NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT
    on_update: str = "NO ACTION"

    @property
    def signature(self) -> tuple:
        """What the key is, whatever its name."""
        return self.table, self.columns, self.referred_table, self.referred_columns

    def __str__(self) -> str:
        return (f"{self.table}.{self.name} ({', '.join(self.columns)}) → {self.referred_table} "
                f"({', '.join(self.referred_columns)})")


@dataclass(frozen=True)
class UniqueKey:
    """A unique index, primary key or exclusion constraint; ``columns`` None for an expression."""

    name: str
    table: str
    columns: tuple[str | None, ...]

    def __str__(self) -> str:
        return f"{self.table}.{self.name} ({', '.join(c or '<表达式>' for c in self.columns)})"


def is_distributed(table: str) -> bool:
    return table in DISTRIBUTED


def is_coordinator_only(table: str) -> bool:
    return table in COORDINATOR_ONLY or table.startswith(COORDINATOR_ONLY_PREFIXES)


def reference_tables(metadata: MetaData) -> list[str]:
    """Every table of ``metadata`` that is not distributed, by name."""
    return sorted(name for name in metadata.tables if not is_distributed(name))


def metadata_foreign_keys(metadata: MetaData) -> list[ForeignKey]:
    """The foreign keys the models declare (named by the naming convention, as the migrations create them)."""
    out = []
    for table in metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            out.append(ForeignKey(
                name=str(fk.name), table=table.name, columns=tuple(c.name for c in fk.columns),
                referred_table=fk.referred_table.name, referred_columns=tuple(e.column.name for e in fk.elements),
                on_delete=(fk.ondelete or "NO ACTION").upper(), on_update=(fk.onupdate or "NO ACTION").upper()))
    return out


def on_distribution_columns(fk: ForeignKey) -> bool:
    """A key between two distributed tables that joins exactly their distribution columns."""
    return (is_distributed(fk.table) and is_distributed(fk.referred_table)
            and fk.columns == (DISTRIBUTED[fk.table],) and fk.referred_columns == (DISTRIBUTED[fk.referred_table],))


def refused(fk: ForeignKey) -> bool:
    """A key Citus refuses whatever the order: from a reference (or local) table to a distributed one."""
    return is_distributed(fk.referred_table) and not is_distributed(fk.table)


def misplaced(fk: ForeignKey) -> bool:
    """A key between two distributed tables that is not on their distribution columns (Citus refuses it; the
    schema must change, not the conversion)."""
    return is_distributed(fk.table) and is_distributed(fk.referred_table) and not on_distribution_columns(fk)


def refused_foreign_keys(fks: Iterable[ForeignKey]) -> list[ForeignKey]:
    return [fk for fk in fks if refused(fk)]


def misplaced_foreign_keys(fks: Iterable[ForeignKey]) -> list[ForeignKey]:
    return [fk for fk in fks if misplaced(fk)]


def unique_keys_without_distribution_column(keys: Iterable[UniqueKey]) -> list[UniqueKey]:
    """Unique keys of distributed tables that lack the table's distribution column (Citus cannot enforce them)."""
    return [k for k in keys if is_distributed(k.table) and DISTRIBUTED[k.table] not in k.columns]


def reference_order(tables: Iterable[str], fks: Iterable[ForeignKey]) -> list[str]:
    """The reference tables, each after the tables it refers to (ties by name; a cycle keeps name order)."""
    pending = set(tables)
    needs = {t: {fk.referred_table for fk in fks if fk.table == t and fk.referred_table in pending} - {t}
             for t in pending}
    out: list[str] = []
    while pending:
        ready = sorted(t for t in pending if not needs[t] & pending) or sorted(pending)[:1]
        out.append(ready[0])
        pending.discard(ready[0])
    return out


@dataclass(frozen=True)
class Plan:
    """What a conversion does, in this order: ``drop`` (refused keys, gone for good) and ``detach`` (keys added
    again at the end), then ``reference`` tables, then ``distributed`` tables ((table, column, colocate_with);
    the anchor starts its own group), then ``attach``. ``problems`` (in Chinese) stop a conversion."""

    drop: tuple[ForeignKey, ...] = ()
    detach: tuple[ForeignKey, ...] = ()
    reference: tuple[str, ...] = ()
    distributed: tuple[tuple[str, str, str], ...] = ()
    attach: tuple[ForeignKey, ...] = ()
    done: tuple[str, ...] = ()  # tables already converted as planned
    local: tuple[str, ...] = ()  # tables that stay on the coordinator
    problems: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.drop or self.detach or self.reference or self.distributed or self.attach)


def conversion_plan(tables: Iterable[str], database_tables: Iterable[str], database_fks: Iterable[ForeignKey],
                    model_fks: Iterable[ForeignKey], unique_keys: Iterable[UniqueKey] = (),
                    converted: Mapping[str, tuple[str, str | None]] | None = None) -> Plan:
    """Plan the conversion of the product's ``tables`` (the metadata's) on a database holding
    ``database_tables``, ``database_fks`` and ``unique_keys``; ``model_fks`` are the keys the schema should have
    (those touching a distributed table are added back when missing, so a run that stopped half-way is finished
    by running again); ``converted``: table → (citus_table_type, distribution column) of the Citus tables."""
    tables, present = list(tables), set(database_tables)
    database_fks, model_fks = list(database_fks), list(model_fks)
    converted = dict(converted or {})
    problems = [f"数据库缺少表 {t}：先运行 haocha init 升级到最新结构" for t in tables if t not in present]
    problems += [f"唯一约束不含分布列 {DISTRIBUTED[k.table]}：{k}" for k in unique_keys_without_distribution_column(unique_keys)]
    problems += [f"分布表之间的外键不在分布列上：{fk}" for fk in misplaced_foreign_keys(database_fks)]
    known = set(tables)
    local = sorted(t for t in present - known)
    problems += [f"外键连接产品表与未知表：{fk}" for fk in database_fks
                 if (fk.table in known) != (fk.referred_table in known)]

    def done(t: str) -> bool:
        kind, column = converted.get(t, (None, None))
        return kind == (CITUS_DISTRIBUTED if is_distributed(t) else CITUS_REFERENCE) and \
            (not is_distributed(t) or column == DISTRIBUTED[t])

    for t, (kind, column) in converted.items():
        if t in known and kind in (CITUS_REFERENCE, CITUS_DISTRIBUTED) and not done(t):
            want = f"按 {DISTRIBUTED[t]} 分布" if is_distributed(t) else "参考表"
            problems.append(f"表 {t} 已是 Citus {kind} 表（分布列 {column or '无'}），计划为{want}：请先撤销（undistribute_table）")
    drop = refused_foreign_keys(database_fks)
    pending_distributed = [t for t in DISTRIBUTED if t in known and not done(t)]
    detach = [fk for fk in database_fks if not refused(fk)
              and (fk.table in pending_distributed or fk.referred_table in pending_distributed)]
    kept = [fk for fk in database_fks if fk not in drop and fk not in detach]
    attach = [fk for fk in model_fks if (is_distributed(fk.table) or is_distributed(fk.referred_table))
              and not refused(fk) and not misplaced(fk) and fk.signature not in {k.signature for k in kept}]
    reference = [t for t in reference_order([t for t in tables if not is_distributed(t)], kept) if not done(t)]
    distributed = [(t, DISTRIBUTED[t], "none" if t == ANCHOR else ANCHOR) for t in pending_distributed]
    return Plan(drop=tuple(drop), detach=tuple(detach), reference=tuple(reference),
                distributed=tuple(distributed), attach=tuple(attach), done=tuple(t for t in tables if done(t)),
                local=tuple(local), problems=tuple(problems))
