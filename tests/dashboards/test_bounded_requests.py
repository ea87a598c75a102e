"""Bounded work per request: period and grain limits answered 400 in Chinese on the 总览 page and the API, dates
outside 2000..2100 refused everywhere, and the worst allowed request (longest period at day grain) completes."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from dashboards.queries.overview import MAX_PERIOD_DAYS
from tests.feedback.stats.test_kpi import load_fixture


@pytest.fixture
def settings(db_url, settings_factory):
    return settings_factory(db_url, ingest={"chunk_size": 1000}, kpi={"min_ranking_volume": 1, "board_size": 1})


@pytest.fixture
def data(engine):
    return load_fixture(engine)


def _period(days: int, end: date = date(2026, 3, 31)) -> str:
    return f"start={(end - timedelta(days=days - 1)).isoformat()}&end={end.isoformat()}"


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_a_period_over_the_grain_limit_is_400_on_page_and_api(client_for, data, grain):
    client = client_for("viewer")
    too_long = f"{_period(MAX_PERIOD_DAYS[grain] + 1)}&grain={grain}"
    api = client.get(f"/api/v1/overview?{too_long}")
    assert api.status_code == 400 and api.json["message"].startswith("筛选条件无效：时间范围过长")
    page = client.get(f"/?{too_long}")
    assert page.status_code == 400 and "时间范围过长" in page.text


def test_the_reported_request_is_refused_not_computed(client_for, data):
    client = client_for("viewer")
    for query in ("start=1000-01-01&grain=day", "start=2000-01-01&grain=day", "start=2000-01-01&grain=month"):
        response = client.get(f"/api/v1/overview?{query}")
        assert response.status_code == 400, query
        assert "筛选条件无效" in response.json["message"]


@pytest.mark.parametrize("url", ["/?start=0001-01-01", "/?end=9999-12-31", "/api/v1/overview?start=0001-01-01",
                                 "/api/v1/overview?end=9999-12-31", "/api/v1/records?start=0001-01-01",
                                 "/api/v1/records?end=9999-12-31", "/records?end=9999-12-31",
                                 "/records/export.csv?start=0001-01-01", "/ledger?end=9999-12-31",
                                 "/api/v1/ledger?start=0001-01-01"])
def test_dates_out_of_range_are_400_with_a_chinese_message(client_for, data, url):
    response = client_for("viewer").get(url)
    assert response.status_code == 400, (url, response.status_code)
    text = response.json["message"] if url.startswith("/api/") else response.text
    assert "超出允许范围" in text or "无效" in text


@pytest.mark.parametrize("grain, days", [("day", MAX_PERIOD_DAYS["day"]), ("week", MAX_PERIOD_DAYS["week"]),
                                         ("month", MAX_PERIOD_DAYS["month"])])
def test_the_worst_allowed_request_completes(client_for, data, grain, days):
    """The longest allowed period at each grain is answered within seconds (the trend holds one point per bucket,
    each marked)."""
    client = client_for("viewer")
    started = time.perf_counter()
    body = client.get(f"/api/v1/overview?{_period(days)}&grain={grain}")
    assert body.status_code == 200, body.json
    assert time.perf_counter() - started < 10, "the worst allowed request must finish in seconds"
    assert body.json["period"] == {"start": (date(2026, 3, 31) - timedelta(days=days - 1)).isoformat(),
                                   "end": "2026-03-31"}
    page = client.get(f"/?{_period(days)}&grain={grain}")
    assert page.status_code == 200


def test_an_open_start_counts_from_the_latest_day(client_for, data):
    """An open end resolves to the latest rating day: the limit applies to the resolved period."""
    client = client_for("viewer")
    assert client.get("/api/v1/overview?start=2026-03-01&grain=day").status_code == 200
    assert client.get("/api/v1/overview?start=2024-01-01&grain=day").status_code == 400
