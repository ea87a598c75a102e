"""The running app's engine, settings, options and taxonomy, and the client address, inside a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, request
from sqlalchemy import Engine

from dashboards.cache import ResultCache
from feedback.clock import local_now
from feedback.scoring.taxonomy import Taxonomy, taxonomy_of
from feedback.settings import DashboardSettings, Settings

EXTENSION = "haocha"


@dataclass(frozen=True)
class AppState:
    settings: Settings
    engine: Engine
    options: DashboardSettings  # settings.dashboard unless create_app was given others
    cache: ResultCache
    read_engine: Engine | None = None  # [database] read_url: a replica for reads; None: the primary


def state() -> AppState:
    return current_app.extensions[EXTENSION]


def engine() -> Engine:
    """The primary: every write (sign-in, audit, labels, tasks, ledger, imports) and reads that must see them."""
    return state().engine


def read_engine() -> Engine:
    """Where a screen's and the API's reads go: the read replica when one is configured, else the primary."""
    s = state()
    return s.read_engine or s.engine


def settings() -> Settings:
    return state().settings


def options() -> DashboardSettings:
    return state().options


def taxonomy() -> Taxonomy:
    """The complaint taxonomy of the settings (``[scoring] taxonomy``): every screen's category names."""
    return taxonomy_of(settings())


def today() -> date:
    """Today in the configured time zone (``[ingest] timezone``): the day due dates are judged on."""
    return local_now(settings().ingest.timezone).date()


def cache() -> ResultCache:
    return state().cache


def client_ip() -> str | None:
    """The peer address (put the app behind a ProxyFix-configured proxy to see real client addresses)."""
    return request.remote_addr
