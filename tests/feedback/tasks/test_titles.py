"""Titles of topic tasks: the anchor said once, no echo of the subject, filler never a keyword chip."""

import pytest

from feedback.tasks import places
from feedback.tasks.evidence import keywords_for
from feedback.tasks.titles import group_title


def test_an_anchor_that_holds_the_subject_is_not_repeated():
    t = places.topic_title("建议208路城乡公交增加班次", "建议208路城乡公交增加班次")
    assert t == "208路城乡公交增加班次"
    assert places.topic_title("关于208路城乡公交增加班次的建议", "208路") == "208路城乡公交增加班次的建议"
    assert places.topic_title("金毛湾配套入学的问题", "梅溪湖金毛湾") == "梅溪湖金毛湾：金毛湾配套入学的问题"


def test_group_title_does_not_echo_its_anchor():
    t = group_title("建议208路城乡公交增加班次", "建议208路城乡公交增加班次", ["增加班次", "城乡公交"], 6, 3, 0)
    assert t.count("208路") == 1 and t.count("增加班次") == 1
    assert t.endswith("（6 条，3 周）")
    t = group_title("208路", "208路城乡公交增加班次", ["208路", "班次", "末班车"], 5, 2, 12)
    assert t == "208路城乡公交增加班次、末班车（5 条，2 周，点赞 12）"


def test_keyword_chips_skip_filler_and_pieces_of_names():
    docs = {
        1: ["魅力之城小区一楼夜宵摊油烟扰民，劳动东路上天天有人烧烤", "魅力之城夜宵摊油烟太大，一句话也不听",
            "劳动东路魅力之城楼下夜宵摊油烟，上班都睡不好", "魅力之城夜宵摊烧烤油烟，天天如此"],
        2: ["中海国际社区三期旁空地夜间施工噪音", "中海国际社区夜间施工，天天如此", "国际社区工地夜间施工噪音扰民"],
        3: ["地铁站出口太少", "公交线路调整", "路灯不亮", "垃圾没人清运", "停车位不够"],
        4: ["不动产登记中心窗口下午排队很久", "下午窗口只开一个，排队两小时", "昨天下午去登记，窗口太少排队", "窗口少，下午排队"],
    }
    words = keywords_for(docs, 6, {1: "魅力之城", 2: "国际社区"})
    for g in (1, 2, 4):
        assert not {"一句", "天天", "上班", "东路", "劳动", "中海", "下午", "昨天"} & set(words[g]), words[g]
    assert {"夜宵", "油烟"} <= set(words[1]) and {"施工", "噪音"} <= set(words[2]) and {"窗口", "排队"} <= set(words[4])


# Each case: two groups of complaints whose texts share words that never name a problem, the words the chips must
# skip, and the words that must stay (the problem). Group 3, unrelated texts, is the background.
CHIP_CASES = {
    # hidden complaints found after a turn share 有点 / 美中不足 / 还行: that something was wrong, not what
    "the hedges of a complaint behind praise": (
        ["还行，就是窗口有点少，排队有点久", "美中不足的是窗口太少，排队一个小时", "总体挺好，唯一不足排队太久，窗口少",
         "服务不错，可惜窗口有点少，排队排了很久"],
        ["办得很快，就是材料有点多，复印件要了好几份", "美中不足的是材料重复提交", "还行，只是材料有点多，证明要重复开"],
        {"有点", "美中不足", "还行", "总体", "唯一", "可惜", "只是"}, ({"窗口", "排队"}, {"材料"})),
    # 办好 / 说完 / 拿到 (chips of the demo's service tasks): something got done or was said; a late start stays
    "a verb with its result": (
        ["好不容易办好了，工作人员迟到半小时", "话没说完窗口就迟到走人，最后才办好", "拿到证才知道窗口经常迟到",
         "等到九点半窗口还迟到没人"],
        ["材料交完又说缺一份证明", "问完才知道材料要复印件", "填完表又说材料不对"],
        {"办好", "说完", "拿到", "等到", "交完", "问完", "填完", "知道"}, ({"迟到"}, {"材料"})),
    # a citizen who writes 手机号 before the (masked) number or asks to be called back names no problem with it
    "the contact details a citizen leaves": (
        ["样表是错的，问了三个人三个说法，手机号[手机号]，麻烦回个电话", "指南上的样表错了，联系方式[手机号]",
         "样表填法和指南不一样，手机号码[手机号]，请回电", "指南写的样表过时了，联系电话[手机号]，回个电话"],
        ["排队两个小时，电话号码[手机号]，请回电话", "窗口只开一个排队太久，手机号[手机号]", "排队一上午，联系方式[手机号]"],
        {"手机号", "手机号码", "联系方式", "联系电话", "电话号码", "回个", "回电", "回电话"}, ({"样表"}, {"排队"})),
}


@pytest.mark.parametrize("case", CHIP_CASES)
def test_keyword_chips_skip_words_that_name_no_problem(case):
    first, second, skipped, (kept_first, kept_second) = CHIP_CASES[case]
    words = keywords_for({1: first, 2: second, 3: ["地铁站出口太少", "公交线路调整", "路灯不亮", "垃圾没人清运", "停车位不够"]}, 6)
    for g in (1, 2):
        assert not skipped & set(words[g]), words[g]
    assert kept_first <= set(words[1]) and kept_second <= set(words[2]), words


def test_a_masked_number_is_no_keyword_and_no_part_of_a_subject():
    """The store's texts are masked ([手机号] …); a group whose citizens leave their numbers had 手机号 as its first
    keyword chip, and a subject could start with the token."""
    groups = {0: ["窗口排队太久，有问题打我[手机号]", "排队两个小时，我电话[手机号]", "叫号系统乱，排队很久，[手机号]"],
              1: ["网上办理一直报错", "系统登录不上", "上传材料失败"]}
    assert keywords_for(groups, 5)[0] == ["排队"]
    assert places.lead(None, "[手机号]我要投诉小区噪音[身份证号]") == "我要投诉小区噪音"
