"""Headless Chromium: log in, open every page, filter the explorer, preview an upload; screenshots of each."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from feedback.db import make_engine, upgrade
from feedback.stats.rollups import refresh_rollups
from tests import factory
from tests.dashboards.conftest import PASSWORD, XSS, add_users, rating_row, seed
from tests.dashboards.work_data import TITLE_A, seed_work

CHROMIUM = "/usr/bin/chromium"
UPLOAD_MS = 90_000  # an upload's preview: see upload_file
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install playwright "
                               "(never `playwright install`; Debian's chromium is used)")

SERVICES = [("社保卡申领", "市人力资源和社会保障局"), ("个人名下房产证明", "市不动产登记中心"),
            ("换领身份证", "市公安局"), ("人才租房补贴", "市人力资源和社会保障局"), ("营业执照变更", "市市场监督管理局")]
TEXTS = ["排队等了两个小时，只开了一个窗口", "网上申请一直在审核，催了几次也没有结果", "工作人员态度很好，一次办结",
         "系统上传材料总是失败，人脸识别通不过", "又让补材料，来回跑了三趟", "", "办理很快，点赞", "电话一直没人接"]


def _demo_rows(batch_id: int) -> list[dict]:
    rows = []
    for i in range(200):
        service, dept = SERVICES[i % len(SERVICES)]
        level = [2, 1, 5, 2, 3, 5, 4, 1][i % 8]  # complaints carry bad levels, praise good ones
        rows.append(rating_row(1000 + i, batch_id, service_name=service, dept_name=dept,
                            dept_code=f"DEPT{SERVICES.index((service, dept)) % 4}", level=level,
                            channel=["pc", "mobile", "hall_pad", "phone"][i % 4], text=TEXTS[i % len(TEXTS)] or None,
                            rated_at=datetime(2026, 3, 3, 8) + timedelta(minutes=37 * i), is_default=i % 25 == 0))
    return rows


@contextmanager
def serving(settings_factory, tmp_path: Path, fill: Callable[[Engine], None]) -> Iterator[str]:
    """A fresh SQLite database with the test users and seed, ``fill``ed, served on a free port: its base URL."""
    from werkzeug.serving import make_server

    from dashboards.app import create_app

    settings = settings_factory(f"sqlite:///{tmp_path / 'browser.db'}")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    add_users(engine)
    fill(engine)
    server = make_server("127.0.0.1", 0, create_app(settings, engine), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        engine.dispose()


def _fill(engine: Engine) -> None:
    ids = seed(engine)
    seed_work(engine)  # tasks and alerts of two departments
    with engine.begin() as conn:
        factory.add_records(conn, _demo_rows(ids["batch_id"]))
    refresh_rollups(engine)  # the overview reads the daily rollups, as after an import


def open_page(pw, base: str, problems: list[str]):
    """Debian's Chromium at 1600×900 in Chinese; console errors, page errors, dialogs (a script injected by a
    comment would open one) and any request leaving ``base`` are collected in ``problems``."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS,
                                 env={**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:zh"})
    page = browser.new_page(viewport={"width": 1600, "height": 900}, locale="zh-CN")
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog opened: {d.message}"), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith(base) or r.url.startswith("data:")
            else problems.append(f"outside request: {r.url}"))
    return browser, page


def log_in(page, base: str, user: str = "admin") -> None:
    """Sign in as ``user`` (the test password) through the login form and wait for the page it leads to."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def pick(page, name: str, *texts: str) -> None:
    """Choose options of a filter field as a user does: type into its search box, click the option whose text is
    exactly ``text``; the chosen ones show as chips."""
    box = page.locator(f"#f-{name}-ts-control")
    for text in texts:
        box.click()
        box.fill(text)
        page.locator(f"#f-{name}-ts-dropdown .option").filter(has_text=re.compile(f"^{re.escape(text)}$")).click()
    page.keyboard.press("Escape")
    chips = page.locator(f"#f-{name}-ts-control").locator("xpath=..").locator(".item").all_inner_texts()
    assert all(any(t in c for c in chips) for t in texts), chips


def upload_file(page, files) -> None:
    """Choose ``files`` (a path or Playwright's file payloads) in the 数据导入 form, submit it and wait for its
    preview. The preview is read in a niced child process that starts a fresh interpreter ([security]
    background_nice), so on a busy machine (another test process fitting a model) it can take well over the
    usual 10 s; UPLOAD_MS allows for that instead of failing the run."""
    page.set_input_files("input[type=file]", files)
    page.click(".upload-form button[type=submit]", timeout=UPLOAD_MS)
    page.wait_for_url("**/ingest/preview/**", timeout=UPLOAD_MS)


def save_task_form(page, status: str, owner: str, note: str, due: str | None = None) -> None:
    """Fill the task's status form (status, owner, optional due date, note), submit it and wait for the page;
    asserts the save was confirmed with the new status."""
    page.select_option("#task-form select[name=status]", status)
    page.fill("#task-form input[name=owner]", owner)
    if due:
        page.fill("#task-form input[name=due]", due)
    page.fill("#task-form textarea[name=note]", note)
    page.click("#task-form button[type=submit]")
    page.wait_for_load_state()
    assert "已保存" in page.content()


@pytest.fixture
def live_server(settings_factory, tmp_path):
    with serving(settings_factory, tmp_path, _fill) as url:
        yield url


def test_browser_walkthrough(live_server, shots, tmp_path):
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser, page = open_page(pw, live_server, problems)

        page.goto(f"{live_server}/records")
        assert "/login" in page.url
        page.screenshot(path=shots / "01_login.png")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
        assert "用户名或密码错误" in page.content()
        problems[:] = [p for p in problems if "status of 401" not in p]  # that 401 was the point
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/records")

        page.goto(f"{live_server}/")
        page.wait_for_selector(".chart .main-svg", timeout=15_000)  # plotly drew the figure (CSP allowed it)
        assert "数据更新于" in page.inner_text("#freshness")
        assert page.locator("#rank-dept table.board-red tbody tr").count() >= 1
        page.screenshot(path=shots / "02_overview.png", full_page=True)
        # filter through the form: the choice lands in the URL (a shareable link) and on every section
        page.select_option("#overview-filters select[name=channel]", ["mobile"])
        page.select_option("#overview-filters select[name=grain]", "day")
        page.click("#overview-filters button[type=submit]")
        page.wait_for_url("**/?*channel=mobile*")
        assert "grain=day" in page.url and "start=" in page.url
        page.wait_for_selector("#fig-channels .main-svg", timeout=15_000)
        assert page.locator("#fig-channels .bars .point").count() == 2  # one channel: share and 差评率 bars
        assert page.locator("#overview-filters select[name=channel] option:checked").all_inner_texts() == ["移动端"]
        # click the channel's bar: Plotly reports the click, app.js opens the records behind it
        bar = page.locator("#fig-channels .bars .point path").first
        bar.scroll_into_view_if_needed()
        box = bar.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_url("**/records?**", timeout=10_000)
        assert "channel=mobile" in page.url and "kind=rating" in page.url
        assert set(page.locator("table.records tbody td:nth-child(3)").all_inner_texts()) == {"移动端"}

        page.goto(f"{live_server}/records?q=onerror")
        assert XSS in page.inner_text("table.records")  # shown as text, no dialog opened
        assert page.locator("table.records img").count() == 0
        page.goto(f"{live_server}/records")
        page.screenshot(path=shots / "03_explorer.png")
        pick(page, "level", "非常不满意", "不满意")
        page.fill("input[name=q]", "窗口")
        page.click("#explorer-filters button[type=submit]")
        page.wait_for_load_state()
        assert "level=1" in page.url and "level=2" in page.url and "q=" in page.url
        levels = page.locator("table.records tbody td:nth-child(2) .level").all_inner_texts()
        assert levels and set(levels) <= {"不满意", "非常不满意"}
        assert all("窗口" in t for t in page.locator("table.records tbody td.text").all_inner_texts())
        assert page.inner_text("#current-filters") == "当前筛选：满意度：非常不满意、不满意 · 关键词：窗口"
        page.screenshot(path=shots / "04_explorer_filtered.png")

        page.goto(f"{live_server}/ingest")
        page.screenshot(path=shots / "05_ingest.png", full_page=True)
        upload = tmp_path / "national_sample.csv"
        upload.write_text(
            "projectNo,taskCode,taskName,deptCode,proDepart,areaCode,pf,satisfaction,evalDetail,writingEvaluation,"
            "assessTime,assessNumber,userProp,certKeyGOV\n"
            "P1,T001,社保卡申领,11439900MB1234567X,市人社局,439901,1,5,,很好,2026-03-01 10:00:00,1,1,430101199001011234\n",
            encoding="utf-8")
        upload_file(page, str(upload))
        assert "national_sample.csv" in page.content()
        page.screenshot(path=shots / "06_ingest_preview.png", full_page=True)
        page.click("text=放弃")
        page.wait_for_url(f"{live_server}/ingest")

        page.goto(f"{live_server}/tasks")
        page.screenshot(path=shots / "07_tasks.png", full_page=True)
        with page.expect_download() as download:
            page.click("#task-exports >> text=CSV")
        exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert TITLE_A in exported and "'@SUM(1+1)" in exported  # formula text neutralised
        page.click(f"text={TITLE_A}")
        page.wait_for_selector("#trend .main-svg", timeout=15_000)  # the sparkline is drawn
        assert XSS in page.inner_text("#evidence") and page.locator("#evidence img").count() == 0
        save_task_form(page, "accepted", "张三", "先查上传接口")
        assert "已受理" in page.inner_text("#task-status")
        assert "先查上传接口" in page.inner_text("#history")
        page.screenshot(path=shots / "07b_task_detail.png", full_page=True)
        page.goto(f"{live_server}/alerts")
        page.screenshot(path=shots / "08_alerts.png", full_page=True)
        page.click("table.alerts tr:has-text('市人力资源和社会保障局') >> text=查看记录")
        page.wait_for_url("**/records?**")
        assert "level=1" in page.url and "start=2026-03-02" in page.url
        page.click("nav >> text=模型")
        page.wait_for_url("**/models")
        assert "版本记录" in page.content()  # no scores in this data set: the page says what to run
        page.screenshot(path=shots / "09_models.png", full_page=True)

        page.click("text=退出")
        page.wait_for_url("**/login")
        browser.close()
    assert not problems, problems
    assert len(list(shots.glob("*.png"))) == 10
    if os.environ.get("HAOCHA_SCREENSHOT_DIR") is None:
        shutil.rmtree(shots, ignore_errors=True)

