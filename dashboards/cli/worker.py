"""``haocha worker``: run queued imports and the later stages from the PostgreSQL job queue (``[jobs] queue =
"procrastinate"``)."""

from __future__ import annotations

import click

from feedback.cli.context import AppContext, fail, pass_app


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs waiting now, then exit (cron, tests).")
@pass_app
def worker_cmd(app: AppContext, once: bool) -> None:
    """Run jobs from the job queue: confirmed uploads' imports, and the later stages (scoring, rollups, tasks,
    alerts after an upload or a push); start as many as you like, on any machine that reaches the database and
    shares the instance directory (uploads wait there): one stage run at a time across all of them."""
    settings = app.settings()
    if settings.jobs.queue != "procrastinate":
        fail("[jobs] queue 不是 \"procrastinate\"：后续处理在网页进程内运行，不需要 haocha worker")
    from dashboards.actions.queue import install_schema, run_worker

    try:
        install_schema(app.engine(), settings)
    except ValueError as exc:
        fail(str(exc))
    click.echo("haocha worker：等待任务队列中的导入和后续处理（Ctrl+C 结束）" if not once else "haocha worker：处理队列中的任务后退出")
    run_worker(settings, once=once)
