"""The Citus conversion plan, without Citus: from the models and on a database migrated to head, every product
table is converted exactly once, the distributed ones co-located with records, the foreign keys Citus refuses
dropped, and the order one Citus accepts (checked step by step by ``replay``, which applies Citus's rules)."""

from __future__ import annotations

import pytest

from feedback.citus import conversion
from feedback.citus.repository import statements
from feedback.models import DISTRIBUTED, Base, reference_tables
from feedback.models.distribution import (
    ANCHOR,
    ForeignKey,
    Plan,
    UniqueKey,
    conversion_plan,
    is_distributed,
    metadata_foreign_keys,
    on_distribution_columns,
)

MODEL_FKS = metadata_foreign_keys(Base.metadata)
TABLES = list(Base.metadata.tables)
REFUSED = {("gold_labels", "records"), ("ledger_cases", "records")}  # reference table → distributed table


def replay(plan: Plan, fks: list[ForeignKey]) -> list[str]:
    """Run the plan on a model of Citus's rules; what Citus would refuse (or silently do otherwise), in order."""
    present, kind, errors = list(fks), {}, []
    for fk in (*plan.drop, *plan.detach):
        present.remove(fk)
    for t in plan.reference:
        for fk in present:
            other = fk.referred_table if fk.table == t else fk.table if fk.referred_table == t else None
            if other is None or other == t:
                continue
            if is_distributed(other):
                errors.append(f"reference {t}: key {fk.name} would make {other} a Citus local table")
            elif fk.table == t and kind.get(other) != "reference":
                errors.append(f"reference {t} before the table it refers to, {other}")
        kind[t] = "reference"
    for t, column, colocate_with in plan.distributed:
        if column != DISTRIBUTED[t]:
            errors.append(f"{t} distributed on {column}")
        if colocate_with != "none" and kind.get(colocate_with) != "distributed":
            errors.append(f"{t} co-located with {colocate_with}, not distributed yet")
        for fk in present:
            if t not in (fk.table, fk.referred_table):
                continue
            allowed = (fk.table == t and kind.get(fk.referred_table) == "reference") or (
                on_distribution_columns(fk) and kind.get(fk.referred_table if fk.table == t else fk.table)
                == "distributed")
            if not allowed:
                errors.append(f"distributing {t} with key {fk.name}")
        kind[t] = "distributed"
    for fk in plan.attach:
        allowed = kind.get(fk.table) == "distributed" and (
            kind.get(fk.referred_table) == "reference" or on_distribution_columns(fk))
        if not allowed:
            errors.append(f"adding key {fk.name}")
        present.append(fk)
    missing = [t for t in TABLES if t not in kind and t not in plan.done]
    return errors + [f"{t} not converted" for t in missing]


def check(plan: Plan, fks: list[ForeignKey]) -> None:
    converted = [*plan.reference, *(t for t, _, _ in plan.distributed)]
    assert sorted(converted) == sorted(TABLES), "every product table converted exactly once"
    assert list(plan.reference) and set(plan.reference) == set(reference_tables(Base.metadata))
    assert plan.distributed == (("records", "id", "none"), ("scores", "record_id", ANCHOR),
                                ("task_records", "record_id", ANCHOR))
    assert {(fk.table, fk.referred_table) for fk in plan.drop} == REFUSED
    # every key of the schema survives but the refused ones
    kept = {fk.signature for fk in fks} - {fk.signature for fk in (*plan.drop, *plan.detach)}
    assert kept | {fk.signature for fk in plan.attach} == {fk.signature for fk in MODEL_FKS
                                                            if (fk.table, fk.referred_table) not in REFUSED}
    assert replay(plan, fks) == []


def test_the_plan_from_the_models():
    check(conversion_plan(TABLES, TABLES, MODEL_FKS, MODEL_FKS), MODEL_FKS)


def test_the_plan_on_a_migrated_database(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the Citus plan reads PostgreSQL's catalogs")
    with engine.connect() as conn:
        from feedback.citus import queries

        fks = queries.foreign_keys(conn)
    result = conversion.plan(engine, require_citus=False)
    check(result.plan, fks)
    assert result.plan.local == ("alembic_version",)
    assert result.citus_version is None and result.workers is None
    assert len(result.statements) == (len(result.plan.drop) + len(result.plan.detach) + len(result.plan.reference)
                                      + len(result.plan.distributed) + len(result.plan.attach))
    rendered = "\n".join(s.render() for s in result.statements)
    for t in reference_tables(Base.metadata):
        assert rendered.count(f"create_reference_table(CAST('\"{t}\"' AS regclass))") == 1
    assert "create_distributed_table(CAST('\"scores\"' AS regclass), 'record_id', colocate_with => 'records')" \
        in rendered


def test_a_conversion_that_stopped_is_finished_by_running_again():
    """records and the reference tables converted, the keys of records dropped and not added back yet."""
    dropped = [fk for fk in MODEL_FKS if is_distributed(fk.table) or is_distributed(fk.referred_table)]
    left = [fk for fk in MODEL_FKS if fk not in dropped]
    converted = {t: ("reference", None) for t in reference_tables(Base.metadata)} | {"records": ("distributed", "id")}
    plan = conversion_plan(TABLES, TABLES, left, MODEL_FKS, converted=converted)
    assert plan.reference == () and plan.drop == () and plan.detach == ()
    assert [t for t, _, _ in plan.distributed] == ["scores", "task_records"]
    assert {fk.signature for fk in plan.attach} == {fk.signature for fk in dropped} - {
        fk.signature for fk in dropped if (fk.table, fk.referred_table) in REFUSED}
    assert "records" in plan.done and not plan.problems
    # all done: nothing left
    done = converted | {"scores": ("distributed", "record_id"), "task_records": ("distributed", "record_id")}
    kept = [fk for fk in MODEL_FKS if (fk.table, fk.referred_table) not in REFUSED]
    assert conversion_plan(TABLES, TABLES, kept, MODEL_FKS, converted=done).empty


def test_what_stops_a_conversion_is_said():
    fks = [*MODEL_FKS, ForeignKey("fk_x", "task_records", ("task_id",), "scores", ("record_id",))]
    keys = [UniqueKey("uq_records_key", "records", ("source_system", "record_key")),
            UniqueKey("pk_records", "records", ("id",)), UniqueKey("uq_tasks_task_key", "tasks", ("task_key",))]
    plan = conversion_plan(TABLES, [t for t in TABLES if t != "alerts"] + ["procrastinate_jobs"], fks, MODEL_FKS,
                           keys, {"scores": ("distributed", "id")})
    assert plan.problems == (
        "数据库缺少表 alerts：先运行 haocha init 升级到最新结构",
        "唯一约束不含分布列 id：records.uq_records_key (source_system, record_key)",
        "分布表之间的外键不在分布列上：task_records.fk_x (task_id) → scores (record_id)",
        "表 scores 已是 Citus distributed 表（分布列 id），计划为按 record_id 分布：请先撤销（undistribute_table）",
    )
    assert plan.local == ("procrastinate_jobs",)


def test_statements_quote_and_bind_names():
    fk = ForeignKey('fk "odd"', "scores", ("record_id",), "records", ("id",), on_delete="CASCADE")
    plan = Plan(drop=(fk,), reference=("batches",), distributed=(("records", "id", "none"),), attach=(fk,))
    assert [s.render() for s in statements(plan)] == [
        'ALTER TABLE "scores" DROP CONSTRAINT "fk ""odd""";',
        "SELECT create_reference_table(CAST('\"batches\"' AS regclass));",
        "SELECT create_distributed_table(CAST('\"records\"' AS regclass), 'id', colocate_with => 'none');",
        'ALTER TABLE "scores" ADD CONSTRAINT "fk ""odd""" FOREIGN KEY ("record_id") REFERENCES "records" ("id") '
        "ON DELETE CASCADE ON UPDATE NO ACTION;",
    ]
    assert statements(plan)[1].sql.compile().params == {"table": '"batches"'}


def test_replay_finds_an_order_citus_refuses():
    good = conversion_plan(TABLES, TABLES, MODEL_FKS, MODEL_FKS)
    naive = Plan(drop=good.drop, reference=tuple(sorted(good.reference)), distributed=good.distributed)
    errors = replay(naive, MODEL_FKS)
    assert "reference batches: key fk_records_batch_id_batches would make records a Citus local table" in errors
    assert "reference task_events before the table it refers to, tasks" in errors
    backwards = Plan(drop=good.drop, detach=good.detach, reference=good.reference,
                     distributed=good.distributed[::-1], attach=good.attach)
    assert "task_records co-located with records, not distributed yet" in replay(backwards, MODEL_FKS)
