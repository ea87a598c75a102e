"""End-to-end ingestion on SQLite and PostgreSQL: counts, rejects, idempotency, PII, unusable input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select, text

from etl.pipeline import InputError, ProfileNotFound, ingest_file, ingest_sql
from feedback.models import Batch, Record, Reject

NATIONAL = ["projectNo", "taskCode", "taskName", "deptCode", "proDepart", "areaCode", "pf", "satisfaction",
            "evalDetail", "writingEvaluation", "assessTime", "assessNumber", "userProp", "certKeyGOV"]


def national_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        rows.append({
            "projectNo": f"P2026{i:06d}", "taskCode": "T001", "taskName": "社保卡申领",
            "deptCode": "11439900MB1234567X", "proDepart": "市人力资源和社会保障局", "areaCode": "439901",
            "pf": str(1 + i % 7), "satisfaction": str(5 - (i % 5)), "evalDetail": "110,209" if i % 5 == 4 else "",
            "writingEvaluation": f"第{i}次来办，电话13812345678\n\t回访" if i % 3 == 0 else "",
            "assessTime": f"2026-03-{1 + i % 28:02d} 10:{i % 60:02d}:00", "assessNumber": "1",
            "userProp": "1", "certKeyGOV": f"43010119900101{i % 10000:04d}",
        })
    return rows


def write_csv(path, rows, encoding="utf-8"):
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def counts(engine):
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                for t in ("batches", "records", "rejects")}


def test_load_reject_and_reingest(engine, settings, tmp_path):
    rows = national_rows(40)
    rows[5]["satisfaction"] = "9"            # no such level
    rows[11]["assessTime"] = "2026-13-45 99:00:00"  # impossible time
    rows[17]["projectNo"] = ""               # no record id
    rows.append(dict(rows[0]))               # the same record twice in one file
    path = write_csv(tmp_path / "national.csv", rows)

    first = ingest_file(engine, settings, path, profile="national")
    assert (first.read, first.loaded, first.duplicate, first.rejected) == (41, 37, 1, 3)
    assert [r["row_number"] for r in first.first_rejects] == [7, 13, 19]  # header is row 1
    assert {r["column"] for r in first.first_rejects} == {"satisfaction", "assessTime", "projectNo"}
    assert all(r["reason"] for r in first.first_rejects)

    again = ingest_file(engine, settings, path, profile="national")
    assert (again.read, again.loaded, again.duplicate, again.rejected) == (41, 0, 38, 3)
    assert counts(engine)["records"] == 37
    with engine.connect() as conn:
        batches = conn.execute(select(Batch.read, Batch.loaded, Batch.duplicate, Batch.rejected, Batch.status)).all()
    assert all(b.read == b.loaded + b.duplicate + b.rejected and b.status == "done" for b in batches)


def test_levels_channels_tags_and_text_are_normalised(engine, settings, tmp_path):
    path = write_csv(tmp_path / "national.csv", national_rows(10))
    ingest_file(engine, settings, path, profile="national")
    with engine.connect() as conn:
        recs = {r.record_key: r for r in conn.execute(select(Record)).all()}
    r0 = next(r for k, r in recs.items() if k.startswith("P2026000000"))
    assert r0.level == 5 and r0.level_scheme == "platform" and r0.channel == "pc"
    assert r0.region_code == "439901000000"
    r4 = next(r for k, r in recs.items() if k.startswith("P2026000004"))
    assert r4.level == 1 and set(r4.tags.split(",")) == {"110", "209"}
    assert "\n" not in r0.text and "\t" not in r0.text
    assert "13812345678" not in r0.text and "[手机号]" in r0.text


def test_identity_is_hashed_and_never_stored_in_clear(engine, settings, tmp_path):
    rows = national_rows(6)
    rows[2]["satisfaction"] = "x"  # a reject keeps its raw row: the ID must not be in clear there either
    path = write_csv(tmp_path / "national.csv", rows)
    ingest_file(engine, settings, path, profile="national")
    with engine.connect() as conn:
        dump = json.dumps([list(map(str, r)) for r in conn.execute(select(Record)).all()], ensure_ascii=False)
        dump += json.dumps([list(map(str, r)) for r in conn.execute(select(Reject)).all()], ensure_ascii=False)
        hashes = conn.execute(select(Record.evaluator_hash)).scalars().all()
    for row in rows:
        assert row["certKeyGOV"] not in dump
    assert "13812345678" not in dump
    assert all(h and len(h) >= 32 for h in hashes)


def test_gbk_gbt39046_file_has_reversed_levels(engine, settings, tmp_path):
    rows = [
        {"办件编号": f"B{i}", "评价渠道": ch, "评价人": f"43010119800101{i:04d}", "评价时间": f"20260305T09{i:02d}00",
         "评价次数": "1", "满意度": word, "满意度代码": code, "文字评价": txt, "行政区划": "430102001"}
        for i, (ch, word, code, txt) in enumerate([
            ("政务大厅平板电脑", "非常满意", "1", "很好"),
            ("移动服务端", "满意", "2", ""),
            ("PC端", "基本满意", "3", "还行"),
            ("短信", "不满意", "4", "等了两个小时"),
            ("电话", "非常不满意", "5", "态度差"),
        ])
    ]
    path = write_csv(tmp_path / "gbt.csv", rows, encoding="gbk")
    res = ingest_file(engine, settings, path)  # auto-detected
    assert res.profile == "gbt39046" and res.loaded == 5 and res.rejected == 0
    with engine.connect() as conn:
        got = dict(conn.execute(select(Record.record_key, Record.level)).all())
        chans = set(conn.execute(select(Record.channel)).scalars())
        regions = set(conn.execute(select(Record.region_code)).scalars())
    assert [got[k] for k in sorted(got, key=lambda k: k[:2])] == [5, 4, 3, 2, 1]
    assert chans == {"hall_pad", "mobile", "pc", "sms", "phone"}
    assert regions == {"430102001000"}


def test_messages_with_votes_and_replies(engine, settings, tmp_path):
    rows = [
        {"留言编号": "1001", "留言用户": "A000102948", "留言主题": "A3区某小区停车难", "留言时间": "2019/2/28 11:25:05",
         "留言详情": "\n\t\t小区车位太少，每天晚上都停不下。\n", "点赞数": "12", "反对数": "0",
         "答复意见": "已转交区住建局处理。", "答复时间": "2019/3/5 10:00:00"},
        {"留言编号": "1002", "留言用户": "A000102949", "留言主题": "公交线路调整", "留言时间": "2019-03-01 08:00:00",
         "留言详情": "希望增加班次", "点赞数": "0", "反对数": "1", "答复意见": "", "答复时间": ""},
    ]
    path = write_csv(tmp_path / "msgs.csv", rows, encoding="utf-8-sig")
    res = ingest_file(engine, settings, path)
    assert res.profile == "message" and res.loaded == 2
    with engine.connect() as conn:
        m = conn.execute(select(Record).where(Record.record_key.like("1001%"))).one()
    assert m.kind == "message" and m.level is None and m.votes_up == 12 and m.votes_down == 0
    assert m.text == "小区车位太少，每天晚上都停不下。" and m.title == "A3区某小区停车难"
    assert str(m.rated_at) == "2019-02-28 11:25:05" and str(m.replied_at) == "2019-03-05 10:00:00"


def test_xlsx_named_sheet(engine, settings, tmp_path):
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"说明": ["这是封面"]}).to_excel(xw, sheet_name="封面", index=False)
        pd.DataFrame(national_rows(8)).to_excel(xw, sheet_name="评价数据", index=False)
    res = ingest_file(engine, settings, path, profile="national", sheet="评价数据")
    assert (res.read, res.loaded, res.rejected) == (8, 8, 0)


@pytest.mark.parametrize("content, needle", [
    (b"", "文件是空的"),
    (bytes(range(256)) * 20, "二进制"),
    (b"foo,bar,baz\n1,2,3\n", "foo"),
])
def test_unusable_input_writes_nothing(engine, settings, tmp_path, content, needle):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises((InputError, ProfileNotFound)) as info:
        ingest_file(engine, settings, path)
    assert needle in str(info.value)
    assert counts(engine) == {"batches": 0, "records": 0, "rejects": 0}


def test_unknown_headers_message_lists_headers_and_needs(engine, settings, tmp_path):
    path = write_csv(tmp_path / "odd.csv", [{"编号": "1", "分数": "5", "备注": "x"}])
    with pytest.raises(ProfileNotFound) as info:
        ingest_file(engine, settings, path)
    msg = str(info.value)
    assert "编号" in msg and "分数" in msg and "全国一体化平台接口" in msg and "satisfaction" in msg


def test_malformed_csv_line_is_rejected_with_its_row(engine, settings, tmp_path):
    path = write_csv(tmp_path / "n.csv", national_rows(5))
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "P999,too,few,fields")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = ingest_file(engine, settings, path, profile="national")
    assert res.read == 6 and res.loaded == 5 and res.rejected == 1
    # rows are numbered as a spreadsheet shows them: row 2's comment spans two text lines but is one row
    assert res.first_rejects[0]["row_number"] == 3


def test_sql_source_pulls_incrementally(engine, settings, tmp_path):
    from sqlalchemy import create_engine

    src_url = f"sqlite:///{tmp_path / 'source.db'}"
    src = create_engine(src_url)
    frame = pd.DataFrame(national_rows(12))
    frame.iloc[:8].to_sql("evaluations", src, index=False)
    first = ingest_sql(engine, settings, src_url, table="evaluations", watermark_column="assessTime",
                       profile="national")
    assert (first.read, first.loaded) == (8, 8)
    frame.iloc[8:].to_sql("evaluations", src, index=False, if_exists="append")
    second = ingest_sql(engine, settings, src_url, table="evaluations", watermark_column="assessTime",
                        profile="national")
    assert (second.read, second.loaded, second.duplicate) == (4, 4, 0)
    third = ingest_sql(engine, settings, src_url, table="evaluations", watermark_column="assessTime",
                       profile="national")
    assert third.read == 0
    assert counts(engine)["records"] == 12
    src.dispose()


def test_user_profile_from_config(engine, settings_factory, settings, tmp_path):
    custom = settings_factory(settings.database.url, profiles={"myhall": {
        "kind": "rating",
        "fields": {"评价结果": "level_raw", "评价时间": "rated_at", "意见": "text", "窗口": "dept_name"},
        "level_scheme": "text",
        "level_map": {"好": 5, "较好": 4, "一般": 3, "较差": 2, "差": 1},
        "id_fields": [],
        "required": ["评价结果", "评价时间"],
    }})
    path = write_csv(tmp_path / "hall.csv", [
        {"评价结果": "好", "评价时间": "2026-01-05 09:00:00", "意见": "", "窗口": "3号窗口"},
        {"评价结果": "差", "评价时间": "2026-01-05 09:30:00", "意见": "等太久", "窗口": "3号窗口"},
        {"评价结果": "很差很差", "评价时间": "2026-01-05 10:00:00", "意见": "", "窗口": "3号窗口"},
    ])
    res = ingest_file(engine, custom, path)
    assert res.profile == "myhall" and (res.loaded, res.rejected) == (2, 1)
    assert res.first_rejects[0]["column"] == "评价结果"
    with engine.connect() as conn:
        assert sorted(conn.execute(select(Record.level)).scalars()) == [1, 5]
