"""评价明细 exports: the explorer's current result as CSV / XLSX, masked, formula-safe, capped and audited."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from dashboards.users import audit_entries
from tests import factory
from tests.dashboards.conftest import XSS, rating_row


def _rows(response) -> list[list[str]]:
    """The header and data rows, below the export's 当前筛选 line (checked here)."""
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    assert len(rows[0]) == 1 and rows[0][0].startswith("当前筛选："), rows[0]
    return rows[1:]


def _add_tricky(engine, batch_id):
    with engine.begin() as conn:
        factory.add_records(conn, [
            rating_row(100, batch_id, text="=HYPERLINK(\"http://evil\",\"点我\") 电话 13812345678 催办", level=1),
            rating_row(102, batch_id, text="@SUM(1+1) 办事大厅排队太久", level=2),
        ])


def test_csv_follows_the_filters_and_is_safe(client_for, seeded, engine):
    _add_tricky(engine, seeded["batch_id"])
    client = client_for("viewer")
    rows = _rows(client.get("/records/export.csv"))
    assert rows[0][:4] == ["记录ID", "评价时间", "类型", "满意度"] and len(rows) == 1 + 22
    text_col = rows[0].index("评价内容（已脱敏）")
    texts = [r[text_col] for r in rows[1:]]
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    assert any(t.startswith("'=HYPERLINK") for t in texts) and any(t.startswith("'@SUM") for t in texts)
    assert XSS in texts  # a CSV cell is text: kept as written (nothing there runs it)
    assert not any("13812345678" in t for t in texts)  # phone masked
    bad = _rows(client.get("/records/export.csv?level=1"))
    level_col = bad[0].index("满意度")
    assert len(bad) > 1 and {r[level_col] for r in bad[1:]} == {"非常不满意"}
    searched = _rows(client.get("/records/export.csv?q=排队"))
    assert [r[text_col] for r in searched[1:]] == ["'@SUM(1+1) 办事大厅排队太久"]
    line = client.get("/records/export.csv?level=1&channel=pc&q=排队").data.decode("utf-8-sig").split("\r\n")[0]
    assert line == "当前筛选：渠道：PC端 · 满意度：非常不满意 · 关键词：排队"


def test_xlsx_has_the_same_rows_as_text_cells(client_for, seeded, engine):
    _add_tricky(engine, seeded["batch_id"])
    client = client_for("pm")
    res = client.get("/records/export.xlsx?level=1&level=2")
    assert res.status_code == 200 and res.headers["X-Haocha-Truncated"] == "0"
    ws = load_workbook(io.BytesIO(res.data))["评价明细"]
    values = [[c.value for c in r] for r in ws.iter_rows()]
    csv_rows = _rows(client.get("/records/export.csv?level=1&level=2"))
    assert values[0][0] == "当前筛选：满意度：非常不满意、不满意"
    assert len(values) - 1 == len(csv_rows) == int(res.headers["X-Haocha-Rows"]) + 1
    cells = [c for r in ws.iter_rows(min_row=3) for c in r if isinstance(c.value, str)]
    assert all(c.data_type == "s" and not c.value.startswith(("=", "@")) for c in cells)


def test_export_is_capped_and_audited(client_for, seeded, engine, monkeypatch):
    from dashboards.pages import explorer

    monkeypatch.setattr(explorer, "EXPORT_LIMIT", 5)
    client = client_for("ops")
    res = client.get("/records/export.csv?q=办理")
    assert res.headers["X-Haocha-Truncated"] == "1" and len(_rows(res)) == 1 + 5
    with engine.connect() as conn:
        entry = audit_entries(conn, action="export")[0]
    assert entry["username"] == "ops" and entry["detail"]["what"] == "records"
    assert entry["detail"]["rows"] == 5 and entry["detail"]["truncated"] is True and entry["detail"]["q"] == "办理"
    assert client.get("/records/export.pdf").status_code == 404


def test_explorer_links_the_export_with_its_filters(client_for, seeded):
    page = client_for("viewer").get("/records?level=1&q=script").text
    assert 'href="/records/export.csv?' in page and "level=1" in page.split('id="record-exports"')[1]
