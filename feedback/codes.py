"""Canonical code tables of the domain: channels, rating levels, 10-point scores and national evaluation tags."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

# ---------------------------------------------------------------------------------------------------------------
# Channels (评价渠道). Sources map their own raw codes onto these canonical codes (see etl.profiles).
CHANNELS: MappingProxyType[str, str] = MappingProxyType(
    {
        "pc": "PC端",
        "mobile": "移动端",
        "qrcode": "二维码",
        "hall_pad": "政务大厅平板电脑",
        "hall_terminal": "政务大厅其他终端",
        "phone": "电话",
        "sms": "短信",
        "default": "系统默认评价",
        "hall": "实体大厅",
        "wechat": "微信",
        "web": "政务服务网",
        "other": "其他",
    }
)
DEFAULT_CHANNEL = "default"
OTHER_CHANNEL = "other"

# Chinese channel names (and common variants) as they appear in text exports, e.g. GB/T 39046 评价渠道.
CHANNEL_NAMES: MappingProxyType[str, str] = MappingProxyType(
    {
        **{name: code for code, name in CHANNELS.items()},
        "pc": "pc",
        "pc端": "pc",
        "电脑端": "pc",
        "网页": "pc",
        "移动服务端": "mobile",
        "移动端app": "mobile",
        "app": "mobile",
        "小程序": "mobile",
        "平板电脑": "hall_pad",
        "平板": "hall_pad",
        "窗口评价器": "hall_pad",
        "其他终端": "hall_terminal",
        "自助终端": "hall_terminal",
        "12345": "phone",
        "12345热线": "phone",
        "默认评价": "default",
        "系统默认": "default",
        "大厅": "hall",
        "网站": "web",
    }
)


def channel_name(code: str | None) -> str | None:
    """Chinese name of a canonical channel code (``None`` for unknown or missing codes)."""
    return CHANNELS.get(code) if code else None


# ---------------------------------------------------------------------------------------------------------------
# Levels (5 = best). 差评 = levels 1 and 2.
LEVELS: MappingProxyType[int, str] = MappingProxyType(
    {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
)
BAD_LEVELS: frozenset[int] = frozenset({1, 2})
GOOD_LEVELS: frozenset[int] = frozenset({3, 4, 5})  # 好评 by default; some provinces exclude 基本满意
SCORE_10: MappingProxyType[int, int] = MappingProxyType({5: 10, 4: 8, 3: 6, 2: 3, 1: 0})

# Words naming a level, regardless of the numeric scheme of the source.
LEVEL_WORDS: MappingProxyType[str, int] = MappingProxyType(
    {
        "非常满意": 5,
        "很满意": 5,
        "十分满意": 5,
        "满意": 4,
        "比较满意": 4,
        "较满意": 4,
        "基本满意": 3,
        "一般": 3,
        "不满意": 2,
        "不太满意": 2,
        "较不满意": 2,
        "非常不满意": 1,
        "很不满意": 1,
        "十分不满意": 1,
    }
)


def level_name(level: int | None) -> str | None:
    """Chinese name of a normalised level 1..5."""
    return LEVELS.get(level) if level is not None else None


def is_bad(level: int | None) -> bool:
    """True for a 差评 (不满意 or 非常不满意)."""
    return level in BAD_LEVELS


def score_10(level: int | None) -> int | None:
    """The 10-point bulletin score of a level (非常满意 10 … 非常不满意 0)."""
    return SCORE_10.get(level) if level is not None else None


# ---------------------------------------------------------------------------------------------------------------
# National evaluation tags (测评指标). The first digit of a code is the star level the tag belongs to.
@dataclass(frozen=True)
class TagInfo:
    code: str
    text: str
    level: int
    version: str  # "v2" current national list, "v1" legacy list

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS


TAGS_V2: MappingProxyType[str, str] = MappingProxyType(
    {
        "510": "一窗受理一次办结",
        "511": "可以先受理后补材料",
        "512": "不用提交证明",
        "513": "可以全程网上办理",
        "514": "可以使用手机办理",
        "515": "可以就近办理",
        "516": "无需材料直接办理",
        "517": "服务热情效率高",
        "406": "填写一张表单就可完成申报",
        "407": "在线提交材料窗口核验",
        "408": "一张清单告知全部申报材料",
        "409": "用告知承诺减免申报材料",
        "410": "可以在线预约办理",
        "411": "跑大厅一次办完",
        "412": "可以使用自助机办理",
        "413": "服务态度较好",
        "307": "一次性告知需要补正的材料",
        "308": "提供申报材料样本",
        "309": "在承诺的时间内办结",
        "310": "办事指南指引准确",
        "311": "按办事指南要求的材料即可办理",
        "312": "可以快递送达",
        "313": "跑动次数与承诺的一致",
        "314": "服务态度一般",
        "207": "没有提供材料样本",
        "208": "没有提供材料清单",
        "209": "未在承诺时间内办结",
        "210": "同样内容的证明材料被要求多次提交",
        "211": "承诺网办但无法在线办理",
        "212": "在线预约办理后到实体大厅重复取号排队",
        "213": "窗口人员业务不熟练",
        "214": "服务态度生硬",
        "108": "在办事指南之外增加新的审批条件",
        "109": "需提供办事指南之外的申报材料",
        "110": "无理由超过法定办理时间",
        "111": "办事指南提供样本有错",
        "112": "承诺在线收取申报材料实际无法收取",
        "113": "多头跑窗口和部门",
        "114": "跑动次数与承诺的不一致",
        "115": "服务态度差效率低",
    }
)

TAGS_V1: MappingProxyType[str, str] = MappingProxyType(
    {
        "101": "被要求提交办事指南未列明的申报材料",
        "102": "承诺在线收取申报材料实际无法收取",
        "103": "没有在承诺的时间内办理完该事项",
        "104": "需要到位于实体大厅以外的办公场所提交申报材料",
        "105": "到大厅现场的次数和承诺的不一致",
        "106": "被要求在实体大厅以外的场所先办理再到窗口重新申报或者线上重复提交",
        "107": "在办事指南列明的审批条件之外附加新的审批条件",
        "201": "办事指南列出的申报材料没有提供样本",
        "202": "不能够以清单的方式一次性完整告知要提交的申报材料",
        "203": "同样内容的证明材料已提交过却被要求再次提交",
        "204": "办理完该事项需要到窗口2次以上",
        "205": "实体大厅没有配备现场排队叫号系统",
        "206": "在线预约办理后到实体大厅重复取号排队",
        "301": "按照办事指南的指引能够顺利完成申报",
        "302": "一张清单告知全部申报材料",
        "303": "只进一个实体大厅就能办完",
        "304": "在承诺的时间内办完",
        "305": "跑2次窗口即可办完",
        "306": "实体大厅现场实行排队叫号办理",
        "401": "只需要填写一张表单",
        "402": "在线提交全部材料到窗口核验原件最多跑一次",
        "404": "可以通过自助机办理(限工作时间)",
        "405": "可以在线预约办理",
        "501": "综合窗口收件一次办成",
        "502": "可以容缺受理",
        "503": "不需要提交政府部门出具的证明",
        "504": "不需要提交政府部门出具的证照批文",
        "505": "无需到大厅全程网上办理",
        "506": "自助机随时办理",
        "507": "本市就近办理",
        "508": "本省就近办理",
        "509": "全国就近办理",
    }
)


def _build_tags() -> dict[str, TagInfo]:
    tags: dict[str, TagInfo] = {}
    for version, table in (("v1", TAGS_V1), ("v2", TAGS_V2)):
        for code, text in table.items():
            tags[code] = TagInfo(code=code, text=text, level=int(code[0]), version=version)
    return tags


TAGS: MappingProxyType[str, TagInfo] = MappingProxyType(_build_tags())

# Tag text → code, so exports that carry the tag wording instead of the code still map (v2 wins on equal text).
TAG_BY_TEXT: MappingProxyType[str, str] = MappingProxyType(
    {**{t: c for c, t in TAGS_V1.items()}, **{t: c for c, t in TAGS_V2.items()}}
)


def tag_info(code: str) -> TagInfo | None:
    """The tag with this code (v1 or v2; the two lists use disjoint codes), or ``None`` when unknown."""
    return TAGS.get(str(code).strip())


def tags_for_level(level: int, version: str = "v2") -> list[TagInfo]:
    """All tags of one star level in one dictionary version, in code order."""
    return sorted((t for t in TAGS.values() if t.level == level and t.version == version), key=lambda t: t.code)


# ---------------------------------------------------------------------------------------------------------------
# Chinese names shown for source profiles and record fields (uploads, rejects, exports): the one place for them.
PROFILE_NAMES: MappingProxyType[str, str] = MappingProxyType({
    "national": "全国一体化平台接口", "zhejiang": "浙江省平台接口", "epoint": "新点推送接口", "xian": "西安市平台接口",
    "gbt39046": "国家标准（39046）格式", "message": "12345 热线 / 留言板", "generic_cn": "通用中文表头",
})
FIELD_NAMES: MappingProxyType[str, str] = MappingProxyType({
    "record_key": "记录编号", "project_no": "办件编号", "service_code": "事项编码", "service_name": "事项名称",
    "sub_matter": "子项", "dept_code": "部门编码", "dept_name": "部门名称", "region_code": "行政区划",
    "channel_raw": "评价渠道", "channel": "评价渠道", "level_raw": "满意度", "level": "满意度", "tags": "评价标签",
    "text": "文字评价", "title": "标题", "rated_at": "评价时间", "assess_number": "评价次数", "user_type": "用户类型",
    "user_name": "评价人", "evaluator_id": "评价人证件（仅存哈希）", "is_anonymous": "是否匿名", "is_public": "是否公开",
    "votes_up": "点赞数", "votes_down": "反对数", "reply_text": "答复意见", "replied_at": "答复时间",
    "accepted_at": "受理时间", "promised_at": "承诺办结时间", "handler": "经办人", "is_default": "是否默认评价",
    "source_id": "来源记录编号", "evaluator_name": "评价人姓名（不保存）", "staff_name": "经办人（不保存）",
    "real_name_flag": "是否实名（不保存）", "subject": "子项（不保存）", "level_scheme": "满意度口径",
    "evaluator_hash": "评价人（哈希）", "row_number": "行号", "kind": "类型", "source_system": "来源",
})


def profile_name(name: str | None) -> str:
    """A source profile's name on screens: the built-ins' Chinese names; a user profile's own name."""
    return PROFILE_NAMES.get(name or "", name or "—")


def field_label(field: str | None) -> str:
    """A record field's Chinese name (``level_raw`` → ``满意度``); an unknown field is shown as it is."""
    return FIELD_NAMES.get(field or "", field or "—")
