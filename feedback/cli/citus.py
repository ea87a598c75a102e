"""``haocha citus convert``: turn a migrated database on a Citus coordinator into distributed and reference tables
(the plan of ``feedback.models.distribution``), or print the statements that would run."""

from __future__ import annotations

import json

import click

from feedback.cli.context import AppContext, fail, pass_app


@click.group("citus")
def citus_group() -> None:
    """The nation profile on Citus: distribute records, scores and task_records (co-located on the record id),
    make every other table a reference table."""


@citus_group.command("convert")
@click.option("--print", "print_only", is_flag=True,
              help="Print the SQL statements without running them (the citus extension need not exist yet).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: the plan, its statements, what ran.")
@pass_app
def convert_cmd(app: AppContext, print_only: bool, as_json: bool) -> None:
    """Convert the database (run `haocha init` first, on the coordinator, with the workers added): drop the
    foreign keys Citus refuses (reference table → distributed table), create the reference tables, distribute
    records on id and scores and task_records on record_id in records' co-location group, add back the foreign
    keys dropped on the way. Each step commits on its own; running again finishes an interrupted conversion and
    does nothing on a converted database."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from feedback.citus import CitusError, convert

    def show(step) -> None:
        if not as_json:
            click.echo(f"-- {step.purpose}\n{step.render()}")

    try:
        result = convert(app.engine(), dry_run=print_only, before=show)
    except CitusError as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        fail(f"转换在数据库中失败（{type(exc.orig).__name__}：{str(exc.orig).strip()[:300]}）：修正后重新运行，"
             "已完成的步骤会被跳过", code=1)
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
        return
    if print_only:
        for step in result.statements:
            show(step)
        for problem in result.plan.problems:
            click.echo(f"haocha: 注意：{problem}", err=True)
    if result.plan.empty:
        click.echo("-- 无需转换：" + ("所有表都已按计划分布" if result.plan.done else "没有要转换的表"))
    elif not print_only:
        click.echo(f"-- 转换完成：{result.ran} 条语句；参考表 {len(result.plan.reference)} 张，"
                   f"分布表 {len(result.plan.distributed)} 张，删除外键 {len(result.plan.drop)} 个；"
                   f"Citus {result.citus_version}，工作节点 {result.workers} 个")
