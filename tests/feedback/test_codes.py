"""Code tables: channels, levels, scores and the national tag dictionaries."""

from feedback import codes


def test_channels_have_chinese_names():
    assert codes.CHANNELS["hall_pad"] == "政务大厅平板电脑"
    assert codes.channel_name("default") == "系统默认评价"
    assert codes.channel_name("nope") is None
    assert set(codes.CHANNELS) == {"pc", "mobile", "qrcode", "hall_pad", "hall_terminal", "phone", "sms",
                                   "default", "hall", "wechat", "web", "other"}
    assert set(codes.CHANNEL_NAMES.values()) <= set(codes.CHANNELS)


def test_levels_scores_and_bad_ratings():
    assert [codes.level_name(x) for x in (5, 4, 3, 2, 1)] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [codes.score_10(x) for x in (5, 4, 3, 2, 1)] == [10, 8, 6, 3, 0]
    assert codes.is_bad(1) and codes.is_bad(2) and not codes.is_bad(3)
    assert codes.score_10(None) is None
    assert codes.LEVEL_WORDS["很满意"] == 5 and codes.LEVEL_WORDS["一般"] == 3


def test_tag_dictionaries_complete_and_disjoint():
    assert len(codes.TAGS_V2) == 40
    assert len(codes.TAGS_V1) == 32
    assert not set(codes.TAGS_V1) & set(codes.TAGS_V2)
    for level in range(1, 6):
        assert len(codes.tags_for_level(level, "v2")) == 8
    assert all(t.level == int(t.code[0]) for t in codes.TAGS.values())


def test_tag_info():
    t = codes.tag_info("110")
    assert (t.text, t.level, t.version, t.is_bad) == ("无理由超过法定办理时间", 1, "v2", True)
    old = codes.tag_info(" 103 ")
    assert old.version == "v1" and old.level == 1
    assert codes.tag_info("509").text == "全国就近办理"
    assert codes.tag_info("999") is None


def test_tag_text_lookup_prefers_v2():
    assert codes.TAG_BY_TEXT["一张清单告知全部申报材料"] == "408"
    assert codes.TAG_BY_TEXT["服务态度差效率低"] == "115"
