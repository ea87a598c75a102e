"""A 差评 voided on appeal stays a record: 评价明细 and GET /api/v1/records mark it, so a drill-down that lists
one more record than the chart (which leaves voided 差评 out) says why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from feedback import ledger
from feedback.models import LedgerCase


def test_voided_bad_rating_is_marked(engine, seeded, client_for):
    now = datetime(2026, 3, 4, 8)
    with engine.begin() as conn:
        ledger.sync_cases(conn, now=now)
        case_id, record_id = conn.execute(select(LedgerCase.id, LedgerCase.record_id).order_by(LedgerCase.id)).first()
        req = ledger.request(conn, case_id, "void", reason="误评", by="ops", now=now)
        ledger.decide(conn, req, approve=True, by="admin", now=now)
    client = client_for("admin")
    items = client.get("/api/v1/records?per_page=100").get_json()["items"]
    assert [i["id"] for i in items if i["voided"]] == [record_id]
    page = client.get("/records").text
    row = page.split(f'id="r{record_id}"', 1)[1].split("</tr>", 1)[0]
    assert "差评无效" in row and page.count(">差评无效</span>") == 1
