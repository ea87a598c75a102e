"""模型 screen: versions in use, agreement with gold labels (department-scoped), category mix and drift."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from dashboards.queries.models import category_shares, drift
from feedback.models import Record
from feedback.scoring import repository as store
from feedback.scoring.score import score_store
from tests.dashboards.conftest import DEPT_A, DEPT_B


def test_without_scores_the_page_says_what_to_run(client_for, seeded):
    page = client_for("viewer").get("/models")
    assert page.status_code == 200 and "尚无评分版本" in page.text and "haocha score" in page.text


def test_versions_agreement_and_scoping(client_for, seeded, engine, settings):
    run = score_store(engine, settings)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(Record.dept_code, Record.id).order_by(Record.id)).all()[:2][::-1])
        for dept in (DEPT_A, DEPT_B):
            store.add_gold_label(conn, ids[dept], "materials", by="pm", note=None, version=run.version)
    page = client_for("admin").get("/models").text
    assert run.version in page and "使用中" in page and "2 条人工标注" in page
    assert "申报材料" in page  # per-class rows carry the Chinese category names
    scoped = client_for("viewer_a").get("/models").text
    assert "1 条人工标注" in scoped  # only the department's own gold labels


def test_shares_and_drift_are_computed_per_month():
    cats = pd.DataFrame({"month": ["2026-01", "2026-01", "2026-02", "2026-02", "2026-03"],
                         "category": ["materials", "other", "materials", "other", "other"], "n": [3, 1, 1, 1, 2]})
    shares = category_shares(cats)
    assert shares.loc["2026-01", "materials"] == pytest.approx(0.75) and shares.sum(axis=1).tolist() == [1, 1, 1]
    d = drift(shares).set_index("month")
    assert pd.isna(d.loc["2026-01", "drift"])
    assert d.loc["2026-02", "drift"] == pytest.approx(0.25)  # 0.75→0.5 materials, 0.25→0.5 other
    # March (all other) against the mean of Jan and Feb (materials 0.625): distance 0.625
    assert d.loc["2026-03", "drift"] == pytest.approx(0.625) and d.loc["2026-03", "other_share"] == 1.0
