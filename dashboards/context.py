"""The running app's engine, settings and options, and the client address, as seen from inside a request."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import Engine

from dashboards.cache import ResultCache
from dashboards.config import DashboardOptions
from feedback.settings import Settings

EXTENSION = "haocha"


@dataclass(frozen=True)
class AppState:
    settings: Settings
    engine: Engine
    options: DashboardOptions
    cache: ResultCache


def state() -> AppState:
    return current_app.extensions[EXTENSION]


def engine() -> Engine:
    return state().engine


def settings() -> Settings:
    return state().settings


def options() -> DashboardOptions:
    return state().options


def cache() -> ResultCache:
    return state().cache


def client_ip() -> str | None:
    """The peer address (put the app behind a ProxyFix-configured proxy to see real client addresses)."""
    return request.remote_addr
