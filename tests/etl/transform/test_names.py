"""Names only: rows that give a 事项 / department by name get the known code instead of becoming a new 事项."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from etl.pipeline import ingest_file
from etl.transform.names import NameCodes, name_key
from feedback.models import Record
from tests.etl.test_pipeline import national_rows, write_csv


def test_name_key_ignores_spacing_width_and_brackets():
    assert name_key("社保卡申领（补换）") == name_key(" 社保卡申领 (补换) ") == name_key("社保卡申领【补换】")
    assert name_key("ＡＢＣ窗口") == name_key("abc 窗口")
    assert name_key("社保卡申领") != name_key("社保卡补领")
    assert name_key("  ") is None and name_key(None) is None


def _frame(rows):
    return pd.DataFrame(rows, columns=["service_code", "service_name", "dept_code", "dept_name"]).astype("string")


def test_fill_uses_known_and_in_chunk_pairs_and_skips_ambiguous_names():
    known = NameCodes.from_pairs({"service_code": [("T001", "社保卡申领"), ("T7", "同名事项"), ("T8", "同名事项")],
                                  "dept_code": [("D1", "市人社局")]})
    records = _frame([
        [None, "社保卡申领 ", None, "市人社局"],   # both known by name
        ["T002", "护照办理", None, None],         # teaches 护照办理 → T002 for the next row
        [None, "护照  办理", None, None],
        [None, "同名事项", None, None],            # two codes for one name: left alone
        [None, "没见过的事项", None, None],
        ["T009", "没见过的事项", None, None],      # a code given is never replaced, and it is learnt
    ])
    out, filled = known.fill(records)
    assert out["service_code"].tolist()[:3] == ["T001", "T002", "T002"]
    assert pd.isna(out["service_code"][3])
    assert out["service_code"][4] == out["service_code"][5] == "T009"
    assert out["dept_code"][0] == "D1"
    assert filled == {"service_code": 3, "dept_code": 1}
    # once a second code is seen for the same name, 社保卡申领 is ambiguous and no longer fills
    again, _ = known.fill(_frame([["T010", "社保卡申领", None, None], [None, "社保卡申领", None, None]]))
    assert pd.isna(again["service_code"][1])
    again, _ = known.fill(_frame([[None, "社保卡申领", None, None]]))
    assert pd.isna(again["service_code"][0])


def test_names_only_rows_join_the_existing_service(engine, settings, tmp_path):
    first = ingest_file(engine, settings, write_csv(tmp_path / "coded.csv", national_rows(5)), profile="national")
    assert first.loaded == 5
    rows = national_rows(8)[5:]
    for r in rows:
        r.update(taskCode="", deptCode="", taskName="社保卡申领 ", proDepart="市人力资源和社会保障局")
    second = ingest_file(engine, settings, write_csv(tmp_path / "names.csv", rows), profile="national")
    assert second.loaded == 3
    with engine.connect() as conn:
        got = conn.execute(select(Record.service_code, Record.dept_code).where(Record.batch_id == second.batch_id))
        assert set(got) == {("T001", "11439900MB1234567X")}
        services = conn.execute(select(Record.service_code).distinct()).scalars().all()
    assert services == ["T001"]
    again = ingest_file(engine, settings, tmp_path / "names.csv", profile="national")  # still idempotent
    assert (again.loaded, again.duplicate) == (0, 3)
