"""``haocha serve``: start the dashboard on the configured database: waitress in this process, or several
gunicorn worker processes on one port (``--processes`` / ``[dashboard] processes``)."""

from __future__ import annotations

import gc

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from dashboards.cli.users import schema_missing
from feedback.cli.context import AppContext, fail, pass_app


def check_processes(processes: int, queue: str) -> str | None:
    """Why ``processes`` web processes cannot serve with the ``[jobs] queue`` in use (a Chinese message), or None.
    The thread runner keeps each batch's stage status in the memory of the process that took the upload; another
    process would never see it (and could not tell when its cache is out of date)."""
    if processes < 1:
        return f"--processes 必须至少为 1（收到 {processes}）"
    if processes > 1 and queue != "procrastinate":
        return (f"多个网页进程（{processes}）需要 [jobs] queue = \"procrastinate\"（PostgreSQL 任务队列与 haocha worker）："
                "线程模式下导入后的处理状态只保存在接收上传的那个进程里，其他进程看不到")
    return None


def freeze_startup_objects() -> None:
    """Move everything loaded so far (the app, libraries, taxonomy) out of the cyclic garbage collector's reach:
    it lives as long as the process, yet each full collection would scan it again, a pause in whichever request
    happened to allocate the object that triggered it (docs/performance.md: overview under load)."""
    gc.collect()
    gc.freeze()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8050, show_default=True, type=int, help="Port to listen on.")
@click.option("--processes", type=int, default=None,
              help="Web processes (default [dashboard] processes): more than 1 needs [jobs] queue = procrastinate.")
@pass_app
def serve_cmd(app: AppContext, host: str, port: int, processes: int | None) -> None:
    """Serve the dashboard (waitress when installed, else werkzeug's threaded server; gunicorn workers with
    --processes above 1)."""
    from dashboards.app import create_app
    from dashboards.security import SecretKeyMissing
    from dashboards.users import count_users

    settings = app.settings()
    processes = settings.dashboard.processes if processes is None else processes
    problem = check_processes(processes, settings.jobs.queue)
    if problem:
        fail(problem)
    try:  # also with several processes: a configuration error is told here, once, before any worker starts
        web = create_app(settings, app.engine())
    except SecretKeyMissing as exc:
        fail(str(exc))
    try:
        with app.engine().connect() as conn:
            if count_users(conn) == 0:
                click.echo("no users yet: create one with `haocha users add NAME --role admin`", err=True)
    except (OperationalError, ProgrammingError) as exc:
        schema_missing(exc)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Haocha dashboard: http://{shown}:{port}/")
    if app.settings().database_read_url:
        from sqlalchemy.engine import make_url

        replica = make_url(app.settings().database_read_url).render_as_string(hide_password=True)
        click.echo(f"分析查询读取副本（[database] read_url）：{replica}")
    if processes > 1:
        click.echo(f"{processes} 个网页进程（gunicorn）")
        app.engine().dispose()  # no pooled connection may cross the fork; each worker builds its own app
        serve_processes(lambda: create_app(settings), host, port, processes)
        return
    freeze_startup_objects()
    try:
        from waitress import serve
    except ImportError:
        from werkzeug.serving import run_simple

        run_simple(host, port, web, threaded=True, use_reloader=False, use_debugger=False)
        return
    serve(web, host=host, port=port, threads=8)


def serve_processes(make_app, host: str, port: int, processes: int, threads: int = 8) -> None:
    """``processes`` gunicorn worker processes (threads each) on ``host:port``; each builds its app with
    ``make_app()`` after the fork (its own database pools) and freezes what it loaded before serving."""
    from gunicorn.app.base import BaseApplication

    class _Dashboard(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                               "workers": processes, "worker_class": "gthread", "threads": threads,
                               "timeout": 120, "accesslog": None, "proc_name": "haocha-serve"}.items():
                self.cfg.set(key, value)

        def load(self):
            web = make_app()
            freeze_startup_objects()
            return web

    _Dashboard().run()
