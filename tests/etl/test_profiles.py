"""Profiles: built-ins, detection from headers, user profiles from config."""

import pytest

from etl.profiles import (
    Profile,
    ProfileError,
    ProfileNotFound,
    all_profiles,
    builtin_profiles,
    detect_profile,
    profile_from_config,
)
from feedback.models import RECORD_COLUMNS

NATIONAL = ["projectNo", "taskCode", "taskName", "subMatter", "deptCode", "proDepart", "areaCode", "pf",
            "satisfaction", "evalDetail", "writingEvaluation", "assessTime", "assessNumber", "userProp",
            "userName", "certKeyGOV", "proManager", "acceptDate", "promiseTime"]
HEADERS = {
    "national": NATIONAL,
    "epoint": ["projectno", "pf", "satisfaction", "assessTime", "assessNumber", "evalDetail", "areacode",
               "writingEvaluation"],
    "xian": ["processNumber", "itemCode", "itemName", "channel", "levelCode", "contentCode", "words", "submitTime",
             "number", "anonymityFlag", "publicFlag"],
    "gbt39046": ["办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度", "满意度代码", "文字评价", "行政区划"],
    "message": ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "点赞数", "反对数"],
    "generic_cn": ["评价等级", "评价内容", "评价时间", "渠道", "部门", "事项", "区划"],
}


def test_builtins_in_detection_order():
    names = list(builtin_profiles())
    assert names == ["national", "zhejiang", "epoint", "xian", "gbt39046", "message", "generic_cn"]
    profiles = builtin_profiles()
    assert profiles["message"].kind == "message"
    assert profiles["gbt39046"].level_scheme == "gbt39046"
    assert profiles["zhejiang"].channel_map["7"] == "default"
    assert profiles["national"].channel_map["6"] == "phone"
    assert profiles["zhejiang"].channel_map["6"] == "sms"


@pytest.mark.parametrize("name", list(HEADERS))
def test_detects_each_builtin(name):
    assert detect_profile(HEADERS[name], builtin_profiles()).name == name


def test_national_and_zhejiang_headers_detect_as_national():
    assert detect_profile(NATIONAL, builtin_profiles()).name == "national"
    only_zj = {"zhejiang": builtin_profiles()["zhejiang"]}
    assert detect_profile(NATIONAL, only_zj).name == "zhejiang"  # what --profile zhejiang does


def test_header_matching_tolerates_case_spaces_bom():
    headers = ["\ufeffPROJECTNO ", " Satisfaction", "assesstime", "extra"]
    p = detect_profile(headers, builtin_profiles())
    assert p.name in ("national", "epoint")
    bound = p.bind(headers)
    assert bound["project_no"] == ["\ufeffPROJECTNO "] and bound["rated_at"] == ["assesstime"]


def test_messages_with_replies_and_extra_columns():
    headers = HEADERS["message"] + ["答复意见", "答复时间", "一级分类"]
    p = detect_profile(headers, builtin_profiles())
    assert p.name == "message"
    assert p.bind(headers)["reply_text"] == ["答复意见"]


def test_profile_not_found_lists_headers_and_missing():
    with pytest.raises(ProfileNotFound) as exc:
        detect_profile(["foo", "bar"], builtin_profiles())
    msg = str(exc.value)
    assert "foo、bar" in msg
    assert "全国一体化平台接口：缺少列 projectNo、satisfaction、assessTime" in msg
    assert "通用中文表头：缺少列 评价等级|满意度|评价结果、评价时间" in msg


def test_profile_fields_are_known():
    mapped = {f for p in builtin_profiles().values() for f in p.field_map.values()}
    pseudo = {"source_id", "evaluator_id", "evaluator_name", "staff_name", "subject"}
    assert mapped - pseudo <= set(RECORD_COLUMNS)


def test_user_profile_extends_builtin():
    table = {
        "extends": "generic_cn",
        "fields": {"评价结果2": "level", "窗口": "channel_raw"},
        "level_map": {"好": 5, "差": 1},
        "channel_map": {"窗口评价": "hall_pad"},
        "id_fields": ["办件编号"],
        "required": ["评价结果2", "rated_at"],
    }
    p = profile_from_config("myhall", table)
    assert p.name == "myhall" and p.kind == "rating" and p.level_scheme == "text"
    assert p.field_map["评价结果2"] == "level_raw" and p.field_map["评价内容"] == "text"
    assert p.level_map == {"好": 5, "差": 1}
    assert p.channel_map["窗口评价"] == "hall_pad"
    assert p.id_fields == ("project_no",) and p.required == ("level_raw", "rated_at")
    assert detect_profile(["评价结果2", "评价时间", "窗口"], {"myhall": p}).name == "myhall"


def test_user_profile_standalone_message():
    p = profile_from_config("hotline", {"kind": "message", "fields": {"工单号": "source_id", "内容": "text",
                                                                        "来电时间": "rated_at"},
                                        "id_fields": ["source_id"], "required": ["text"]})
    assert p.kind == "message" and p.id_fields == ("source_id",)


@pytest.mark.parametrize(("table", "message"), [
    ({"fieldz": {}}, r"profiles\.x: unknown key\(s\) fieldz"),
    ({"fields": {"评价": "levelz"}}, r"profiles\.x\.fields\.评价: 'levelz' is not a field"),
    ({"fields": {"评价": "content_hash"}}, r"profiles\.x\.fields\.评价: 'content_hash' is computed"),
    ({"extends": "nope"}, r"profiles\.x\.extends: no built-in profile 'nope'"),
    ({"extends": "generic_cn", "level_map": {"好": 9}}, r"profiles\.x\.level_map\.好: 9 is not a level"),
    ({"extends": "generic_cn", "level_map": {"好": "5"}}, r"profiles\.x\.level_map\.好: expected a level"),
    ({"extends": "generic_cn", "channel_map": {"窗口": "window"}}, r"profiles\.x\.channel_map\.窗口: 'window'"),
    ({"extends": "generic_cn", "kind": "survey"}, r"profiles\.x\.kind: 'survey'"),
    ({"extends": "generic_cn", "level_scheme": "stars"}, r"profiles\.x\.level_scheme"),
    ({"extends": "generic_cn", "required": ["project_no2"]}, r"profiles\.x\.required\[0\]"),
    ({"fields": {"a": "text"}, "required": ["rated_at"]}, r"profiles\.x\.required: 'rated_at' is not a field"),
    ({"extends": "generic_cn", "id_fields": "project_no"}, r"profiles\.x\.id_fields: expected a list"),
])
def test_user_profile_errors_name_the_key(table, message):
    with pytest.raises(ProfileError, match=message):
        profile_from_config("x", table)


def test_all_profiles_adds_and_overrides():
    profiles = all_profiles({"national": {"channel_map": {"8": "wechat"}}, "mine": {"extends": "xian"}})
    assert list(profiles)[:7] == list(builtin_profiles())
    assert profiles["national"].channel_map["8"] == "wechat" and profiles["national"].channel_map["1"] == "pc"
    assert profiles["mine"].field_map == builtin_profiles()["xian"].field_map
    assert all_profiles({}) == builtin_profiles()


def test_profile_validates_directly():
    with pytest.raises(ProfileError):
        Profile(name="p", field_map={"a": "rated_at"}, required=("text",))
