"""Headless Chromium on the 整改台账: log in, open the ledger from the navigation, see an overdue case, open it, move
it to the next status, and take screenshots of the list and the case (HAOCHA_SCREENSHOT_DIR keeps them)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from feedback import ledger
from tests import factory
from tests.dashboards.conftest import XSS, seed

CHROMIUM = "/usr/bin/chromium"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install playwright "
                               "(never `playwright install`; Debian's chromium is used)")

from tests.dashboards.test_browser import _demo_rows, log_in, open_page, serving  # noqa: E402 - after the skip checks


def _fill(engine) -> None:
    ids = seed(engine)
    with engine.begin() as conn:
        factory.add_records(conn, _demo_rows(ids["batch_id"]))
        opened = ledger.sync_cases(conn, now=datetime(2026, 3, 4, 8))  # March deadlines: overdue by now
    assert opened > 0


@pytest.fixture
def live_server(settings_factory, tmp_path):
    with serving(settings_factory, tmp_path, _fill) as url:
        yield url


def test_ledger_walkthrough(live_server, shots):
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser, page = open_page(pw, live_server, problems)

        log_in(page, live_server, "ops")
        page.wait_for_load_state()
        badge = page.locator("nav.mainnav >> .nav-badge")
        assert badge.count() == 1 and int(badge.inner_text()) > 0  # overdue cases announced in the navigation
        page.click("nav.mainnav >> text=整改台账")
        page.wait_for_url(f"{live_server}/ledger")
        first = page.locator("#ledger-table tbody tr").first
        assert "超期" in first.locator(".late-badge").inner_text()  # overdue first, visibly flagged
        assert XSS[:50] in page.inner_text("#ledger-table")  # a comment with markup is shown as text (excerpt)
        assert page.locator("#ledger-table img").count() == 0
        page.screenshot(path=shots / "fixture_ledger.png", full_page=True)

        page.check("#ledger-filters input[name=overdue]")
        page.click("#ledger-filters button[type=submit]")
        page.wait_for_load_state()
        assert "overdue=1" in page.url

        first = page.locator("#ledger-table tbody tr").first
        first.locator("a.task-title").click()
        page.wait_for_url("**/ledger/*")
        assert "待核实" in page.inner_text("#case-status") and "超期" in page.inner_text("#case-status")
        page.select_option("#status-form select[name=status]", "rectifying")
        page.fill("#status-form textarea[name=note]", "已电话联系评价人，核实属实")
        page.click("#status-form button[type=submit]")
        page.wait_for_load_state()
        assert "已保存：状态 → 整改中" in page.content() and "整改中" in page.inner_text("#case-status")
        assert "已电话联系评价人" in page.inner_text("#history")
        page.screenshot(path=shots / "fixture_ledger_case.png", full_page=True)

        page.click("text=退出")
        page.wait_for_url("**/login")
        browser.close()
    assert not problems, problems
    if os.environ.get("HAOCHA_SCREENSHOT_DIR") is None:
        shutil.rmtree(shots, ignore_errors=True)
