"""Fixtures of the statistics tests."""

from __future__ import annotations

from datetime import date

import pytest

from feedback.stats import rollups


@pytest.fixture
def rebuilt(monkeypatch):
    """The days refresh_days rebuilt (it still runs): a test of the incremental moves asserts it stays empty."""
    days: list[tuple[date, date]] = []
    real = rollups.refresh_days
    monkeypatch.setattr(rollups, "refresh_days", lambda conn, a=None, b=None: days.append((a, b)) or real(conn, a, b))
    return days
