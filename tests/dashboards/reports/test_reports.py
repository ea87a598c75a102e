"""The monthly bulletin's renderers, its dashboard download (login, department scoping) and `haocha report`."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from dashboards.reports import render
from feedback.bulletin import build_bulletin
from feedback.cli import main
from feedback.filters import Filters
from feedback.models import Record
from feedback.stats import periods
from feedback.stats.rollups import refresh_rollups
from feedback.stats.spec import LABELS
from tests import factory
from tests.dashboards.conftest import DEPT_A, XSS, seed

FORMULA = '=HYPERLINK("http://evil.example","点这里")材料交了三遍还说不全'
MONTH = "2026-03"


def scored_seed(engine) -> dict:
    """The dashboard seed (20 ratings of March 2026, departments A and B) with an active scoring version that
    files the XSS comment (A, 非常不满意) and a formula-like comment (A, 非常不满意) under complaint categories."""
    ids = seed(engine)
    with engine.begin() as conn:
        keys = factory.record_ids(conn)
        conn.execute(Record.__table__.update().where(Record.id == keys["P000004"]).values(text=FORMULA))
        factory.add_model_version(conn, "v-test", created_at=datetime(2026, 3, 2))
        factory.add_scores(conn, [
            dict(record_id=keys[key], model_version="v-test", sentiment="neg", sentiment_score=0.1,
                 hidden_complaint=False, category=cat, category_conf=0.9, scored_at=datetime(2026, 3, 2))
            for key, cat in (("P000000", "staff_attitude"), ("P000004", "materials"), ("P000003", "timeliness"))])
    refresh_rollups(engine)
    return ids


@pytest.fixture
def month_bulletin(engine, settings):
    scored_seed(engine)
    with engine.connect() as conn:
        return build_bulletin(conn, MONTH, Filters(), settings=settings)


def test_html_is_self_contained_and_escaped(month_bulletin):
    html = render(month_bulletin, "html").decode("utf-8")
    assert "关于2026年3月政务服务“好差评”情况的通报" in html
    assert not re.search(r"<script[^>]+src=", html, re.I)  # plotly.js inlined, nothing fetched
    assert not re.search(r"<link[^>]+href=[\"']?https?://", html, re.I)
    assert "Plotly.newPlot" in html and "data-figure=" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    for section in ("一、总体情况", "三、县（市、区）和部门排名", "七、存在问题与下步工作"):
        assert section in html
    assert re.search(r"截至3月31日，[^<]*共有优化任务\d+项", html)  # the task section's date: the month's end
    total = re.search(r'data-kpi="total"><td>[^<]*</td><td class="num">([^<]*)<', html).group(1)
    assert total == f"{month_bulletin.kpis['total']:,}"


def _kpi_rows(ws) -> dict:
    """The 主要指标 sheet's rows by KPI key (the sheet names KPIs only by their Chinese labels)."""
    by_label = {label + suffix: key for key, label in LABELS.items() for suffix in ("", "(%)")}
    return {by_label[r[0]]: r for r in ws.iter_rows(min_row=2, values_only=True)}


def test_xlsx_numbers_are_numbers_and_text_is_neutralised(month_bulletin):
    wb = load_workbook(io.BytesIO(render(month_bulletin, "xlsx")))
    assert {"说明", "主要指标", "分渠道", "县区排名", "部门排名", "差评事项", "意见摘录", "差评整改"} <= set(wb.sheetnames)
    ws = wb["主要指标"]
    rows = _kpi_rows(ws)
    assert rows["total"][1] == month_bulletin.kpis["total"] and isinstance(rows["total"][1], int)
    assert isinstance(rows["good_rate"][1], int | float) and rows["good_rate"][1] == month_bulletin.kpis["good_rate"]
    assert ws.cell(row=2, column=2).data_type == "n" and ws.cell(row=2, column=2).number_format == "#,##0"
    every = [c for s in wb.worksheets for row in s.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not any(c in LABELS or re.fullmatch(r"[a-z_]+", c) for c in every)  # no English codes in the workbook
    quotes = [c for row in wb["意见摘录"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(q.startswith("'=HYPERLINK") for q in quotes)
    every = [c for s in wb.worksheets for row in s.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not any(c.startswith(("=", "+", "@")) for c in every)
    assert wb["分渠道"].cell(row=2, column=3).data_type == "n"


def test_docx_reads_like_a_bulletin(month_bulletin):
    doc = Document(io.BytesIO(render(month_bulletin, "docx")))
    text = [p.text for p in doc.paragraphs]
    assert text[0] == "清源市政务服务管理办公室" and text[1] == "清政务办〔2026〕3号"
    assert "各县（市、区）政务服务管理办公室，市直各有关单位：" in text  # 主送机关, then the opening
    assert any(t.startswith("为进一步提升") and t.endswith("通报如下：") for t in text)
    assert any(t.startswith("请各单位对照通报问题认真整改") for t in text)
    assert "关于2026年3月政务服务\n“好差评”情况的通报" in text
    numbered = [t for t in text if re.match(r"^[一二三四五六七八九十]、", t)]
    assert numbered[:3] == ["一、总体情况", "二、分渠道评价情况", "三、县（市、区）和部门排名"]
    assert numbered[-1] == "七、存在问题与下步工作"
    assert len(doc.tables) >= 6 and len(doc.inline_shapes) >= 2  # tables and chart images
    assert "评价数不少于30条的单位不足，本月未排名。" in text  # 10 ratings a department: no boards
    assert any(re.match(r"截至3月31日，.*共有优化任务\d+项", t) for t in text)
    kpis = doc.tables[0]
    assert kpis.cell(1, 0).text == "评价数" and kpis.cell(1, 1).text == f"{month_bulletin.kpis['total']:,}"
    assert doc.sections[0].page_width.cm == pytest.approx(21.0, abs=0.01)


def test_download_needs_login_and_checks_input(app, engine, users, client_for):
    scored_seed(engine)
    anonymous = app.test_client().get(f"/reports/monthly?month={MONTH}&format=html")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    client = client_for("viewer")
    assert client.get("/reports/monthly?month=2026-3&format=html").status_code == 400
    assert client.get(f"/reports/monthly?month={MONTH}&format=pdf").status_code == 400
    assert client.get("/reports/monthly?month=2024-01&format=html").status_code == 404
    page = client.get("/reports/")
    assert page.status_code == 200 and "月度通报" in page.text
    assert f"/reports/monthly?month={MONTH}&amp;format=docx" in page.text
    res = client.get(f"/reports/monthly?month={MONTH}&format=docx")
    assert res.status_code == 200 and res.mimetype.endswith("wordprocessingml.document")
    assert 'filename="haocha_bulletin_2026-03.docx"' in res.headers["Content-Disposition"]  # ASCII fallback
    from urllib.parse import unquote

    chinese = unquote(res.headers["Content-Disposition"].split("filename*=UTF-8''")[1])
    assert chinese == "清源市2026年3月政务服务好差评通报.docx"  # RFC 5987: the name people see


def test_department_user_gets_only_its_department(app, engine, users, client_for, settings):
    scored_seed(engine)
    client = client_for("viewer_a")
    res = client.get(f"/reports/monthly?month={MONTH}&format=xlsx&dept=11439900MB0000002B")
    assert res.status_code == 200 and DEPT_A in res.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(res.data))
    with engine.connect() as conn:
        only_a = periods.month_kpis(conn, MONTH, Filters(depts=(DEPT_A,)), as_of=datetime.now())
        everyone = periods.month_kpis(conn, MONTH, Filters(), as_of=datetime.now())
    rows = _kpi_rows(wb["主要指标"])
    assert rows["total"][1] == only_a["total"] < everyone["total"]
    assert rows["bad"][1] == only_a["bad"]
    ranked = list(wb["部门排名"].iter_rows(min_row=2, values_only=True))
    blank = [all(v is None for v in r) for r in ranked].index(True)  # the data, then the ranking rule below it
    assert [r[-1] for r in ranked[:blank]] == [DEPT_A]
    assert ranked[blank + 1][0].startswith("排名规则：") and all(v is None for v in ranked[blank + 1][1:])
    cells = [c for s in wb.worksheets for row in s.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not any("市公安局" in c for c in cells)  # department B's name appears nowhere
    html = client.get(f"/reports/monthly?month={MONTH}&format=html").text
    assert "市公安局" not in html and "市人力资源和社会保障局" in html


def test_cli_writes_the_three_files(runner, engine, tmp_path):
    scored_seed(engine)
    out = tmp_path / "bulletins"
    res = runner.invoke(main, ["report", "monthly", "--month", MONTH, "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    obj = json.loads(res.output.strip().splitlines()[-1])
    assert set(obj["files"]) == {"html", "xlsx", "docx"}
    for path in obj["files"].values():
        assert (out / path.split("/")[-1]).stat().st_size > 1000
    cli = json.loads(runner.invoke(main, ["kpi", "--month", MONTH, "--json"]).output.strip().splitlines()[-1])
    assert {k: v for k, v in obj["kpis"].items() if k != "as_of"} == {k: v for k, v in cli.items() if k != "as_of"}
    plain = runner.invoke(main, ["report", "monthly", "--format", "html", "--out", str(out), "--dept", DEPT_A])
    assert plain.exit_code == 0 and plain.output.strip().endswith(f"haocha_bulletin_{MONTH}_{DEPT_A}.html")
    assert runner.invoke(main, ["report", "monthly", "--format", "pdf", "--out", str(out)]).exit_code == 2
    assert XSS not in (out / f"haocha_bulletin_{MONTH}.html").read_text(encoding="utf-8")


def test_cli_writes_a_range_of_months_in_parallel(runner, engine, tmp_path):
    scored_seed(engine)
    out = tmp_path / "year"
    res = runner.invoke(main, ["report", "monthly", "--month", "2026-01..2026-03", "--format", "xlsx",
                               "--jobs", "2", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.strip().splitlines() if x.startswith("{")]
    assert [o["month"] for o in lines] == ["2026-01", "2026-02", "2026-03"]  # in month order
    for o in lines:
        assert (out / f"haocha_bulletin_{o['month']}.xlsx").stat().st_size > 1000
        cli = json.loads(runner.invoke(main, ["kpi", "--month", o["month"], "--json"]).output.strip().splitlines()[-1])
        assert {k: v for k, v in o["kpis"].items() if k != "as_of"} == {k: v for k, v in cli.items() if k != "as_of"}
    for bad in ("2026-3", "2026-03..2026-01"):
        assert runner.invoke(main, ["report", "monthly", "--month", bad, "--out", str(out)]).exit_code == 2


def test_benchmark_writes_every_month(engine, settings, tmp_path):
    from pathlib import Path

    from bench.reports import run

    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the benchmark reads a SQLite file")
    scored_seed(engine)
    result = run(Path(settings.database_url.removeprefix("sqlite:///")), tmp_path / "year", months=2)
    assert [r["month"] for r in result["months"]] == ["2026-02", MONTH]
    assert len(list((tmp_path / "year").iterdir())) == 6 and result["per_bulletin_s"] > 0


def test_every_ranking_table_states_the_rule(engine, settings):
    """The rule caption (rankings.rule_caption) under the 红榜, 黑榜 and full ranking tables of every format."""
    import dataclasses

    from feedback.stats.rankings import RankRule, rule_caption

    scored_seed(engine)
    ruled = dataclasses.replace(settings, kpi=dataclasses.replace(settings.kpi, min_ranking_volume=1, board_size=1))
    with engine.connect() as conn:
        b = build_bulletin(conn, MONTH, Filters(), settings=ruled)
    caption = rule_caption(RankRule.from_settings(ruled.kpi))
    assert b.depts.caption == caption and caption in b.notes
    assert (b.depts.black["bad"] > 0).all() and (b.regions.black["bad"] > 0).all()
    html = render(b, "html").decode("utf-8")
    assert html.count(caption) >= 6  # 红榜, 黑榜 for regions and departments, and the notes
    doc = Document(io.BytesIO(render(b, "docx")))
    assert sum(p.text == caption for p in doc.paragraphs) >= 4
    wb = load_workbook(io.BytesIO(render(b, "xlsx")))
    for sheet in ("县区红榜", "县区黑榜", "部门红榜", "部门黑榜", "县区排名", "部门排名"):
        assert caption in [c for row in wb[sheet].iter_rows(values_only=True) for c in row], sheet


def test_docx_numbers_never_wrap_and_follow_one_decimal_rule(month_bulletin):
    from dashboards.reports.docx import CELL_PAD_CM, text_width_cm

    doc = Document(io.BytesIO(render(month_bulletin, "docx")))
    numeric = re.compile(r"^[+-]?[\d,]+(\.\d+)?%?$")
    decimals = set()
    for table in doc.tables:
        for row in table.rows[1:]:
            for cell in row.cells:
                text = cell.text
                if not numeric.match(text) or not any(ch in text for ch in ".,%"):
                    continue  # only formatted figures (a tag code such as 110 is text)
                tc_pr = cell._element.tcPr
                assert tc_pr is not None and tc_pr.find(qn("w:noWrap")) is not None, text
                assert cell.width.cm >= text_width_cm(text) + CELL_PAD_CM - 0.01, (text, cell.width.cm)
                if "." in text:
                    decimals.add(len(text.rstrip("%").split(".")[1]))
    assert decimals <= {2, 1}  # [bulletin] decimals = 2; 环比 of counts in % the same or fewer — never 4
    assert 4 not in decimals
