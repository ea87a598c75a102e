"""Nothing merged silently: over-long ids and out-of-range assess numbers are rejected, region prefixes padded."""

from __future__ import annotations

from sqlalchemy import select

from etl.pipeline import ingest_file
from feedback.models import Record, Reject
from tests.etl.test_pipeline import national_rows, write_csv


def test_long_ids_and_assess_numbers_rejected_with_reason(engine, settings, tmp_path):
    rows = national_rows(6)
    rows[0]["projectNo"] = "P" * 64 + "A"
    rows[1]["projectNo"] = "P" * 64 + "B"      # cut to 64 both would be one 办件
    rows[2]["projectNo"] = rows[3]["projectNo"]
    rows[2]["assessNumber"] = "9" * 40          # emptied it would collapse into rows[3]'s 评价
    rows[4]["areaCode"] = "44"
    rows[5]["areaCode"] = "4401"
    res = ingest_file(engine, settings, write_csv(tmp_path / "long.csv", rows), profile="national")
    assert (res.read, res.loaded, res.duplicate, res.rejected) == (6, 3, 0, 3)
    assert res.read == res.loaded + res.duplicate + res.rejected
    with engine.connect() as conn:
        rejects = conn.execute(select(Reject.row_number, Reject.column, Reject.reason).order_by(Reject.row_number)).all()
        regions = conn.execute(select(Record.region_code).order_by(Record.row_number)).scalars().all()
    assert [(r.row_number, r.column) for r in rejects] == [(2, "projectNo"), (3, "projectNo"), (4, "assessNumber")]
    assert "超过 64 个字符" in rejects[0].reason and "1–32767" in rejects[2].reason
    assert regions == ["439901000000", "440000000000", "440100000000"]
