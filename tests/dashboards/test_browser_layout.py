"""Headless Chromium at phone and laptop widths: every screen fits its window, the menu folds behind 菜单, ranking
heads are not cut, the chart toolbar and month ticks are Chinese."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from feedback import ledger
from tests.dashboards.test_browser import _fill, log_in, open_page, serving, sync_api

WIDTHS = (390, 1366, 1440)


def _fill_with_cases(engine) -> None:
    _fill(engine)
    with engine.begin() as conn:  # 整改台账 cases for the 差评, so a case page can be opened
        ledger.sync_cases(conn, now=datetime(2026, 3, 4, 8))


@pytest.fixture
def live_server(settings_factory, tmp_path):
    with serving(settings_factory, tmp_path, _fill_with_cases) as url:
        yield url


def _admin_page(pw, base: str, problems: list[str]):
    """Chromium (``open_page``) signed in as admin, on 总览."""
    browser, page = open_page(pw, base, problems)
    log_in(page, base, "admin")
    page.wait_for_url(f"{base}/")
    return browser, page


def _first_task(page, base: str) -> str:
    """The link of the first task of 优化任务."""
    page.goto(f"{base}/tasks")
    return page.locator("a.task-title").first.get_attribute("href")


def test_no_screen_is_wider_than_the_window(live_server, shots):
    """At phone and laptop widths every screen fits its window (nothing to scroll sideways); on a phone the menu
    folds behind 菜单; at 1366 px the rankings' column heads (调整后差评率) are not cut."""
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser, page = _admin_page(pw, live_server, problems)
        task = _first_task(page, live_server)
        page.goto(f"{live_server}/ledger")
        case = page.locator("table.ledger a[href^='/ledger/']").first.get_attribute("href")
        screens = ["/", "/records", "/tasks", task, "/reports", "/ingest", "/alerts", "/models", "/ledger", case]
        wide = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for path in screens:
                page.goto(f"{live_server}{path}")
                page.wait_for_load_state("load")
                if page.locator("[data-figure]").count():
                    page.wait_for_selector("[data-figure] .main-svg", timeout=15_000)
                overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 0:
                    page.screenshot(path=shots / f"wide_{width}_{path.strip('/').replace('/', '_') or 'overview'}.png",
                                    full_page=True)
                    wide.append(f"{path} at {width} px is {overflow} px wider than the window")
            if width == 390:
                nav = page.locator("#mainnav")
                assert not nav.is_visible()
                page.click("#nav-toggle")
                assert nav.is_visible() and page.locator("#mainnav a").count() >= 5
        assert not wide, wide
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{live_server}/")
        cut = page.evaluate("""() => [...document.querySelectorAll('.rankings th')]
            .filter(th => th.scrollWidth > th.clientWidth + 1).map(th => th.innerText)""")
        assert not cut, f"column heads cut at 1366 px: {cut}"
        # the chart toolbar speaks Chinese and has no button sending data off the site; month ticks read 2025年11月
        page.hover("[data-figure]")
        titles = page.locator(".modebar-btn").evaluate_all("els => els.map(e => e.getAttribute('data-title'))")
        assert titles and "缩放" in titles and not any(re.search(r"[A-Za-z]{4,}", t) for t in titles), titles
        ticks = page.evaluate("""async () => {
            const d = document.createElement('div'); d.style.width = '700px'; document.body.appendChild(d);
            await Plotly.newPlot(d, [{type: 'scatter', x: ['2025-11-01', '2026-04-01'], y: [1, 2]}], {},
                                 {locale: 'zh-CN'});
            const t = [...d.querySelectorAll('.xtick text')].map(e => e.textContent); d.remove(); return t; }""")
        assert "2025年11月" in ticks and not any(re.search(r"[A-Za-z]", t) for t in ticks), ticks
        browser.close()
    assert not problems, problems


def test_long_lists_are_cards_on_a_phone(live_server):
    """At 390 px the 优化任务, 评价明细, 整改台账 and 导入批次 lists are one card a row: a task's title, a comment, a
    case's service, a file's name get the card's width (as table cells they were squeezed to two characters a line, the rest cut off
    behind a sideways scroll), every short field keeps its name, and nothing scrolls sideways. At 1440 px they
    are tables again."""
    problems: list[str] = []
    lists = (("/tasks", "table.tasks td:nth-child(2)", "状态："), ("/records", "table.records td.text", "满意度："),
             ("/ledger", "table.ledger td.text", "整改期限："), ("/ingest", "table.batches td.text", "来源配置："))
    with sync_api.sync_playwright() as pw:
        browser, page = _admin_page(pw, live_server, problems)
        for width in (390, 1440):
            page.set_viewport_size({"width": width, "height": 900})
            for path, text, label in lists:
                page.goto(f"{live_server}{path}")
                box = page.locator(text).first.bounding_box()
                table = page.locator("table.phone-cards").first
                sideways = table.evaluate("t => t.parentElement.scrollWidth - t.parentElement.clientWidth")
                shown = table.evaluate("t => getComputedStyle(t.querySelector('thead')).display")
                if width == 390:
                    assert box["width"] > 250, (path, box)  # the text has the card's width
                    assert sideways <= 0 and shown == "none", (path, sideways, shown)
                    names = page.evaluate("""() => [...document.querySelectorAll('table.phone-cards td[data-label]')]
                        .slice(0, 12).map(td => getComputedStyle(td, '::before').content)""")
                    assert f'"{label}"' in names, (path, names)
                else:
                    assert shown == "table-header-group", (path, shown)
        browser.close()
    assert not problems, problems


def test_the_red_and_black_boards_are_cards_on_a_phone(live_server):
    """At 390 px 总览's 红榜 and 黑榜 are a card a unit, its rank and name on the first line and every figure with
    its name (eleven columns were squeezed until their heads stood one character a line and the numbers ran into
    each other); at 1440 px they are tables."""
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser, page = _admin_page(pw, live_server, problems)
        for width in (390, 1440):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server}/")
            board = page.locator(".rankings table.board").first
            shown = board.evaluate("t => getComputedStyle(t.querySelector('thead')).display")
            if width == 390:
                assert shown == "none", shown
                rank, name = (page.locator(f".rankings table.board td.{c}").first.bounding_box()
                              for c in ("rank", "unit"))
                assert abs(rank["y"] - name["y"]) < 4 and name["width"] > 60, (rank, name)  # one line, not squeezed
                labels = board.evaluate("""t => [...t.querySelectorAll('td[data-label]')].slice(0, 9)
                    .map(td => getComputedStyle(td, '::before').content)""")
                assert labels[:3] == ['"评价数："', '"主动评价率："', '"好评率："'], labels
                assert board.evaluate("t => t.scrollWidth - t.clientWidth") <= 0
            else:
                assert shown == "table-header-group", shown
        browser.close()
    assert not problems, problems


def test_a_tasks_breakdown_tables_stack_on_a_phone(live_server):
    """A task's 部门 / 渠道 / 区划 tables sit side by side on a laptop and one under the other on a phone, where side
    by side a department's name was squeezed to one character a line."""
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser, page = _admin_page(pw, live_server, problems)
        task = _first_task(page, live_server)
        for width in (390, 1440):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server}{task}")
            boxes = page.locator(".breakdown > div").evaluate_all(
                "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width]; })")
            assert len(boxes) == 3, boxes
            if width == 390:
                assert len({round(x) for x, _, _ in boxes}) == 1 and all(w > 300 for _, _, w in boxes), boxes
                name = page.locator(".breakdown table td").first.bounding_box()
                assert name is None or name["width"] > 150, name
            else:
                assert len({round(y) for _, y, _ in boxes}) == 1, boxes
        browser.close()
    assert not problems, problems


def test_the_bulletin_task_table_keeps_its_short_heads_on_one_line(engine, settings):
    """The HTML bulletin's 优化任务 table gives its long titles the room: 排名, 投诉数 and 优先级 were set one
    character a line beside them. Every head of that table is one line high, in Chromium at a laptop's width."""
    import dataclasses

    import pandas as pd

    from dashboards.reports import render
    from feedback.bulletin import build_bulletin
    from feedback.bulletin.sections import TASK_COLUMNS
    from feedback.filters import Filters
    from tests.dashboards.reports.test_reports import MONTH, scored_seed

    scored_seed(engine)
    with engine.connect() as conn:
        b = build_bulletin(conn, MONTH, Filters(), settings=settings)
    title = "翠湖湾小区交房两年多还办不了房产证、办证、小区业主（92 条，30 周，点赞 4,920）"
    top = pd.DataFrame([{c: None for c in TASK_COLUMNS} | {
        "rank": i + 1, "title": title, "category_name": "审批条件与依法行政", "dept_name": "清源市人力资源和社会保障局",
        "signals": 92 - i, "score": 89.34 - i, "status_name": "整改中", "owner": "刘洋", "due_date": "2026-12-01"}
        for i in range(3)], columns=TASK_COLUMNS)
    b = dataclasses.replace(b, tasks=dataclasses.replace(b.tasks, top=top, total=3))
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.set_content(render(b, "html").decode("utf-8"), wait_until="load")
        heads = page.evaluate("""() => [...document.querySelectorAll("table[data-table='优化任务'] th")].map(th => {
            const r = document.createRange(); r.selectNodeContents(th);
            return [th.textContent, new Set([...r.getClientRects()].map(x => Math.round(x.top))).size]; })""")
        browser.close()
    assert {h for h, _ in heads} >= {"排名", "投诉数", "优先级"}
    assert all(lines == 1 for _, lines in heads), heads  # lines of text in each head


def test_the_bulletin_fits_a_laptop_and_a_phone(engine, settings):
    """The HTML bulletin is read on a laptop and, forwarded, on a phone. At 1000 and 1440 px no table is wider
    than the sheet (the full rankings' sixteen columns ran 17–75 px past it); at 390 px the page does not scroll
    sideways: a table too wide for the phone scrolls inside its own box, and the text keeps the phone's width."""
    import dataclasses

    from dashboards.reports import render
    from feedback.bulletin import build_bulletin
    from feedback.filters import Filters
    from tests.dashboards.reports.test_reports import MONTH, scored_seed

    scored_seed(engine)
    with engine.connect() as conn:
        b = build_bulletin(conn, MONTH, Filters(), settings=settings)
    # a city's figures: department names and codes (统一社会信用代码) as real offices have them, large counts
    table = b.depts.table.assign(name="清源市人力资源和社会保障局（社会保险事业管理中心）", key="11441800MB2C90123X",
                                 total=123_456, bad=1_234, expected=1_234.56, on_time_rate=100.0, total_mom=-11.49,
                                 avg_score_10_mom=-0.09, bad_rate_mom=-12.34, good_rate=100.0)
    b = dataclasses.replace(b, depts=dataclasses.replace(b.depts, table=table))
    html = render(b, "html").decode("utf-8")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        for width in (390, 1000, 1440):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_content(html, wait_until="load")
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            sideways = page.evaluate("document.documentElement.scrollWidth") - width
            sheet = page.evaluate("document.querySelector('.sheet').getBoundingClientRect().right")
            tables = page.evaluate("""() => [...document.querySelectorAll('table')].map(t =>
                [t.dataset.table, Math.round(t.getBoundingClientRect().right)])""")
            body = page.evaluate("document.querySelector('p.body').getBoundingClientRect().width")
            page.close()
            assert sideways <= 0, (width, sideways)
            assert len(tables) >= 8
            if width > 600:
                assert all(right <= sheet for _, right in tables), (width, sheet, tables)
            else:
                assert body > 300, body  # the sheet's margins shrink on a phone
        browser.close()


def test_the_review_queue_is_cards_on_a_phone(settings_factory, tmp_path):
    """待确认分类 on a phone: one card a classification (at 390 px its table stood 46,000 px tall, the comment and
    the buttons off-screen to the right), each short field with its name, the comment the card's width, nothing
    to scroll sideways; at 1440 px a table again. A confirmation then shows under 我最近的确认与校正 as a card whose
    撤销 button is on screen (one for the answer: the row's same words, answered with it, are listed with it), and
    its undo takes every record of that answer back."""
    from feedback.scoring.score import score_store
    from tests.dashboards.test_browser import _fill

    def fill(engine) -> None:
        _fill(engine)
        score_store(engine, settings_factory(f"sqlite:///{tmp_path / 'browser.db'}"))

    problems: list[str] = []
    with serving(settings_factory, tmp_path, fill) as url, sync_api.sync_playwright() as pw:
        browser, page = open_page(pw, url, problems)
        log_in(page, url, "admin")
        for width in (390, 1440):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{url}/records/review")
            text = page.locator("table.review td.text").first.bounding_box()
            table = page.locator("table.review")
            sideways = table.evaluate("t => t.parentElement.scrollWidth - t.parentElement.clientWidth")
            shown = table.evaluate("t => getComputedStyle(t.querySelector('thead')).display")
            labels = page.evaluate("""() => [...document.querySelectorAll('table.review td[data-label]')]
                .slice(0, 4).map(td => getComputedStyle(td, '::before').content)""")
            if width == 390:
                assert text["width"] > 250 and sideways <= 0 and shown == "none", (text, sideways, shown)
                assert '"满意度："' in labels, labels
            else:
                assert shown == "table-header-group", shown
        # 我最近的确认与校正 on a phone: a card per label, its 撤销 button on screen, nothing to scroll sideways
        page.set_viewport_size({"width": 390, "height": 900})
        page.locator("table.review").get_by_role("button", name="确认", exact=True).first.click()
        page.wait_for_url(f"{url}/records/review")
        wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        undo = page.locator("#mine").get_by_role("button", name="撤销").first
        box = undo.bounding_box()
        assert wide <= 0 and box["x"] >= 0 and box["x"] + box["width"] <= 390, (wide, box)
        together = re.search(r"同样文字的另外 (\d+) 条", page.content())  # the row's same words, answered with it
        assert page.locator("#mine").get_by_role("button", name="撤销").count() == 1  # the answer, listed once
        if together:
            assert f"撤销（共 {int(together.group(1)) + 1} 条）" in undo.inner_text()
        undo.click()
        page.wait_for_url(f"{url}/records/review")
        assert "已撤销" in page.content() and page.locator("#mine").count() == 0  # every label of it taken back
        browser.close()
    assert not problems, problems


def test_the_trend_legends_never_cover_the_dates_on_a_phone(live_server):
    """At 390 px Plotly stands a long trend's dates on end; the legend, placed at a fixed distance under the plot,
    then lay over them ("04-" and "07-" cut under 评价数). The legend sits at the bottom of the figure now, and the
    plot makes room for the dates above it."""
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser, page = _admin_page(pw, live_server, problems)
        for width in (390, 1440):
            page.set_viewport_size({"width": width, "height": 900})
            for query in ("start=2025-04-01&end=2026-03-31&grain=week", "start=2026-01-01&end=2026-03-31&grain=day"):
                page.goto(f"{live_server}/?{query}")
                page.wait_for_selector(".chart .legend")
                overlaps = page.evaluate("""() => [...document.querySelectorAll('.chart')].slice(0, 2).map(chart => {
                    const legend = chart.querySelector('.legend').getBoundingClientRect();
                    return [...chart.querySelectorAll('.xaxislayer-above .xtick text')].filter(t => {
                        const b = t.getBoundingClientRect();
                        return b.width > 0 && b.bottom > legend.top && b.top < legend.bottom
                            && b.right > legend.left && b.left < legend.right;
                    }).map(t => t.textContent);
                })""")
                assert overlaps == [[], []], (width, query, overlaps)
        browser.close()
    assert not problems, problems


def _year_trend(live_server, script: str) -> dict[int, object]:
    """``script`` evaluated on 总览's first chart (the trend over a year by week) at 390 and 1440 px."""
    problems: list[str] = []
    shown = {}
    with sync_api.sync_playwright() as pw:
        browser, page = _admin_page(pw, live_server, problems)
        for width in (390, 1440):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server}/?start=2025-04-01&end=2026-03-31&grain=week")
            page.wait_for_selector("[data-figure] .main-svg", timeout=15_000)
            shown[width] = page.locator("[data-figure]").first.evaluate(script)
        browser.close()
    assert not problems, problems
    return shown


def test_a_long_trend_keeps_its_dates_level_on_a_phone(live_server):
    """At 390 px a trend over a year shows fewer dates, level and apart, instead of standing every
    date on end to fit (app.js fitTimeAxes); at 1440 px the axis is as Plotly lays it out."""
    shown = _year_trend(live_server, """el => [...el.querySelectorAll('.xtick text')]
        .map(t => { const r = t.getBoundingClientRect();
                    return [t.textContent, (t.getAttribute('transform') || '').includes('rotate'), r.left, r.right]; })""")
    phone = sorted(shown[390], key=lambda t: t[2])
    assert len(phone) >= 2 and not any(t[1] for t in phone), phone  # level
    assert all(a[3] + 4 <= b[2] for a, b in zip(phone, phone[1:], strict=False)), phone  # apart
    assert len(phone) < len(shown[1440]), (phone, shown[1440])


def test_a_two_axis_trend_keeps_its_plot_wide_on_a_phone(live_server):
    """At 390 px the trend charts' two y-axis titles stood on end beside their ticks and left the plot 49 % of the
    figure's width; there they become level captions over the plot (app.js levelAxisTitles), and at 1440 px each
    axis keeps its title beside it."""
    shown = _year_trend(live_server, """el => {
        const plot = el.querySelector('.nsewdrag').getBoundingClientRect();
        const ytitles = [...el.querySelectorAll('.g-ytitle text, .g-y2title text')].filter(t => t.textContent.trim());
        const notes = [...el.querySelectorAll('.annotation-text')].map(t => [t.textContent,
            t.getBoundingClientRect().bottom]);
        return {share: plot.width / el.getBoundingClientRect().width, top: plot.top,
                standing: ytitles.map(t => t.textContent), notes};
    }""")
    phone, wide = shown[390], shown[1440]
    assert phone["share"] >= 0.55, phone
    assert phone["standing"] == [], phone  # no title on end beside the ticks
    captions = [n for n in phone["notes"] if n[0] in ("评价数（条）", "差评率（%）")]
    assert sorted(n[0] for n in captions) == ["差评率（%）", "评价数（条）"], phone
    assert all(bottom <= phone["top"] for _, bottom in captions), phone  # over the plot, not on it
    assert sorted(wide["standing"]) == ["差评率（%）", "评价数（条）"], wide



def _fill_two_months(engine) -> None:
    """The browser data (March 2026) and a February before it, so the KPI cards have 环比 changes."""
    from feedback.stats.rollups import refresh_rollups
    from tests import factory
    from tests.dashboards.conftest import rating_row, seed
    from tests.dashboards.test_browser import _demo_rows
    from tests.dashboards.work_data import seed_work

    ids = seed(engine)
    seed_work(engine)
    february = [rating_row(5000 + i, ids["batch_id"], level=[5, 5, 4, 1][i % 4],
                           rated_at=datetime(2026, 2, 2, 9) + timedelta(hours=5 * i)) for i in range(120)]
    with engine.begin() as conn:
        factory.add_records(conn, _demo_rows(ids["batch_id"]) + february)
    refresh_rollups(engine)


def test_the_kpi_changes_stay_inside_their_cards(settings_factory, tmp_path):
    """A KPI card's 环比 / 同比 (▼-0.75个百分点) was kept on one line and ran over the card's right edge on a phone
    and at 1366 px, where seven cards share the row; it now wraps after 环比 / 同比 when the card is narrow."""
    problems: list[str] = []
    with serving(settings_factory, tmp_path, _fill_two_months) as base, sync_api.sync_playwright() as pw:
        browser, page = _admin_page(pw, base, problems)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{base}/?start=2026-03-01&end=2026-03-31")
            page.wait_for_selector("#kpi-cards .chg")
            assert "个百分点" in page.locator("#kpi-cards").inner_text()
            out = page.evaluate("""() => [...document.querySelectorAll('#kpi-cards .card')].flatMap(card => {
                const box = card.getBoundingClientRect();
                const edge = box.right - parseFloat(getComputedStyle(card).paddingRight);
                return [...card.querySelectorAll('.chg')].filter(c => c.getBoundingClientRect().right > edge + 1)
                    .map(c => c.innerText); })""")
            assert not out, (width, out)
        browser.close()
    assert not problems, problems
