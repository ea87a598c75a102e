"""Headless Chromium on 优化任务: the task-type tabs and the collapsed 计算方法 of a task."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.dashboards.conftest import seed
from tests.dashboards.test_browser import log_in, open_page, serving, sync_api
from tests.dashboards.work_data import TITLE_A, TITLE_TOPIC, seed_work


def _fill(engine: Engine) -> None:
    seed(engine)
    seed_work(engine)


@pytest.fixture
def live_tasks(settings_factory, tmp_path):
    with serving(settings_factory, tmp_path, _fill) as url:
        yield url


def test_type_tabs_and_the_collapsed_method(live_tasks):
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser, page = open_page(pw, live_tasks, problems)
        log_in(page, live_tasks, "viewer")
        page.wait_for_load_state()
        page.goto(f"{live_tasks}/tasks")
        assert page.locator("#task-types .tab.active").inner_text().startswith("政务服务")
        assert TITLE_A in page.content() and TITLE_TOPIC not in page.content()
        page.click("#task-types >> text=12345 话题")
        page.wait_for_url("**/tasks?type=topic")
        assert TITLE_TOPIC in page.content() and TITLE_A not in page.content()
        assert page.locator("table.tasks td.rank").first.inner_text() == "1"
        page.click("#task-types >> text=政务服务")
        page.click(f"text={TITLE_A}")
        page.wait_for_selector("#why")
        assert "因此在政务服务任务中排第 1 名" in page.inner_text("#why")
        assert not page.locator("#formula").is_visible()  # the formula waits in 计算方法
        page.click("#method summary")
        assert page.locator("#formula").is_visible() and "优先级 = 100 ×" in page.inner_text("#formula")
        browser.close()
    assert not problems, problems
