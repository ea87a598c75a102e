"""Headless Chromium through every screen on the demo city (the real `haocha demo` pipeline, then simulated office
work): log in, filter and drill down on 总览, search and page 评价明细, work a task and export the filtered list,
preview an upload, 预警, 模型, 月度通报, 整改台账. The screenshots are the README's: regenerate them with
`make screenshots` (HAOCHA_SCREENSHOT_DIR=docs/screenshots HAOCHA_SCREENSHOT_ROWS=200000).

HAOCHA_SCREENSHOT_ROWS sets the demo size (default 20,000, for CI). HAOCHA_SCREENSHOT_DB names a SQLite file that
keeps the freshly built demo database between runs (built there when missing, copied from there when present):
only for iterating on screens, delete it when the demo or the pipeline changes."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import threading
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from etl.demo.generate import region_names
from etl.profiles import builtin_profiles
from feedback.bulletin import fmt
from feedback.settings import settings_from_mapping
from tests.conftest import TEST_HASH_KEY
from tests.dashboards.conftest import PASSWORD, add_users
from tests.dashboards.demo_world import demo_database, work_the_year

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install playwright "
                               "(never `playwright install`; Debian's chromium is used)")

from tests.dashboards.test_browser import open_page, pick, save_task_form, upload_file  # noqa: E402 - after the skip checks

ROWS = int(os.environ.get("HAOCHA_SCREENSHOT_ROWS") or 20_000)
CHART = 15_000  # ms for Plotly to draw
LIST_HEIGHT = 1500  # px of a long list kept in its screenshot (the first rows, not fifty)
REGIONS = {name for _, name in region_names()}


def shot(page, folder: Path, name: str, *, top_only: bool = False) -> None:
    """A full-page screenshot; for a long list only its top LIST_HEIGHT px."""
    if top_only:
        page.screenshot(path=folder / name, full_page=True, clip={"x": 0, "y": 0, "width": 1600, "height": LIST_HEIGHT})
    else:
        page.screenshot(path=folder / name, full_page=True)


@pytest.fixture(scope="module", autouse=True)
def chinese_font():
    """Screenshots kept for the README need a CJK font, or every Chinese character is drawn as a box."""
    if os.environ.get("HAOCHA_SCREENSHOT_DIR") and shutil.which("fc-list"):
        found = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()
        assert found, "no Chinese font: apt-get install fonts-noto-cjk before taking screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, default_sentiment_cache):
    """The demo database after a simulated year of office work, served on a free port."""
    from werkzeug.serving import make_server

    from dashboards.app import create_app

    folder = tmp_path_factory.mktemp("demo")
    models = folder / "instance" / "models"
    models.mkdir(parents=True)
    os.link(default_sentiment_cache, models / default_sentiment_cache.name)
    settings = settings_from_mapping(
        {"database": {"url": f"sqlite:///{folder / 'demo.db'}"}, "paths": {"instance_dir": str(folder / "instance")}},
        base_dir=folder, env={"HAOCHA_HASH_KEY": TEST_HASH_KEY})
    cache = os.environ.get("HAOCHA_SCREENSHOT_DB")
    engine = demo_database(folder / "demo.db", settings, ROWS, Path(cache) if cache else None)
    facts = work_the_year(engine, settings)
    add_users(engine)
    server = make_server("127.0.0.1", 0, create_app(settings, engine), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}", **facts}
    finally:
        server.shutdown()
        engine.dispose()


@pytest.fixture
def browse(demo):
    """``browse(user)``: a Chromium page signed in as ``user``; after the test, no console error, page error,
    dialog or request leaving the server may have happened."""
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        pages = []

        def open_as(user: str | None):
            browser, page = open_page(pw, demo["url"], problems)
            page.set_default_timeout(10_000)
            pages.append(browser)
            if user:
                page.goto(f"{demo['url']}/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{demo['url']}/")
            return page

        yield open_as
        for browser in pages:
            browser.close()
    assert not problems, problems


def api(page, path: str) -> dict:
    """GET a JSON API path with the page's session (same cookies as the screen)."""
    here = urlsplit(page.url)
    response = page.request.get(f"{here.scheme}://{here.netloc}{path}")
    assert response.ok, (path, response.status)
    return response.json()


def query(page) -> str:
    return urlsplit(page.url).query


def kpi_cards(page) -> dict[str, str]:
    return {c.get_attribute("data-kpi"): c.locator(".card-value").inner_text()
            for c in page.locator("#kpi-cards .card").all()}


def assert_cards_match_api(page) -> dict:
    """The KPI cards show exactly the API's figures for the page's own filter (formatted as the bulletin does)."""
    body = api(page, f"/api/v1/overview?{query(page)}")
    cards = kpi_cards(page)
    assert cards and cards == {k: fmt.value(k, body["kpis"][k]) for k in cards}
    return body


def test_login_and_overview(browse, demo, shots):
    page = browse(None)
    page.goto(f"{demo['url']}/")
    assert "/login" in page.url
    page.screenshot(path=shots / "login.png")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{demo['url']}/")
    page.wait_for_selector("#fig-volume .main-svg", timeout=CHART)
    body = assert_cards_match_api(page)
    assert int(page.inner_text("#kpi-cards [data-kpi=total] .card-value").replace(",", "")) > 0
    assert f"{body['total']:,}" in page.inner_text("#period-title")
    assert page.locator("#rank-dept table.board-red tbody tr").count() == len(body["depts"]["red"])
    # the 黑榜 lists only departments with 差评 (issue 15), and the full table lists every department
    assert all(r["bad"] > 0 for r in body["depts"]["black"])
    assert page.locator("#rank-dept table.board-black tbody td.unit").count() == len(body["depts"]["black"])
    assert page.locator("#units-dept tbody tr").count() == len(body["depts"]["table"])
    page.screenshot(path=shots / "overview.png", full_page=True)

    # region names, not codes, in the filter bar and the ranking (the code in the tooltip)
    regions = page.locator("#overview-filters select[name=region] option").all_inner_texts()
    assert regions and set(regions) <= REGIONS
    named = page.locator("#rank-region td.unit").all_inner_texts()
    assert named and set(named) <= REGIONS

    # filter bar: the busiest department, month grain → URL, cards, trend and rankings follow
    dept = max(body["depts"]["red"] + body["depts"]["black"], key=lambda d: d["total"])
    page.select_option("#overview-filters select[name=dept]", [dept["key"]])
    page.select_option("#overview-filters select[name=grain]", "month")
    page.click("#overview-filters button[type=submit]")
    page.wait_for_url(f"**/?*dept={dept['key']}*")
    assert parse_qs(query(page))["grain"] == ["month"]
    page.wait_for_selector("#fig-volume .main-svg", timeout=CHART)
    filtered = assert_cards_match_api(page)
    assert filtered["kpis"]["total"] < body["kpis"]["total"]
    assert page.locator("#fig-volume .bars .point").count() == len(filtered["trend"])  # one bar per month
    assert "没有符合黑榜条件的单位" in page.inner_text("#rank-dept table.board-black")  # one department: nothing for 黑榜
    page.screenshot(path=shots / "overview_filtered.png", full_page=True)

    # drill down from a chart mark: the channel bar opens exactly that channel's ratings of the period
    page.goto(f"{demo['url']}/")
    page.wait_for_selector("#fig-channels .main-svg", timeout=CHART)
    channel = body["channels"][0]  # drawn top to bottom by share: the largest bar
    bars = page.locator("#fig-channels .bars").first.locator(".point path")
    assert bars.count() == len(body["channels"])
    bar = bars.nth(len(body["channels"]) - 1)  # Plotly draws horizontal bars bottom-up
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/records?**", timeout=10_000)
    assert parse_qs(query(page))["channel"] == [channel["channel"]]
    # the records behind the bar: its ratings, plus any 差评 voided on appeal (kept as records, left out of KPIs)
    assert page.inner_text("#result-count").startswith(f"共 {channel['total'] + channel['voided']:,} 条")
    assert set(page.locator("table.records tbody td:nth-child(3)").all_inner_texts()) == {channel["channel_name"]}

    # … and from a ranking row: the department's records
    page.goto(f"{demo['url']}/")
    link = page.locator("#units-dept tbody td.unit a").last  # the full table's last row (the 黑榜 may be empty)
    name = link.inner_text()
    link.click()
    page.wait_for_url("**/records?**")
    depts = page.locator("table.records tbody td:nth-child(4) .muted").all_inner_texts()
    assert depts and set(depts) == {name}


def test_explorer_search_filter_pages(browse, demo, shots):
    page = browse("admin")
    page.goto(f"{demo['url']}/records")
    everything = api(page, "/api/v1/records?per_page=1")  # beyond 10,000 the count says "超过 10,000 条"
    total = int(re.search(r"([\d,]+) 条", page.inner_text("#result-count")).group(1).replace(",", ""))
    assert total == everything["total"] and everything["total_capped"] == ("超过" in page.inner_text("#result-count"))
    shot(page, shots, "explorer.png", top_only=True)

    # filter by level and kind, page through the result: the filter survives paging
    pick(page, "level", "非常不满意", "不满意")
    pick(page, "kind", "评价")
    page.click("#explorer-filters button[type=submit]")
    page.wait_for_url("**kind=rating**")
    args = parse_qs(query(page))
    assert sorted(args["level"]) == ["1", "2"] and args["kind"] == ["rating"]
    bad = api(page, f"/api/v1/records?{query(page)}&per_page=1")["total"]
    assert 0 < bad < total and page.inner_text("#result-count").startswith(f"共 {bad:,} 条")
    first = page.locator("table.records tbody tr").first.get_attribute("id")
    page.click("nav.pager >> a:has-text('下一页')")
    page.wait_for_url("**page=2**")
    assert page.locator("table.records tbody tr").first.get_attribute("id") != first
    levels = set(page.locator("table.records tbody td:nth-child(2) .level").all_inner_texts())
    assert levels and levels <= {"不满意", "非常不满意"}

    # then a keyword on top: every comment shown contains it
    page.fill("input[name=q]", "窗口")
    page.click("#explorer-filters button[type=submit]")
    page.wait_for_url("**q=**")
    assert "page" not in parse_qs(query(page))  # a new search starts on page 1
    found = api(page, f"/api/v1/records?{query(page)}&per_page=1")["total"]
    assert 0 < found < bad and page.inner_text("#result-count").startswith(f"共 {found:,} 条")
    texts = page.locator("table.records tbody td.text").all_inner_texts()
    assert texts and all("窗口" in t for t in texts)
    shot(page, shots, "explorer_filtered.png", top_only=True)


def test_task_work_and_export(browse, demo, shots):
    page = browse("pm")
    page.click("nav.mainnav >> text=优化任务")
    page.wait_for_url("**/tasks")
    titles = page.locator("table.tasks a.task-title").all_inner_texts()
    listed = api(page, f"/api/v1/tasks?per_page={len(titles)}")
    assert titles and titles == [t["title"] for t in listed["items"]]
    assert not [t for t in titles if re.search(r"区划 ?\d{6}", t)]  # a local hall's title names its region
    scores = [float(s) for s in page.locator("table.tasks .score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    shot(page, shots, "tasks.png", top_only=True)

    # filter by category, export the filtered list: the CSV holds exactly those tasks
    page.select_option("#task-filters select[name=category]", ["timeliness"])
    page.click("#task-filters button[type=submit]")
    page.wait_for_url("**category=timeliness**")
    expected = api(page, f"/api/v1/tasks?{query(page)}&per_page=200")
    assert 0 < expected["total"] <= 200
    with page.expect_download() as download:
        page.click("#task-exports >> text=CSV")
    info, body = Path(download.value.path()).read_text(encoding="utf-8-sig").split("\n", 1)  # read_text: \r\n → \n
    assert info == "当前筛选：任务类型：政务服务 · 问题类别：办理时效"  # the export says which filters it follows
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == expected["total"]
    title = next(k for k in rows[0] if "标题" in k or k.lower() == "title")
    assert [r[title] for r in rows] == [t["title"] for t in expected["items"]]

    # work the best-ranked new task of that list: accept it with an owner, a due date and a note; history shows it
    page.locator("table.tasks tbody tr").filter(has=page.locator(".st-new")).first.locator("a.task-title").click()
    page.wait_for_selector("#trend .main-svg", timeout=CHART)
    due = (date.today() + timedelta(days=30)).isoformat()  # a due date in the past is refused
    save_task_form(page, "accepted", "张伟", "与业务处室核对超期件清单，按周通报进度", due=due)
    assert "已受理" in page.inner_text("#task-status")
    assert "负责人 张伟" in page.inner_text(".task-state") and f"截止 {due}" in page.inner_text(".task-state")
    history = page.inner_text("#history")
    assert "新建 → 已受理" in history and "与业务处室核对超期件清单" in history
    page.screenshot(path=shots / "task_detail.png", full_page=True)

    # the task shipped during the year: impact check and the shipping date on the sparkline
    page.goto(f"{demo['url']}/tasks/{demo['outage_task']}")
    page.wait_for_selector("#trend .main-svg", timeout=CHART)
    assert page.inner_text("#task-status") in ("已上线", "已验证")  # verified when the drop is significant
    assert page.locator("#impact .verdict").count() == 1 and "上线前 28 天" in page.inner_text("#impact")
    assert "整改中 → 已上线" in page.inner_text("#history") and "APP 闪退已修复" in page.inner_text("#history")
    assert "上线" in "".join(page.locator("#trend .annotation").all_text_contents())
    regions = page.locator("#where .breakdown > div:nth-child(3) td:first-child").all_inner_texts()
    assert regions and set(regions) <= REGIONS  # names, not 12-digit codes  # the shipping date marked on the line
    page.screenshot(path=shots / "task_verified.png", full_page=True)


def test_ingest_preview(browse, demo, shots):
    page = browse("ops")
    page.click("nav.mainnav >> text=数据导入")
    page.wait_for_url("**/ingest")
    assert "ratings_zhejiang.csv" in page.inner_text("main")  # the demo's batches in the history
    content = ("办件编号,评价渠道,评价人,评价时间,评价次数,满意度,满意度代码,文字评价,行政区划\n"
               "QY202611010001,移动服务端,张**,20261101T093000,1,非常满意,1,办事很快,439902\n"
               "QY202611010002,政务大厅平板电脑,李**,20261101T101500,1,不满意,4,排队两个小时,439903\n")
    upload_file(page, [{"name": "2026年11月好差评.csv", "mimeType": "text/csv", "buffer": content.encode("gb18030")}])
    assert page.inner_text("#detected-profile").strip() == "国家标准（39046）格式"
    assert "GB18030" in page.inner_text("#detected-encoding")
    assert page.locator("table.headers tbody tr").count() == 9 and page.locator("tr.unmapped").count() == 0
    assert "可导入 2 行" in page.inner_text("#row-checks")
    assert "排队两个小时" in page.inner_text("#sample-rows")
    page.screenshot(path=shots / "ingest_preview.png", full_page=True)
    page.click("text=放弃")
    page.wait_for_url("**/ingest")


def test_alerts_models_reports(browse, demo, shots):
    page = browse("ops")
    page.click("nav.mainnav >> text=预警")
    page.wait_for_url("**/alerts")
    listed = api(page, "/api/v1/alerts?per_page=100")
    assert listed["total"] > 0 and f"{listed['total']}" in page.inner_text("#result-count")
    rows = page.locator("table.alerts tbody tr")
    assert rows.count() == min(listed["total"], len(listed["items"]))
    page.screenshot(path=shots / "alerts.png", full_page=True)
    first = listed["items"][0]
    rows.first.locator("text=查看记录").click()
    page.wait_for_url("**/records?**")
    assert query(page) == first["records_query"]

    page.click("nav.mainnav >> text=模型")
    page.wait_for_url("**/models")
    cards = page.inner_text("#model-cards")
    assert "评分版本" in cards and "内置线性模型" in cards and re.search(r"第 \d+ 版", cards)
    assert "12345 留言分类" in cards and "未采用本单位分类" in cards  # the demo office adopts none
    assert page.locator("#versions tbody tr").count() >= 1
    page.screenshot(path=shots / "models.png", full_page=True)

    page.click("nav.mainnav >> text=月度通报")
    page.wait_for_url("**/reports/")
    months = page.locator("#bulletin-months tbody tr")
    assert months.count() == 12
    october = months.filter(has_text="2026-10")
    shown = int(october.locator("td.num").inner_text().replace(",", ""))
    page.screenshot(path=shots / "reports.png", full_page=True)
    with page.expect_download() as download:
        october.locator("text=表格 XLSX").click()
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert any("2026" in c and "10" in c for c in cells)
    assert REGIONS & set(cells)  # the bulletin's 县（市、区） ranking by name
    assert shown == api(page, "/api/v1/overview?start=2026-10-01&end=2026-10-31")["kpis"]["total"]


def test_ledger(browse, demo, shots):
    page = browse("ops")
    page.click("nav.mainnav >> text=整改台账")
    page.wait_for_url("**/ledger")
    listed = api(page, "/api/v1/ledger?per_page=1")
    assert f"共 {listed['total']:,} 件" in page.inner_text("#result-count")
    assert listed["total"] == demo["cases"]
    cards = page.locator("#ledger-counts .card-value").all_inner_texts()
    assert cards[3] == f"{demo['voided']:,}" == f"{listed['counts']['voided']:,}"  # 申诉认定无效: the approved appeals
    places = page.locator("#ledger-table .region").all_inner_texts()
    assert places and set(places) <= REGIONS
    shot(page, shots, "ledger.png", top_only=True)

    page.check("#ledger-filters input[name=overdue]")
    page.click("#ledger-filters button[type=submit]")
    page.wait_for_url("**overdue=1**")
    page.locator("#ledger-table tbody tr").first.locator("a.task-title").click()
    page.wait_for_url("**/ledger/*")
    status = page.inner_text("#case-status")
    assert "超期" in status
    target = page.locator("#status-form select[name=status] option").first
    name = target.inner_text()
    page.select_option("#status-form select[name=status]", target.get_attribute("value"))
    page.fill("#status-form textarea[name=note]", "已约谈窗口负责人，三个工作日内完成整改")
    page.click("#status-form button[type=submit]")
    page.wait_for_load_state()
    assert f"已保存：状态 → {name}" in page.content() and name in page.inner_text("#case-status")
    assert "已约谈窗口负责人" in page.inner_text("#history")
    page.screenshot(path=shots / "ledger_case.png", full_page=True)


# Latin words a screen may show: formats, protocols and product names an office user knows (issue 15).
ALLOWED_WORDS = {"API", "CSV", "XLSX", "XLS", "DOCX", "HTML", "JSON", "JSONL", "Jira", "URL", "ID", "HTTP",
                 "HTTPS", "Excel", "UTF", "GB", "GBK", "BOM", "Big", "PC", "APP", "App", "SnowNLP", "PNG", "MB", "KB",
                 "Ctrl", "PingCode",
                 "ln", "log"}  # math notation of the priority formula
# Plotly charts are left out: their locale (month ticks, toolbar) is set by the charts' own work, not here.
# Elements whose text is data (citizens' comments, task titles and notes, people's names): not checked.
DATA_SELECTORS = ("td.text, .text, .quote, blockquote, .note, .evidence, .user, .username, textarea, input, select, "
                  ".js-plotly-plot")
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_.@/-])[A-Za-z]{2,}(?![A-Za-z0-9_@/-])")


def screen_words(page) -> set[str]:
    """Latin words in the visible text of the page outside data elements."""
    text = page.evaluate("""(sel) => { const b = document.body.cloneNode(true);
        b.querySelectorAll(sel + ', script, style, noscript').forEach(e => e.remove());
        document.documentElement.appendChild(b); b.style.position = 'absolute'; b.style.left = '-99999px';
        const t = b.innerText; b.remove(); return t; }""", DATA_SELECTORS)
    return set(LATIN_WORD.findall(text))


def _static_words(page, response) -> set[str]:
    """Words of a response that is not browsed to (a download, an error page), shown without its scripts."""
    html = re.sub(r"<script\b.*?</script>", "", response.text(), flags=re.S | re.I)
    page.goto("about:blank")
    page.set_content(html)
    return screen_words(page)


def test_every_screen_speaks_office_language(browse, demo):
    """As admin, every screen (and the login page, a bulletin, an upload preview, an error page) shows no CLI
    command, hash or English word outside data and ALLOWED_WORDS."""
    page = browse(None)
    page.goto(f"{demo['url']}/login")
    found = {"/login": screen_words(page)}
    page = browse("admin")
    base = demo["url"]
    paths = ["/", "/records", "/ingest", "/tasks", "/alerts", "/models", "/reports/", "/ledger"]
    task = api(page, "/api/v1/tasks?per_page=1")["items"][0]["id"]
    paths.append(f"/tasks/{task}")
    page.goto(f"{base}/ledger")
    case = page.locator("table a[href*='/ledger/']").first.get_attribute("href")
    paths.append(case)
    for path in paths:
        page.goto(f"{base}{path}")
        found[path] = screen_words(page)
    bulletin = page.request.get(f"{base}/reports/monthly?month=2026-10&format=html")  # a download
    assert bulletin.ok
    found["/reports/monthly"] = _static_words(page, bulletin)
    missing = page.request.get(f"{base}/no-such-page")
    assert missing.status == 404
    found["/no-such-page"] = _static_words(page, missing)
    page.goto(f"{base}/ingest")
    upload_file(page, [{"name": "导出.csv", "mimeType": "text/csv", "buffer": "编号,分数,备注\n1,5,很好\n".encode("gb18030")}])
    found["/ingest/preview"] = screen_words(page)
    users = {"admin", "ops", "pm", "viewer", "demo"}
    headers = {w for p in builtin_profiles().values() for h in p.field_map for w in LATIN_WORD.findall(h)}
    data = users | headers  # a profile's missing columns are named as the file must spell them
    bad = {path: sorted(words - ALLOWED_WORDS - data) for path, words in found.items()}
    assert not any(bad.values()), {p: w for p, w in bad.items() if w}
