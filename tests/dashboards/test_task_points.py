"""The task detail's points (dashboards.queries.tasks.component_rows) and the rebuild's priority
(feedback.tasks.priority) are one formula: the same components give the same priority."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from dashboards.queries.tasks import component_rows
from feedback.tasks.config import COMPONENTS, TaskSettings
from feedback.tasks.priority import component_points, priority, score
from tests.dashboards.work_data import COMPONENTS as TASK_A_COMPONENTS


def _cases() -> list[dict[str, float | None]]:
    rng = random.Random(12)
    cases = [TASK_A_COMPONENTS, dict.fromkeys(COMPONENTS), {c: 1.0 for c in COMPONENTS}]
    cases += [{c: None if rng.random() < 0.25 else round(rng.random(), 4) for c in COMPONENTS} for _ in range(200)]
    return cases


@pytest.mark.parametrize("cfg", [TaskSettings(), TaskSettings(w_volume=0.4, w_rate=0.05, w_support=0.0)])
def test_detail_points_add_up_to_the_rebuilds_priority(cfg):
    cases = _cases()
    frame = pd.DataFrame([[c.get(k) for k in COMPONENTS] for c in cases], columns=list(COMPONENTS), dtype=float)
    ranked = score(pd.DataFrame({"volume": 1.0, "support": 0.0, "last_seen": pd.Timestamp("2026-03-01")},
                                index=frame.index), frame, pd.Series([f"k{i}" for i in frame.index]), cfg)
    for i, comps in enumerate(cases):
        rows = component_rows(comps, cfg)
        shown = [r["points"] for r in rows if r["points"] is not None]
        exact = [p for p in component_points(comps, cfg).values() if p is not None]
        assert sum(exact) == pytest.approx(priority(frame, cfg).iloc[i], abs=1e-9)
        assert sum(exact) == pytest.approx(ranked.loc[i, "score"], abs=1e-6)
        assert sum(shown) == pytest.approx(ranked.loc[i, "score"], abs=0.005 * len(shown) + 1e-9)
        assert [r["points"] is None for r in rows] == [comps.get(c) is None or not any(
            comps.get(k) is not None and cfg.weights()[k] > 0 for k in COMPONENTS) for c in COMPONENTS]


def test_task_a_of_the_dashboard_tests_scores_what_its_components_give():
    assert sum(r["points"] for r in component_rows(TASK_A_COMPONENTS, TaskSettings()) if r["points"]) == \
        pytest.approx(60.0, abs=0.05)
