"""The ``haocha`` command line: the root group, shared options, and plug-in command discovery."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import click

from feedback.cli.context import AppContext, pass_app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Path of config.toml (default: $HAOCHA_CONFIG or ./config.toml).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Haocha (好差): 好差评 feedback analytics — ingest, score, rank tasks, report, serve."""
    ctx.obj = AppContext(config_path=config_path)


@main.command("init")
@pass_app
def init_cmd(app: AppContext) -> None:
    """Create or upgrade the database schema (alembic upgrade head)."""
    from feedback.db import current_revision, server_warnings, upgrade

    engine = app.engine()
    upgrade(engine)
    click.echo(f"database ready at revision {current_revision(engine)}: {app.settings().database_url}")
    with engine.connect() as conn:
        for warning in server_warnings(conn):
            click.echo(f"注意：{warning}", err=True)


def _register_plugins() -> None:
    """Command groups from etl and dashboards register themselves under the ``haocha.commands`` entry point,
    so the domain package never imports the outer packages."""
    for ep in entry_points(group="haocha.commands"):
        try:
            command = ep.load()
        except ImportError as exc:  # pragma: no cover - broken install
            print(f"haocha: cannot load command {ep.name}: {exc}", file=sys.stderr)
            continue
        main.add_command(command, name=ep.name)


_register_plugins()
