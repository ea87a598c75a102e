"""``haocha serve``: start the dashboard (waitress) on the configured database."""

from __future__ import annotations

import gc

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from dashboards.cli.users import schema_missing
from feedback.cli.context import AppContext, fail, pass_app


def freeze_startup_objects() -> None:
    """Move everything loaded so far (the app, libraries, taxonomy) out of the cyclic garbage collector's reach:
    it lives as long as the process, yet each full collection would scan it again, a pause in whichever request
    happened to allocate the object that triggered it (docs/performance.md: overview under load)."""
    gc.collect()
    gc.freeze()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8050, show_default=True, type=int, help="Port to listen on.")
@pass_app
def serve_cmd(app: AppContext, host: str, port: int) -> None:
    """Serve the dashboard (waitress when installed, else werkzeug's threaded server)."""
    from dashboards.app import create_app
    from dashboards.security import SecretKeyMissing
    from dashboards.users import count_users

    try:
        web = create_app(app.settings(), app.engine())
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
    freeze_startup_objects()
    try:
        from waitress import serve
    except ImportError:
        from werkzeug.serving import run_simple

        run_simple(host, port, web, threaded=True, use_reloader=False, use_debugger=False)
        return
    serve(web, host=host, port=port, threads=8)
