"""Transform: canonical records and rejects from raw chunks of every built-in profile."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from etl.profiles import builtin_profiles, profile_from_config
from etl.transform.chunk import TransformContext, transform
from feedback.models import RECORD_COLUMNS
from feedback.text.pii import keyed_hash

KEY = b"test-key-0123456789"
CTX = TransformContext("unit", KEY, now=dt.datetime(2024, 6, 1, 12, 0, 0))
P = builtin_profiles()


def raw(rows: list[dict], first_row: int = 2) -> pd.DataFrame:
    df = pd.DataFrame(rows).astype("str")
    df["__row__"] = np.arange(first_row, first_row + len(df))
    return df


def national(**over) -> dict:
    row = {"projectNo": "4301002024000001", "taskCode": "11430100000680", "taskName": "社保卡申领",
           "subMatter": None, "deptCode": "11430100MB0000010X", "proDepart": "长沙市人社局", "areaCode": "430100",
           "pf": "4", "satisfaction": "5", "evalDetail": "510,517", "writingEvaluation": "服务好",
           "assessTime": "2024-03-05 09:30:00", "assessNumber": "1", "userProp": "1", "userName": "张三",
           "certKeyGOV": "430101199001011234", "proManager": "李四", "acceptDate": "2024-03-01 10:00:00",
           "promiseTime": "2024-03-10"}
    row.update(over)
    return row


def test_national_record_fields_and_dtypes():
    r = transform(raw([national()]), P["national"], CTX)
    assert list(r.records.columns) == list(RECORD_COLUMNS)
    assert r.rejects.empty and list(r.rejects.columns) == ["row_number", "column", "reason", "raw"]
    rec = r.records.iloc[0]
    assert rec["record_key"] == "4301002024000001#1"
    assert (rec["source_system"], rec["kind"], rec["row_number"]) == ("unit", "rating", 2)
    assert (rec["service_code"], rec["service_name"], rec["dept_name"]) == ("11430100000680", "社保卡申领",
                                                                           "长沙市人社局")
    assert rec["region_code"] == "430100000000"
    assert (rec["channel"], rec["channel_raw"], bool(rec["is_default"])) == ("hall_pad", "4", False)
    assert (rec["level"], rec["level_raw"], rec["level_scheme"]) == (5, "5", "platform")
    assert rec["tags"] == "510,517" and rec["text"] == "服务好" and rec["user_type"] == "person"
    assert rec["rated_at"] == pd.Timestamp("2024-03-05 09:30:00")
    assert rec["accepted_at"] == pd.Timestamp("2024-03-01 10:00:00")
    assert rec["promised_at"] == pd.Timestamp("2024-03-10")
    assert rec["evaluator_hash"] == keyed_hash("430101199001011234", KEY)
    assert len(rec["content_hash"]) == 64
    d = r.records.dtypes
    assert d["level"] == "Int64" and d["assess_number"] == "Int64" and d["votes_up"] == "Int64"
    assert d["is_default"] == "bool" and d["is_anonymous"] == "boolean" and d["row_number"] == "int64"
    for c in ("rated_at", "replied_at", "accepted_at", "promised_at"):
        assert d[c] == "datetime64[us]"
    for c in ("record_key", "project_no", "text", "channel", "content_hash", "evaluator_hash"):
        assert d[c] == "str"


def test_clear_identity_never_in_output():
    r = transform(raw([national(certKeyGOV="430101199001011234", userName="张三", proManager="李四")]),
                  P["national"], CTX)
    dumped = r.records.astype(str).to_json()
    for secret in ("430101199001011234", "张三", "李四"):
        assert secret not in dumped


def test_追评_is_a_separate_record_and_content_hash_is_stable():
    rows = [national(), national(assessNumber="2", satisfaction="1", evalDetail="110")]
    a = transform(raw(rows), P["national"], CTX).records
    b = transform(raw(rows, first_row=10), P["national"], CTX).records
    assert a["record_key"].tolist() == ["4301002024000001#1", "4301002024000001#2"]
    assert a["content_hash"].tolist() == b["content_hash"].tolist()
    assert a["content_hash"].nunique() == 2


def test_channels_national_vs_zhejiang_and_default_flag():
    rows = [national(pf=str(i), projectNo=f"P{i}") for i in range(1, 9)]
    nat = transform(raw(rows), P["national"], CTX).records
    zj = transform(raw(rows), P["zhejiang"], CTX).records
    assert nat["channel"].tolist() == ["pc", "mobile", "qrcode", "hall_pad", "hall_terminal", "phone", "sms",
                                       "other"]
    assert zj["channel"].tolist()[5:] == ["sms", "default", "other"]
    assert zj["is_default"].tolist() == [False] * 6 + [True, False]
    assert not nat["is_default"].any()
    assert nat["channel_raw"].iloc[7] == "8"


def test_gbt39046_levels_are_reversed():
    rows = [{"办件编号": f"BJ{c}", "评价渠道": "移动服务端", "评价人": "430101199001011234", "评价时间": "20240305T093000",
             "评价次数": "1", "满意度": None, "满意度代码": str(c), "文字评价": None, "行政区划": "430102000"} for c in
            range(1, 6)]
    rows.append({**rows[0], "办件编号": "BJW", "满意度": "基本满意", "满意度代码": None})
    r = transform(raw(rows), P["gbt39046"], CTX).records
    assert r["level"].tolist() == [5, 4, 3, 2, 1, 3]
    assert r["level_scheme"].tolist() == ["gbt39046"] * 5 + ["text"]
    assert r["level_raw"].tolist()[:5] == ["1", "2", "3", "4", "5"]
    assert set(r["channel"]) == {"mobile"} and set(r["region_code"]) == {"430102000000"}
    assert r["rated_at"].iloc[0] == pd.Timestamp("2024-03-05 09:30:00")


def test_xian_flags_and_channels():
    rows = [{"processNumber": "X1", "itemCode": "I1", "itemName": "事项", "channel": "2", "levelCode": "4",
             "contentCode": "406|407", "words": None, "submitTime": "2024/3/5 9:30:00", "number": "1",
             "anonymityFlag": "1", "publicFlag": "否"},
            {"processNumber": "X2", "itemCode": "I1", "itemName": "事项", "channel": "5", "levelCode": "2",
             "contentCode": None, "words": "差", "submitTime": "2024/3/5 9:31:00", "number": "1",
             "anonymityFlag": "0", "publicFlag": "maybe"}]
    r = transform(raw(rows), P["xian"], CTX)
    rec = r.records
    assert rec["channel"].tolist() == ["mobile", "wechat"]
    assert rec["is_anonymous"].tolist() == [True, False]
    assert rec["is_public"].iloc[0] == False and pd.isna(rec["is_public"].iloc[1])  # noqa: E712
    assert rec["tags"].tolist()[0] == "406,407"
    assert any("publicFlag" in w and "第 3 行" in w for w in r.warnings)


def test_messages():
    rows = [{"留言编号": "188006", "留言用户": "A000102948", "留言主题": "A3区 问题\t", "留言时间": "2019/2/28 11:25:05",
             "留言详情": "\n\t\t\t详情 电话13812345678\n", "点赞数": "3", "反对数": "0", "答复意见": "已处理",
             "答复时间": "2019-03-01 08:00:00"},
            {"留言编号": "188007", "留言用户": "A1", "留言主题": None, "留言时间": "2019/2/28 11:25:05", "留言详情": " \t",
             "点赞数": "0", "反对数": "0", "答复意见": None, "答复时间": None},
            {"留言编号": None, "留言用户": "A2", "留言主题": "t", "留言时间": "2019/2/28 11:25:05", "留言详情": "d",
             "点赞数": "0", "反对数": "0", "答复意见": None, "答复时间": None}]
    r = transform(raw(rows), P["message"], CTX)
    rec = r.records.iloc[0]
    assert len(r.records) == 1
    assert (rec["record_key"], rec["kind"], rec["title"], rec["text"]) == ("188006", "message", "A3区 问题",
                                                                           "详情 电话[手机号]")
    assert (rec["votes_up"], rec["votes_down"], rec["reply_text"]) == (3, 0, "已处理")
    assert rec["replied_at"] == pd.Timestamp("2019-03-01 08:00:00") and pd.isna(rec["level"])
    assert rec["evaluator_hash"] == keyed_hash("A000102948", KEY)
    rj = r.rejects
    assert rj["row_number"].tolist() == [3, 4]
    assert rj["column"].tolist() == ["留言详情", "留言编号"]
    assert "为空" in rj["reason"].iloc[0] and "留言编号 为空" in rj["reason"].iloc[1]


@pytest.mark.parametrize(("value", "expected"), [
    ("2019/2/28 11:25:05", "2019-02-28 11:25:05"),
    ("2019-02-28 11:25:05", "2019-02-28 11:25:05"),
    ("2019-02-28", "2019-02-28 00:00:00"),
    ("2019/2/28", "2019-02-28 00:00:00"),
    ("20190228T112505", "2019-02-28 11:25:05"),
    ("20190228112505", "2019-02-28 11:25:05"),
    ("2019-02-28T11:25:05", "2019-02-28 11:25:05"),
    ("2019-02-28T03:25:05Z", "2019-02-28 11:25:05"),
    ("2019-02-28T11:25:05+08:00", "2019-02-28 11:25:05"),
    ("2019-02-27T22:25:05.250-05:00", "2019-02-28 11:25:05.250"),
    ("1551324305000", "2019-02-28 11:25:05"),
    ("43524.4757", "2019-02-28 11:25:00"),
    ("2019年2月28日 11时25分", "2019-02-28 11:25:00"),
    ("2019年2月28日", "2019-02-28 00:00:00"),
    ("  ２０１９-02-28\u300011:25:05 ", "2019-02-28 11:25:05"),
])
def test_time_formats(value, expected):
    r = transform(raw([national(assessTime=value)]), P["national"], CTX)
    assert r.rejects.empty, r.rejects.to_dict("records")
    assert r.records["rated_at"].iloc[0] == pd.Timestamp(expected)


def test_mixed_time_formats_in_one_chunk():
    values = ["2019/2/28 11:25:05", "2019-02-28", "20190228T112505", "43524.4757", "2019年2月28日 11时25分"] * 3
    rows = [national(projectNo=f"P{i}", assessTime=v) for i, v in enumerate(values)]
    r = transform(raw(rows), P["national"], CTX).records
    assert r["rated_at"].notna().all() and r["rated_at"].dt.date.astype(str).eq("2019-02-28").all()


def test_rejects_one_per_row_first_problem_named():
    rows = [
        national(projectNo="A", assessTime="2019-13-45"),
        national(projectNo="B", assessTime=None),
        national(projectNo="C", assessTime="2024-06-03 00:00:00"),  # more than a day after ctx.now
        national(projectNo="D", assessTime="1999-12-31 23:59:59"),
        national(projectNo="E", satisfaction="9"),
        national(projectNo="F", satisfaction=None),
        national(projectNo="G", areaCode="43A100"),
        national(projectNo="H", areaCode="43010"),
        national(projectNo=None, assessTime="garbage", satisfaction="0"),  # three problems: the id is first
        national(projectNo="OK"),
    ]
    r = transform(raw(rows), P["national"], CTX)
    assert r.records["project_no"].tolist() == ["OK"]
    rj = r.rejects.set_index("row_number")
    assert list(rj.index) == list(range(2, 11))
    assert rj.loc[2, "column"] == "assessTime"
    assert rj.loc[2, "reason"] == "assessTime '2019-13-45' 不是可识别的日期时间"
    assert rj.loc[3, "reason"] == "assessTime 为空"
    assert "超出合理范围" in rj.loc[4, "reason"] and "超出合理范围" in rj.loc[5, "reason"]
    assert rj.loc[6, "column"] == "satisfaction" and "'9' 不是有效的满意度" in rj.loc[6, "reason"]
    assert "为空" in rj.loc[7, "reason"]
    assert rj.loc[8, "column"] == "areaCode" and "'43A100'" in rj.loc[8, "reason"]
    assert rj.loc[9, "column"] == "areaCode"
    assert rj.loc[10, "column"] == "projectNo"


def test_reject_raw_row_is_masked():
    row = national(assessTime="bad", writingEvaluation="我的电话13812345678")
    raw_row = json.loads(transform(raw([row]), P["national"], CTX).rejects["raw"].iloc[0])
    assert raw_row["certKeyGOV"] == "***" and raw_row["userName"] == "***" and raw_row["proManager"] == "***"
    assert raw_row["writingEvaluation"] == "我的电话[手机号]"
    assert raw_row["projectNo"] == "4301002024000001"


def test_reader_error_rows_become_rejects():
    df = raw([national(), national(projectNo="P2")])
    df["__error__"] = pd.array([None, "该行有 20 个字段，表头有 19 个"], dtype="str")
    r = transform(df, P["national"], CTX)
    assert len(r.records) == 1
    assert r.rejects[["row_number", "column", "reason"]].values.tolist() == [[3, None, "该行有 20 个字段，表头有 19 个"]]


def test_level_words_regardless_of_scheme_and_variants():
    words = ["非常满意", "很满意", "满意", "基本满意", "一般", "不满意", "非常不满意", " 5 ", "１", "4.0"]
    rows = [national(projectNo=f"P{i}", satisfaction=w) for i, w in enumerate(words)]
    for name in ("national", "gbt39046"):
        prof = P["national"] if name == "national" else profile_from_config("g", {"extends": "national",
                                                                                  "level_scheme": "gbt39046"})
        rec = transform(raw(rows), prof, CTX).records
        numbers = [5, 1, 4] if name == "national" else [1, 5, 2]
        assert rec["level"].tolist() == [5, 5, 4, 3, 3, 2, 1, *numbers]


def test_tags_split_dedup_validate_and_unknown_counted():
    rows = [national(projectNo="P1", evalDetail="110, 209|110；999 服务态度差效率低"),
            national(projectNo="P2", evalDetail="999"),
            national(projectNo="P3", evalDetail="510,110")]  # level-contradicting tag: kept, no reject
    r = transform(raw(rows), P["national"], CTX)
    assert r.records["tags"].tolist()[0] == "110,209,115"
    assert pd.isna(r.records["tags"].iloc[1]) and r.records["tags"].iloc[2] == "510,110"
    assert r.unknown_tags == {"999": 2}
    assert r.rejects.empty


def test_text_cleaned_masked_truncated():
    ctx = TransformContext("unit", KEY, max_text_chars=10, now=CTX.now)
    rows = [national(writingEvaluation="\n\t\t好\u3000\u3000很好 ＡＢＣ，谢谢！"),
            national(projectNo="P2", writingEvaluation="车牌湘A12345停在门口，挡路了很久很久")]
    rec = transform(raw(rows), P["national"], ctx).records
    assert rec["text"].tolist() == ["好 很好 ABC，谢", "车牌[车牌号]停在门"]


def test_region_codes_padded_to_width():
    codes = ["430100", "430102001", "430102001002", "44", "4401"]
    rows = [national(projectNo=f"P{i}", areaCode=a) for i, a in enumerate(codes)]
    assert transform(raw(rows), P["national"], CTX).records["region_code"].tolist() == [
        "430100000000", "430102001000", "430102001002", "440000000000", "440100000000"]
    rows = rows[:3]
    ctx9 = TransformContext("unit", KEY, region_width=9, now=CTX.now)
    r = transform(raw(rows), P["national"], ctx9)
    assert r.records["region_code"].tolist() == ["430100000", "430102001"]
    assert r.rejects["column"].tolist() == ["areaCode"]


def test_generic_profile_uses_content_hash_keys():
    rows = [{"评价等级": "满意", "评价内容": "不错", "评价时间": "2024-03-05 10:00", "渠道": "微信", "部门": "税务局",
             "事项": "发票", "区划": "430100"},
            {"评价等级": "1", "评价内容": "太慢", "评价时间": "2024-03-05 11:00", "渠道": "窗口", "部门": "税务局",
             "事项": "发票", "区划": "430100"}]
    rec = transform(raw(rows), P["generic_cn"], CTX).records
    assert rec["level"].tolist() == [4, 1]
    assert rec["channel"].tolist() == ["wechat", "other"] and rec["channel_raw"].tolist()[1] == "窗口"
    assert all(k == "h:" + h for k, h in zip(rec["record_key"], rec["content_hash"], strict=True))
    again = transform(raw(rows, first_row=50), P["generic_cn"], CTX).records
    assert again["record_key"].tolist() == rec["record_key"].tolist()


def test_user_profile_level_map():
    prof = profile_from_config("hall", {"extends": "generic_cn", "level_map": {"好": 5, "中": 3, "差": 1}})
    rows = [{"评价等级": v, "评价时间": "2024-03-05 10:00"} for v in ("好", "中", "差", "满意")]
    assert transform(raw(rows), prof, CTX).records["level"].tolist() == [5, 3, 1, 4]


def test_user_name_hashed_only_when_id_shaped():
    prof = profile_from_config("n", {"extends": "national"})
    rows = [national(certKeyGOV=None, userName="430101199001011234"), national(projectNo="P2", certKeyGOV=None)]
    rec = transform(raw(rows), prof, CTX).records
    assert rec["evaluator_hash"].iloc[0] == keyed_hash("430101199001011234", KEY)
    assert pd.isna(rec["evaluator_hash"].iloc[1])


def test_identity_normalised_before_hashing():
    rows = [national(certKeyGOV="43010119900101123x"), national(projectNo="P2", certKeyGOV=" 43010119900101123X ")]
    rec = transform(raw(rows), P["national"], CTX).records
    assert rec["evaluator_hash"].nunique() == 1


def test_optional_fields_set_empty_with_warning():
    rows = [national(promiseTime="soon", userProp="9")]
    r = transform(raw(rows), P["national"], CTX)
    rec = r.records.iloc[0]
    assert pd.isna(rec["promised_at"]) and pd.isna(rec["user_type"])
    assert rec["record_key"] == "4301002024000001#1"
    assert len(r.warnings) == 2 and any(w.startswith("promiseTime: 1 个值") for w in r.warnings)


def test_long_ids_are_rejected_never_cut():
    rows = [national(projectNo="P" * 64 + "A"), national(projectNo="P" * 64 + "B"), national(projectNo="P" * 64),
            national(projectNo="D1", deptCode="X" * 33), national(projectNo="S1", taskCode="T" * 65)]
    r = transform(raw(rows), P["national"], CTX)
    assert r.records["project_no"].tolist() == ["P" * 64]  # the two 65-character ids did not become this one
    rj = r.rejects.set_index("row_number")
    assert rj["column"].tolist() == ["projectNo", "projectNo", "deptCode", "taskCode"]
    assert rj.loc[2, "reason"].startswith("projectNo '" + "P" * 59) and "超过 64 个字符" in rj.loc[2, "reason"]
    assert "超过 32 个字符" in rj.loc[5, "reason"] and "超过 64 个字符" in rj.loc[6, "reason"]
    assert len(r.records) + len(r.rejects) == len(rows)


def test_assess_number_out_of_range_rejects_the_rating():
    rows = [national(assessNumber="1"), national(assessNumber="1" * 40), national(assessNumber="x"),
            national(assessNumber="2")]
    r = transform(raw(rows), P["national"], CTX)
    assert r.records["record_key"].tolist() == ["4301002024000001#1", "4301002024000001#2"]
    rj = r.rejects.set_index("row_number")
    assert rj["column"].tolist() == ["assessNumber", "assessNumber"]
    assert "不是 1–32767 的整数" in rj.loc[3, "reason"] and "'x'" in rj.loc[4, "reason"]


def test_missing_columns_and_empty_chunk():
    r = transform(raw([{"projectNo": "P1", "satisfaction": "5"}]), P["national"], CTX)
    assert r.rejects["reason"].tolist() == ["缺少时间列（评价时间 / 留言时间）"]
    empty = raw([national()]).iloc[0:0]
    r = transform(empty, P["national"], CTX)
    assert r.records.empty and r.rejects.empty and list(r.records.columns) == list(RECORD_COLUMNS)


def test_larger_chunk_is_consistent():
    n = 20_000
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "projectNo": [f"P{i:08d}" for i in range(n)],
        "pf": rng.integers(1, 8, n).astype(str),
        "satisfaction": rng.integers(1, 6, n).astype(str),
        "assessTime": pd.Series(pd.date_range("2024-01-01", periods=n, freq="min")).dt.strftime("%Y/%m/%d %H:%M:%S"),
        "certKeyGOV": [f"4301011990010{i % 997:05d}" for i in range(n)],
    }).astype("str")
    df["__row__"] = np.arange(2, n + 2)
    r = transform(df, P["national"], CTX)
    assert len(r.records) == n and r.records["record_key"].is_unique
    assert (r.records["level"].astype(str) == df["satisfaction"]).all()
    assert r.records["evaluator_hash"].nunique() == 997
    assert r.records["rated_at"].iloc[-1] == pd.Timestamp("2024-01-14 21:19:00")
