"""Lazily built settings and engine shared by every command of one invocation."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from sqlalchemy import Engine

from feedback.settings import Settings, SettingsError, load_settings


@dataclass
class AppContext:
    config_path: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except SettingsError as exc:
                raise click.ClickException(f"configuration: {exc}") from exc
        return self._settings

    def engine(self) -> Engine:
        if self._engine is None:
            from feedback.db import make_engine

            s = self.settings()
            self._engine = make_engine(s.database_url, echo=s.database.echo)
        return self._engine


def pass_app(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Pass the AppContext as first argument (creating one when a command is invoked on its own)."""

    @click.pass_context
    @functools.wraps(fn)
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        root = ctx.find_root()
        if not isinstance(root.obj, AppContext):
            root.obj = AppContext()
        return fn(root.obj, *args, **kwargs)

    return wrapper


def fail(message: str, code: int = 2) -> None:
    """Print one clear line to stderr and exit with ``code`` (2 = unusable input)."""
    click.echo(f"haocha: {message}", err=True)
    sys.exit(code)
