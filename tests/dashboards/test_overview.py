"""The overview's KPI cards come from the same function as `haocha kpi`, and respect department scoping."""

from __future__ import annotations

import json
import re
from datetime import datetime

from dashboards.queries.overview import overview_data
from feedback import kpi
from feedback.cli import main
from feedback.filters import Filters
from feedback.rollups import refresh_rollups
from tests.dashboards.conftest import seed


def _card(html: str, key: str) -> str:
    m = re.search(rf'data-kpi="{key}">\s*<div class="card-label">[^<]*</div>\s*<div class="card-value">([^<]*)<',
                  html)
    assert m, f"no card {key}"
    return m.group(1)


def test_overview_cards_equal_the_kpi_module(client_for, engine, users):
    ids = seed(engine)
    refresh_rollups(engine)
    html = client_for("admin").get("/").text
    with engine.connect() as conn:
        expected = kpi.month_kpis(conn, "2026-03", Filters(), as_of=datetime.now())
    assert "2026-03 月度指标" in html
    assert _card(html, "total") == f"{expected['total']:,}"
    assert _card(html, "good_rate") == f"{expected['good_rate']:.2f}%"
    assert _card(html, "bad") == f"{expected['bad']:,}"
    # department scoping: a user of department A sees A's figures only
    with engine.connect() as conn:
        only_a = kpi.month_kpis(conn, "2026-03", Filters(depts=(ids["dept_a"],)), as_of=datetime.now())
    assert only_a["total"] < expected["total"]
    scoped = client_for("viewer_a").get("/?dept=" + ids["dept_b"]).text
    assert _card(scoped, "total") == f"{only_a['total']:,}"


def test_overview_and_cli_agree(runner, engine, tmp_path):
    seed(engine)
    refresh_rollups(engine)
    out = runner.invoke(main, ["kpi", "--month", "2026-03", "--json"])
    assert out.exit_code == 0, out.output
    cli = json.loads(out.output.strip().splitlines()[-1])
    with engine.connect() as conn:
        page = overview_data(conn, Filters(), None).kpis
    for key in ("total", "active_total", "good_rate", "bad", "bad_rate", "avg_score_10", "hidden_complaints"):
        assert cli[key] == page[key], key
