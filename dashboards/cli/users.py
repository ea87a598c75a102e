"""``haocha users``: parse options, call the users repository (add, list, passwords, disable, API tokens)."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from feedback.cli.context import AppContext, fail, pass_app


@click.group("users")
def users_group() -> None:
    """Dashboard accounts: add, list, change passwords, disable and enable, issue and revoke API tokens."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def schema_missing(exc: Exception) -> None:
    fail(f"the users table is missing: run `haocha init` first ({type(exc).__name__})")


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "ops", "pm", "viewer"]), required=True,
              help="admin: everything; ops: upload and import; pm: edit tasks and labels; viewer: read only.")
@click.option("--dept", "dept", default=None, help="Department code: the user sees only this department.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_app
def add_cmd(app: AppContext, name: str, role: str, dept: str | None, password_stdin: bool) -> None:
    """Create a user with an argon2-hashed password."""
    from dashboards.users import UserError, create_user

    password = _read_password(password_stdin)
    try:
        with app.engine().begin() as conn:
            create_user(conn, name, password, role, dept)
    except UserError as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        schema_missing(exc)
    scope = f", department {dept}" if dept else ""
    click.echo(f"user {name} added (role {role}{scope})")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per user.")
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """List users with role, department and whether they hold an API token."""
    from dashboards.users import list_users

    try:
        with app.engine().connect() as conn:
            rows = list_users(conn)
    except (OperationalError, ProgrammingError) as exc:
        schema_missing(exc)
    if as_json:
        for r in rows:
            click.echo(json.dumps(r.as_json(), ensure_ascii=False))
        return
    if not rows:
        click.echo("no users yet: haocha users add NAME --role admin")
        return
    click.echo(f"{'username':<20} {'role':<7} {'dept':<20} {'active':<6} {'token':<5} last login")
    for r in rows:
        click.echo(f"{r.username:<20} {r.role:<7} {r.dept_code or '-':<20} {'yes' if r.active else 'no':<6} "
                   f"{'yes' if r.has_token else 'no':<5} {r.last_login_at or '-'}")


@users_group.command("token")
@click.argument("name")
@pass_app
def token_cmd(app: AppContext, name: str) -> None:
    """Print a new API bearer token for NAME (replaces the old one; only its hash is stored)."""
    from dashboards.users import UserError, issue_token

    try:
        with app.engine().begin() as conn:
            token = issue_token(conn, name)
    except UserError as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        schema_missing(exc)
    click.echo(token)


def _change(app: AppContext, work) -> None:
    """Run ``work(conn)`` in one transaction; a user error or a missing schema ends the command."""
    from dashboards.users import UserError

    try:
        with app.engine().begin() as conn:
            return work(conn)
    except UserError as exc:
        fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        schema_missing(exc)


@users_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_app
def passwd_cmd(app: AppContext, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME; every session of NAME ends."""
    from dashboards.users import set_password

    password = _read_password(password_stdin)
    _change(app, lambda conn: set_password(conn, name, password))
    click.echo(f"password of {name} changed; its sessions have ended")


@users_group.command("disable")
@click.argument("name")
@pass_app
def disable_cmd(app: AppContext, name: str) -> None:
    """Disable NAME: no login, no API access; every session of NAME ends."""
    from dashboards.users import set_active

    _change(app, lambda conn: set_active(conn, name, False))
    click.echo(f"user {name} disabled; its sessions have ended")


@users_group.command("enable")
@click.argument("name")
@pass_app
def enable_cmd(app: AppContext, name: str) -> None:
    """Enable NAME again (it signs in anew; an API token it held works again unless revoked)."""
    from dashboards.users import set_active

    _change(app, lambda conn: set_active(conn, name, True))
    click.echo(f"user {name} enabled")


@users_group.command("revoke-token")
@click.argument("name")
@pass_app
def revoke_token_cmd(app: AppContext, name: str) -> None:
    """Revoke the API bearer token of NAME (it is refused from now on)."""
    from dashboards.users import revoke_token

    had = _change(app, lambda conn: revoke_token(conn, name))
    click.echo(f"API token of {name} revoked" if had else f"{name} held no API token")
