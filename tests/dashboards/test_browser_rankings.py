"""Headless Chromium on 总览 (issue 15): the 黑榜 lists no unit without 差评, a 差评率 bar opens only the 差评 behind
it, and the full unit table sorts on a header click (static/sorttable.js)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine

from feedback.stats.rollups import refresh_rollups
from tests import factory
from tests.dashboards.conftest import rating_row

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install playwright "
                               "(never `playwright install`; Debian's chromium is used)")

from tests.dashboards.test_browser import log_in, open_page, serving  # noqa: E402 - after the skip checks

# unit → (ratings, how many of them 差评). DC: 40 × 基本满意 — no 差评, the lowest 平均分 (the old rule's 黑榜)
UNITS = {"DA": (40, 1), "DB": (40, 0), "DC": (40, 0), "DD": (40, 4)}
BAD_NAMES = {"不满意", "非常不满意"}


def _fill(engine: Engine) -> None:
    now = datetime(2026, 3, 20, 12)
    with engine.begin() as conn:
        batch = factory.add_batch(conn, source_system="national", profile="national", file_name="u.csv",
                                  file_sha256="2" * 64, status="done", rows_done=160, read=160, loaded=160,
                                  duplicate=0, rejected=0, started_at=now, finished_at=now)
        rows, i = [], 0
        for unit, (n, bad) in UNITS.items():
            for k in range(n):
                level = (1 + k % 2) if k < bad else (3 if unit == "DC" else 5)
                rows.append(rating_row(i, batch, dept_code=unit, dept_name=f"部门{unit[1]}", level=level,
                                       level_raw=str(level), is_default=False, tags=None,
                                       channel="pc" if k % 2 else "mobile",
                                       rated_at=datetime(2026, 3, 2, 8) + timedelta(hours=i)))
                i += 1
        factory.add_records(conn, rows)
    refresh_rollups(engine)


@pytest.fixture
def server(settings_factory, tmp_path):
    def settings_of(url: str):
        return settings_factory(url, kpi={"ranking_metric": "mean_score", "board_size": 1})

    with serving(settings_of, tmp_path, _fill) as url:
        yield url


def test_black_board_bad_drilldown_and_sorting(server, shots):
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser, page = open_page(pw, server, problems)
        log_in(page, server, "admin")
        page.goto(f"{server}/?start=2026-03-01&end=2026-03-31")
        page.wait_for_selector("#fig-channels .main-svg", timeout=15_000)

        # 黑榜: by 平均分 部门C is last, but it has no 差评; the 黑榜 names 部门D, with the rule stated above it
        black = page.locator("#rank-dept table.board-black tbody td.unit").all_inner_texts()
        assert black == ["部门D"]
        assert "没有差评的单位不列入黑榜" in page.inner_text("#rank-dept .rank-rule")
        page.screenshot(path=shots / "overview_rankings.png", full_page=True)

        # the full unit table sorts on a header click: 差评数 largest first, then smallest first
        table = page.locator("#units-dept")
        assert table.locator("tbody tr").count() == len(UNITS)
        header = table.locator("thead th", has_text="差评数")
        header.click()
        assert table.locator("tbody tr").first.get_attribute("data-key") == "DD"
        assert header.get_attribute("aria-sort") == "descending"
        header.click()
        assert table.locator("tbody tr").first.get_attribute("data-bad") == "0"
        table.locator("thead th", has_text="差评率同比").click()  # no 同比 here: nothing breaks, order kept

        # a channel's 差评率 bar opens the 差评 behind it (levels 1-2), never all of its ratings
        rate_bars = page.locator("#fig-channels .bars").nth(1).locator(".point path")
        bar = rate_bars.last
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        page.mouse.move(box["x"] + max(box["width"], 2) / 2, box["y"] + box["height"] / 2)
        page.mouse.click(box["x"] + max(box["width"], 2) / 2, box["y"] + box["height"] / 2)
        page.wait_for_url("**/records?**", timeout=10_000)
        args = parse_qs(urlsplit(page.url).query)
        assert sorted(args["level"]) == ["1", "2"] and len(args["channel"]) == 1
        levels = set(page.locator("table.records tbody td:nth-child(2) .level").all_inner_texts())
        assert levels and levels <= BAD_NAMES
        browser.close()
    assert not problems, problems
