"""Scoring tests never depend on the packaged labelled corpus: it reads as empty unless a test gives rows."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_packaged_corpus(monkeypatch):
    monkeypatch.setattr("feedback.scoring.classify.read_corpus", lambda *a, **k: [])
