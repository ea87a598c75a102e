"""``haocha partition``: the province profile's month partitions of records and scores (PostgreSQL):
``setup`` converts a database once, ``maintain`` (daily, from cron) creates the months ahead and applies
retention, ``status`` lists the partitions with their rows and size."""

from __future__ import annotations

import json

import click

from feedback.cli.context import AppContext, fail, pass_app


def _today(app: AppContext):
    from feedback.clock import local_now

    return local_now(app.settings().ingest.timezone).date()


@click.group("partition")
def partition_group() -> None:
    """Month partitions of records and scores (PostgreSQL, the province profile; docs/scale.md)."""


@partition_group.command("setup")
@click.option("--ahead", type=click.IntRange(0, 36), default=3, show_default=True,
              help="Months after the current one to create partitions for.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def setup_cmd(app: AppContext, ahead: int, as_json: bool) -> None:
    """Convert this database to month partitions, in one transaction (the tables are locked while their rows
    are copied: run it in a maintenance window). Run `haocha init` first."""
    from feedback.records.partitions import repository as partitions

    try:
        with app.engine().begin() as conn:
            done = partitions.setup(conn, _today(app), ahead)
    except partitions.PartitionError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(done, ensure_ascii=False))
        return
    click.echo(f"已按月分区：评价记录 {done['records']:,} 条、评分 {done['scores']:,} 条，"
               f"分区 {done['months'][0]} 至 {done['months'][-1]}（共 {len(done['months'])} 个月）")


@partition_group.command("maintain")
@click.option("--ahead", type=click.IntRange(0, 36), default=3, show_default=True,
              help="Months after the current one that must have partitions.")
@click.option("--keep-months", type=click.IntRange(0, 1200), default=0, show_default=True,
              help="Retention: drop months older than the N most recent (the current month counts); 0 keeps all.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def maintain_cmd(app: AppContext, ahead: int, keep_months: int, as_json: bool) -> None:
    """Create the coming months' partitions and drop the months past retention (records with their scores).
    Safe to run any time and more than once; meant for a daily cron job."""
    from feedback.records.partitions import repository as partitions

    try:
        with app.engine().begin() as conn:
            made, dropped = partitions.maintain(conn, _today(app), ahead, keep_months)
    except partitions.PartitionError as exc:
        fail(str(exc))
    out = {"created": [str(m) for m in made], "dropped": [str(m) for m in dropped]}
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(f"新建分区：{'、'.join(out['created']) or '无'}；按保留期删除：{'、'.join(out['dropped']) or '无'}")


@partition_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    """The month partitions, their estimated rows (after ANALYZE) and their size on disk."""
    from feedback.records.partitions import repository as partitions

    try:
        with app.engine().connect() as conn:
            rows = partitions.sizes(conn)
    except partitions.PartitionError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps({"partitions": rows}, ensure_ascii=False))
        return
    for r in rows:
        click.echo(f"{r['table']:8} {r['month']}  约 {r['rows']:>12,} 行  {r['bytes'] / 2**20:>10,.1f} MB")
