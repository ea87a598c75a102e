"""Chinese phrase fragments and the composers that turn them into demo rating comments and 12345 messages."""

from __future__ import annotations

import random
import re
from functools import lru_cache

import numpy as np

from etl.demo.city import APP, ID_CHECK, ID_W

SLOTS: dict[str, list[str]] = {
    "app": [APP, APP + "APP", APP + "APP", "清源政务服务网", "网上办事大厅", "微信小程序", "手机APP"],
    "hours": ["两个多小时", "一个半小时", "三个小时", "一上午", "快四个小时", "一个多小时", "四十多分钟", "整整一下午",
              "两个钟头"],
    "trips": ["三趟", "好几趟", "四次", "两三趟", "三次", "五六趟"],
    "days": ["十几天", "半个月", "二十多天", "一个多月", "快两个月", "三个礼拜", "十来天", "四十多天"],
    "mat": ["户口本复印件", "居住证明", "社区开的证明", "单位盖章的在职证明", "结婚证原件", "无房证明", "收入证明",
            "租房合同备案", "近期免冠照片", "营业执照副本", "法人授权委托书", "银行流水", "房东身份证复印件",
            "学历证明", "完税证明"],
    "time": ["九点多", "八点半", "十点", "下午两点", "一点半", "刚开门", "十一点", "三点多", "早上七点多"],
    "when": ["今天", "昨天", "上周三", "周一上午", "前天下午", "这周", "上个星期", "今天早上", "周五下午"],
    "wday": ["今天", "昨天", "周一", "上周三", "前天", "周五", "礼拜二"],
    "nth": ["二", "三", "四"],
    "nd": ["一", "两", "半", "一"],
    "friend": ["同事", "朋友", "邻居", "我姐", "群里的人"],
    "qn": ["二十多", "三十几", "五十多", "好几十"],
    "staff": ["窗口的小姑娘", "那个男工作人员", "工作人员", "窗口的大姐", "里面的小伙子", "那个戴眼镜的",
              "后台审核的人", "导办员", "值班的"],
    "win": [f"{n}号窗口" for n in range(1, 19)],
    "num": [f"A{n:03d}" for n in range(12, 180, 7)] + [f"B{n:03d}" for n in range(5, 90, 6)],
    "n": ["两", "三", "四", "五", "七八", "十几", "二十多"],
    "who": ["我妈", "我爸", "家里老人", "我老婆", "孩子", "亲戚", "我爷爷", "老公"],
    "dept2": ["社区", "街道", "派出所", "税务窗口", "银行", "档案馆", "原单位", "不动产中心"],
    "err": ["系统繁忙，请稍后再试", "网络异常", "认证失败", "服务器开小差了", "请求超时", "未知错误", "接口调用失败"],
}

OPEN_BAD = {
    "any": ["{when}来办{svc}，", "帮{who}办{svc}，", "这是第{nth}次来办{svc}了，", "办个{svc}，", "", "", "", "",
            "说实话，", "我想说一下，", "{svc}这个事，"],
    "hall": ["{when}在{hall}办{svc}，", "{wday}{time}到的{hall}，", "在{win}办{svc}，", "去{hall}办{svc}，"],
    "online": ["在{app}上办{svc}，", "用{app}办{svc}，", "网上申请{svc}，", "手机上办{svc}，"],
}
OPEN_GOOD = {
    "any": ["来办{svc}，", "{when}帮{who}办{svc}，", "", "", "", "", "本来以为{svc}很麻烦，结果", "{when}来的，"],
    "hall": ["在{hall}办{svc}，", "{wday}去{hall}办{svc}，"],
    "online": ["第一次用{app}办{svc}，", "听{friend}说{svc}可以网上办，试了一下，", "在{app}上申请{svc}，",
               "晚上在家用{app}弄的{svc}，", "{svc}原来还要跑窗口，现在手机上就行，", "用{app}给{who}办{svc}，"],
}

CORE: dict[str, list[str]] = {
    "timeliness": [
        "提交了{days}了还在审核", "说好的{n}个工作日，到现在都没办好", "一直显示审核中", "催了几次都说在走流程",
        "进度查不到，打电话也说不清楚", "超过承诺时间好久了", "到现在还没到账", "迟迟没有结果",
        "等了{days}，一点消息都没有", "审核太慢了，{days}才批下来", "承诺{n}天办结，结果拖了{days}",
        "打电话问就让等通知", "材料早就交齐了，就是不给办结"],
    "materials": [
        "又让补材料", "同样的{mat}交了{n}遍", "指南上没写要{mat}，到了窗口才说要", "让我回去开{mat}",
        "每次来都说缺一样东西", "要一堆复印件", "材料明明网上传过了，现场还要再交一遍", "非要{mat}，去哪开都不知道",
        "补正通知一次不说完，分{n}次说", "要盖章的证明，单位早就搬了去哪盖", "让我开个证明证明我是我",
        "清单上没有的东西也要"],
    "guide_info": [
        "网上指南和窗口说的不一样", "问了三个人三个说法", "办事指南写得看不懂", "电话里说可以办，来了又说不行",
        "指南上的样表是错的", "没有一次性告知", "政策讲不清楚，一会儿这样一会儿那样", "咨询的时候没说要预约"],
    "conditions_compliance": [
        "非要加一个条件才给办", "让我们找别的部门，那边又让找回来，踢皮球", "不给受理也不说依据",
        "明明符合条件就是不批", "说要先去街道盖章才收件", "材料齐全还给退回来了", "要收什么服务费，也没有收据"],
    "trips_process": [
        "跑了{trips}才办完", "来回跑了{trips}", "这个窗口让去那个窗口，那个窗口又让回来", "要先去{dept2}再回来",
        "数据不共享，每个部门都要重新填一遍", "流程太繁琐了", "承诺最多跑一次，我都跑{trips}了",
        "同一个表格填了{n}遍", "还要跑到别的办公楼去盖章"],
    "online_platform": [
        "{app}一直登录不上", "人脸识别一直不通过", "材料上传不了", "APP老是闪退", "网页打不开", "一直提示{err}",
        "提交的时候卡住不动", "验证码收不到", "说可以网上办，结果网上根本办不了", "填了半天一提交全没了",
        "系统太难用，老年人根本不会操作", "页面一直转圈", "上传照片一直说格式不对", "刷脸刷了{n}次都失败"],
    "staff_attitude": [
        "{staff}态度很差", "问两句就不耐烦", "{staff}上班时间玩手机", "说话很冲，跟欠他钱一样", "爱答不理的，态度冷淡",
        "窗口没人，说是去吃饭了，等了半小时", "{staff}很凶", "一问三摇头，脸色很难看", "我问清楚一点就吼我",
        "对老人一点耐心都没有", "办完还让我给好评"],
    "staff_competence": [
        "{staff}业务不熟，问什么都要去问别人", "名字录错了，又得重新办", "一问三不知", "给的答复是错的，白跑一趟",
        "新来的不会操作，搞了半天", "信息录错了还不承认", "几个人讨论半天也说不清楚"],
    "queue_onsite": [
        "排队排了{hours}", "{time}就来取号，{hours}才轮到", "只开了两个窗口", "取号就排了半天", "叫号乱七八糟",
        "过号了就要重新取", "人太多，连坐的地方都没有", "预约了到现场还要重新取号排队", "{win}一直不叫号",
        "号早就取完了，让明天再来", "空调坏了，大厅里闷死人", "等了{hours}，前面还有{qn}个人"],
    "access_consultation": [
        "咨询电话一直打不通", "网上预约一直约满", "打了{n}次电话都没人接", "外地户口就不能在这边办",
        "老人不会用手机，又没有人工窗口", "周末不上班，上班族根本没时间来", "离家太远，不能就近办"],
    "complaint_handling": [
        "上次给了差评也没人联系我", "回访的时候让我把差评改了", "反映了问题到现在没回复",
        "说整改了，其实一点没变", "打电话来就是让我撤销评价", "回复都是套话"],
    "policy_or_invalid": [
        "政策太死板了", "为什么非要本地户口", "补贴标准太低了",
        "规定不合理", "年龄超了一天就不能办", "这个收费标准谁定的"],
}

DETAIL: dict[str, list[str]] = {
    "timeliness": ["孩子上学还等着用", "房东催着要", "打12345才有人回", "窗口说系统在升级", "审核的人说排不过来"],
    "materials": ["来回折腾", "网上说的和现场要的根本不一样", "老家离这几百公里", "请了{nd}天假", "复印还要自己出去找地方"],
    "online_platform": ["换了{n}个手机都不行", "电脑上也试了", "最后还是跑到大厅办的", "客服电话也打不通",
                        "网上说的一网通办呢", "晚上十一点还在弄"],
    "queue_onsite": ["请了半天假过来", "带着孩子等", "老人站了一上午", "中午还关了一个窗口", "后面来的倒先办了"],
    "staff_attitude": ["我就问了一句话", "我是第一次办不懂很正常", "旁边的人都看不下去", "老人家都被说哭了"],
    "trips_process": ["车费都花了不少", "请了{nd}天假", "腿都跑断了"],
}

WISH = {
    "any": ["希望改进", "希望有关部门重视", "请领导管一管", "希望以后不要这样了", "差评！", "真的很失望",
            "不知道找谁反映", "", "", "", ""],
    "timeliness": ["希望加快审核", "能不能给个准确时间", "到底要等到什么时候"],
    "materials": ["能不能把材料清单写清楚", "希望能一次性告知", "别再让老百姓开奇葩证明了"],
    "guide_info": ["希望统一口径", "指南能不能更新一下"],
    "trips_process": ["希望数据能共享", "说好的最多跑一次呢"],
    "online_platform": ["建议把网上系统修一修", "希望尽快修复系统", "能不能保留线下办理"],
    "staff_attitude": ["希望管管工作人员的态度", "希望加强培训", "请给这个窗口换个人"],
    "staff_competence": ["希望加强培训", "业务都不熟怎么上岗的"],
    "queue_onsite": ["建议多开几个窗口", "高峰期能不能多开窗口", "预约了就不要再排队了"],
    "access_consultation": ["希望多安排人接电话", "能不能周末也开放"],
}
MISCLICK = ["点错了", "不小心点成差评了，其实挺好的", "手滑点错了，不好意思", "点错了，服务挺好的"]
ANGER = ["太差劲了", "什么破系统", "真的服了", "气死人", "无语", "老百姓办个事咋这么难", "再也不想来了",
         "浪费时间", "一肚子火"]

PRAISE: dict[str, list[str]] = {
    "speed": ["十来分钟就办好了", "效率很高", "比想象的快多了", "当场就办完了", "没怎么排队", "前后不到半小时",
              "上午交的下午就批了", "第二天就审核通过了", "速度快"],
    "staff": ["{staff}很耐心", "工作人员服务态度很好", "{staff}讲的很清楚", "{win}的工作人员特别热情",
              "对老人很照顾", "一遍一遍教我们怎么填", "主动帮我复印材料", "导办员全程帮忙"],
    "online": ["在手机上就办好了", "不用跑腿", "网上提交很方便", "{app}操作简单", "一次都没跑", "在家里就能办",
               "刷个脸就办完了", "到账很快"],
    "guide": ["材料清单很清楚", "一次性告诉我要带什么", "指南写的很明白", "有样表照着填就行", "电话咨询说的很详细"],
    "general": ["方便快捷", "很满意", "办事顺利", "体验很好", "比以前方便多了", "挺好的", "服务到位", "环境也不错"],
}
CLOSE_GOOD = ["点赞！", "谢谢！", "辛苦了", "继续保持", "给你们点个赞", "为{hall}点赞", "非常感谢", "好评", "", "", ""]
SHORT_GOOD = ["很好", "好", "满意", "非常满意", "不错", "方便", "很方便", "快捷", "挺好的", "好评", "点赞", "服务好",
              "效率高", "赞", "非常好", "很满意", "还不错", "方便快捷", "办事效率高", "五星好评", "好好好", "满意满意",
              "服务很好", "很快", "可以", "感谢", "谢谢", "棒", "给力"]
SHORT_BAD = ["太慢了", "差", "很差", "不满意", "差评", "办不了", "麻烦", "等太久", "效率太低", "没人管", "系统太烂",
             "太麻烦了", "态度差", "垃圾", "不行"]
NEUTRAL = ["一般", "还行", "还可以吧", "凑合", "一般般", "还行，就是人有点多", "马马虎虎", "还好", "流程有点复杂",
           "就那样吧", "整体还行", "办是办了，就是有点慢", "中规中矩"]
HIDDEN_OPEN = ["给个好评吧，但是", "好评是给{staff}的，", "满意归满意，", "本来想给差评，想想算了，", "总体还行，就是",
               "五星，不过说句实话，", "评个满意吧，", "事情是办成了，可是", "不想给差评，但", "勉强满意，"]
CONTRADICTS = {"timeliness": "speed", "queue_onsite": "speed", "staff_attitude": "staff", "staff_competence": "staff",
               "materials": "guide", "guide_info": "guide", "trips_process": "speed"}
MIXED_JOIN = ["，但是", "，就是", "，不过", "，可惜", "。唯一不满意的是", "，美中不足的是"]
FIXED = ["后来工作人员主动打电话联系我，问题解决了", "追评：第二天就有人回访，已经办好了", "整改的挺快，给个好评",
         "上次的问题已经处理了，谢谢回访", "后来重新提交就通过了，态度也不错"]
UNFIXED = ["追评：问题还是没解决", "到现在也没人联系我", "回访就是走个过场", "说好的整改一点变化都没有",
           "又来了一次，还是老样子"]
LATER_GOOD = ["追评：用了几天确实方便", "第二次来，还是很快", "追评一下，证已经收到了", "后来快递送到家了，很贴心"]

PLANTED_CORE: dict[str, list[str]] = {
    "P1_gjj_online_outage": [
        "公积金提取这几天一直登录失败", "人脸识别过不了，试了{n}次", "租房合同上传不了，一直转圈",
        "{app}点进公积金提取就闪退", "提取页面打不开，提示{err}", "登录进去又被踢出来", "上传材料时报错，提交不了",
        "刷脸一直说不是本人操作，人脸识别就是过不去", "材料上传后提交又显示失败"],
    "P2_bdc_queue_growth": [
        "不动产大厅排队排了{hours}", "过户{time}来取号，{hours}才叫到", "登记窗口只开了两三个", "号被黄牛拿完了",
        "抵押登记的号一天就放那么几个", "取号机前面排长队", "叫号叫到一半系统卡了", "等了{hours}，说下午再来"],
    "P3_yb_extra_materials": [
        "异地就医备案现在要居住证明", "让去社区开居住证明还要盖章", "以前不要的工作证明现在也要了",
        "新规定要单位盖章的证明，退休了哪来的单位", "居住证明开了又说格式不对要重开", "网上备案要上传证明，之前根本不用",
        "为了一个备案补了{n}次材料", "居住证明社区说不归他们开"],
    "P4_baisha_staff_attitude": [
        "{win}的那个女的态度特别差", "问一句就不耐烦，还瞪人", "窗口的人一直在玩手机，态度冷冰冰", "说话很凶，把老人说得不敢问",
        "办证的时候一直甩脸色，态度太差", "嫌我问题多，不耐烦地让我去后面排队", "{staff}态度生硬，爱理不理",
        "我多问一句她就凶我", "上班时间玩手机，叫了几遍才理人"],
    "P6_rs_rent_subsidy_delay": [
        "租房补贴申请了{days}还在审核", "补贴一直不到账", "说好二十个工作日，已经超期了", "打电话问说审核排不过来",
        "人才补贴迟迟没有结果", "审核进度一直没动", "毕业生补贴拖了快两个月"],
}

TYPOS = [("得很", "的很"), ("登录", "登陆"), ("已经", "以经"), ("再也", "在也"), ("在审核", "再审核"),
         ("讲的", "讲得"), ("清楚", "清除"), ("耐心", "耐性"), ("地方", "的方"), ("帐", "账"), ("办理", "办里")]
DIALECT = [("怎么", "咋个"), ("没有", "莫得"), ("什么", "啥子"), ("很好", "蛮好"), ("知道", "晓得"), ("非常", "贼"),
           ("挺好的", "巴适得很"), ("太慢了", "慢得很哦"), ("不知道", "不晓得"), ("很", "老")]
DIALECT_TAIL = ["哦", "嘛", "噻", "撒", "哈", "咯", "嘞", "，真的莫得办法", "，搞不懂咋个回事", "，晓得不", "，啥子效率嘛",
                "，蛮好的", "，巴适"]
PII = ["我电话{phone}，有问题联系我", "联系电话：{phone}", "身份证{idno}的那个件", "有事打{phone}",
       "手机号{phone}，麻烦回个电话", "办件人身份证号{idno}"]
_SLOT = re.compile(r"\{(\w+)\}")

# ---- evaluation tags (national list v2; first digit = star level) ----------------------------------------------
TAGS = {5: list(range(510, 518)), 4: list(range(406, 414)), 3: list(range(307, 315)), 2: list(range(207, 215)),
        1: list(range(108, 116))}
GOOD_WEIGHTS = {  # online channels favour the online tags, hall channels the window ones
    (5, True): [1, 1, 2, 1, 4, 4, 1, 2], (5, False): [4, 3, 2, 1, 1, 2, 2, 4],
    (4, True): [2, 4, 1, 2, 3, 1, 1, 1], (4, False): [2, 2, 3, 2, 1, 3, 2, 4],
}
CAT_TAGS = {"timeliness": ([110], [209]), "materials": ([109], [210, 207, 208]), "online_platform": ([112], [211]),
            "staff_attitude": ([115], [214]), "staff_competence": ([115, 113], [213]), "queue_onsite": ([115], [212]),
            "trips_process": ([113, 114], [210]), "conditions_compliance": ([108], [208]),
            "guide_info": ([111], [207, 208])}
L3_EXCLUDE = {"timeliness": {309}, "materials": {307, 308, 311}, "queue_onsite": {313}, "trips_process": {313},
              "guide_info": {310}, "staff_attitude": {314}}


def _sep(online: bool) -> str:
    return "," if online else "|"


@lru_cache(maxsize=8)
def tag_pool(level: int, online: bool) -> np.ndarray:
    """400 plausible tag strings for good ratings, to be drawn by index (vectorised)."""
    r = random.Random(level * 10 + online)
    codes, w = TAGS[level], GOOD_WEIGHTS[(level, online)]
    out = []
    for _ in range(400):
        k = r.choice([1, 1, 1, 2, 2, 3])
        picked: list[int] = []
        while len(picked) < k:
            c = r.choices(codes, w)[0]
            if c not in picked:
                picked.append(c)
        out.append(_sep(online).join(map(str, picked)))
    return np.array(out, dtype=object)


def problem_tags(r: random.Random, level: int, cat: str | None, online: bool) -> str:
    """Tags of a 基本满意 or 差评 rating, consistent with its level and (when known) the complaint category."""
    if level == 3:
        if cat == "staff_attitude":
            return "314"
        pool = [c for c in TAGS[3][:-1] if c not in L3_EXCLUDE.get(cat or "", set())]
        return "" if r.random() < 0.35 else _sep(online).join(map(str, r.sample(pool, r.choice([1, 1, 2]))))
    if r.random() < 0.1:
        return ""
    first = r.choice(CAT_TAGS[cat][level - 1]) if cat in CAT_TAGS else r.choice(TAGS[level])
    out = [first]
    if r.random() < 0.3:
        extra = r.choice(TAGS[level])
        if extra != first:
            out.append(extra)
    return _sep(online).join(map(str, out))


def fake_phone(r: random.Random) -> str:
    return "1" + r.choice("3456789") + "".join(r.choice("0123456789") for _ in range(9))


def fake_id(r: random.Random, region: str = "439902") -> str:
    body = region + f"{r.randint(1950, 2005)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(1, 999):03d}"
    return body + ID_CHECK[sum(int(c) * int(w) for c, w in zip(body, ID_W, strict=True)) % 11]


class Composer:
    """Builds one comment at a time from fragments; all randomness comes from one seeded random.Random."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def fill(self, text: str, ctx: dict) -> str:
        r = self.r

        def sub(m: re.Match) -> str:
            key = m.group(1)
            if key in ctx:
                v = ctx[key]
                return r.choice(v) if isinstance(v, list) else v
            if key == "phone":
                return fake_phone(r)
            if key == "idno":
                return fake_id(r, ctx.get("region", "439902"))
            return r.choice(SLOTS[key])

        return _SLOT.sub(sub, text)

    def _complaint_clauses(self, cat: str, planted: str | None, k: int) -> list[str]:
        r = self.r
        pool = PLANTED_CORE[planted] if planted in PLANTED_CORE and r.random() < 0.8 else CORE[cat]
        out = r.sample(pool, min(k, len(pool)))
        if cat in DETAIL and r.random() < 0.45:
            out.append(r.choice(DETAIL[cat]))
        return out

    def _open(self, table: dict, ctx: dict) -> str:
        r = self.r
        return r.choice(table["online" if ctx.get("online") else "hall"] if r.random() < 0.4 else table["any"])

    def comment(self, tone: str, cat: str | None, ctx: dict, planted: str | None = None) -> str:
        r = self.r
        if tone == "praise":
            text = self._praise(ctx)
        elif tone == "neutral":
            text = r.choice(NEUTRAL)
        elif tone == "complaint":
            text = self._complaint(cat or "timeliness", ctx, planted)
        elif tone == "hidden":
            text = self._hidden(cat or "timeliness", ctx, planted)
        else:
            text = r.choice({"fixed": FIXED, "unfixed": UNFIXED, "later": LATER_GOOD}[tone])
        return self._polish(self.fill(text, ctx), ctx, tone in ("complaint", "hidden", "unfixed"))

    def _praise(self, ctx: dict) -> str:
        r = self.r
        if r.random() < 0.45:
            return r.choice(SHORT_GOOD)
        aspects = ["online", "speed", "general"] if ctx.get("online") else ["staff", "speed", "guide", "general"]
        parts = [r.choice(PRAISE[a]) for a in r.sample(aspects, r.choice([1, 1, 2, 2, 3]))]
        text = self._open(OPEN_GOOD, ctx) + "，".join(parts)
        close = r.choice(CLOSE_GOOD)
        return text + ("，" + close if close else "")

    def _complaint(self, cat: str, ctx: dict, planted: str | None) -> str:
        r = self.r
        if r.random() < 0.12 and not planted:
            return r.choice(SHORT_BAD)
        if cat == "policy_or_invalid" and r.random() < 0.4:
            return r.choice(MISCLICK)
        clauses = self._complaint_clauses(cat, planted, r.choice([1, 1, 2, 2, 3, 4]))
        text = self._open(OPEN_BAD, ctx) + "，".join(clauses)
        if r.random() < 0.3:
            anger = [a for a in ANGER if cat == "online_platform" or "系统" not in a]
            text += r.choice(["，", "！", "。"]) + r.choice(anger)
        wish = r.choice(WISH.get(cat, []) + WISH["any"])
        return text + ("。" + wish if wish else "")

    def _hidden(self, cat: str, ctx: dict, planted: str | None) -> str:
        r = self.r
        clauses = self._complaint_clauses(cat, planted, r.choice([1, 1, 2]))
        if r.random() < 0.5:
            return r.choice(HIDDEN_OPEN) + "，".join(clauses)
        aspects = [a for a in ("staff", "speed", "general", "guide") if a != CONTRADICTS.get(cat)]
        good = r.choice(PRAISE[r.choice(aspects)])
        return good + r.choice(MIXED_JOIN) + "，".join(clauses)

    def _polish(self, text: str, ctx: dict, negative: bool) -> str:
        r = self.r
        text = text.replace("，，", "，").strip("，")
        if r.random() < 0.12:
            a, b = r.choice(TYPOS)
            text = text.replace(a, b, 1)
        if r.random() < 0.07:
            usable = [(a, b) for a, b in DIALECT if a in text]
            if usable and r.random() < 0.7:
                text = text.replace(*r.choice(usable), 1)
            else:
                tails = DIALECT_TAIL[:7] + (DIALECT_TAIL[7:11] if negative else DIALECT_TAIL[11:])
                text += r.choice(tails)
        if len(text) > 6 and r.random() < 0.025:
            text = text.rstrip("。！!") + "，" + self.fill(r.choice(PII), ctx)
        u = r.random()
        if u < 0.08:
            text = text.replace("，", " ")
        elif u < 0.12:
            text = text.replace("，", ",")
        if len(text) > 4 and text[-1] not in "。！!?？" and r.random() < 0.3:
            text += r.choice(["。", "！", "!", "!!!", "。。。"])
        return text


# ---- 12345 messages -------------------------------------------------------------------------------------------
def _t(dept: str, subj: list[str], core: list[str], impact: list[str], ask: list[str], answer: list[str]) -> dict:
    return {"dept": dept, "subj": subj, "core": core, "impact": impact, "ask": ask, "answer": answer}


TOPICS: dict[str, list[dict]] = {
    "estate": [
        _t("住房和城乡建设局", ["{place}物业不作为", "{district}{place}物业服务太差", "投诉{place}物业公司乱收费"],
           ["物业费年年涨，服务越来越差，楼道灯坏了几个月没人修", "物业擅自把小区绿地改成停车位收费",
            "物业收了钱不办事，垃圾在楼下堆了好几天", "小区门禁坏了半年，外人随便进出", "物业从来不公开公共收益的去向"],
           ["业主意见很大", "老人晚上出门摔倒过好几次", "安全隐患很大"],
           ["请住建部门督促物业整改", "希望查一查这家物业公司的资质"],
           ["已约谈物业公司负责人，要求其限期整改", "已责成街道、社区督促物业公开收支情况", "物业公司已承诺于本月底前完成维修"]),
        _t("市场监督管理局", ["{place}电梯三天两头坏", "{place}{b}栋电梯经常困人"],
           ["{b}栋的电梯这个月已经坏了{n}次", "电梯运行时抖得厉害，还有异响", "上周又有老人被困在电梯里半个多小时",
            "电梯用了快二十年，维保单位敷衍了事"],
           ["高层住户只能爬楼", "老人小孩坐电梯都提心吊胆"],
           ["请市场监管部门检查电梯安全", "希望尽快启用维修资金更换电梯"],
           ["已组织特种设备检验机构对该电梯进行检查", "已责令维保单位加强维护，并指导业委会申请维修资金更换电梯"]),
        _t("城市管理和综合执法局", ["{place}停车难", "{place}外来车辆乱停乱放", "{district}{place}消防通道被占"],
           ["小区车位严重不足，晚上消防通道都停满了车", "外来车辆随便进出，业主自己反而没地方停",
            "开发商的车位只卖不租，价格高得离谱", "小区门口的路边被划成了收费车位"],
           ["万一着火消防车根本进不来", "每天下班都要转好几圈找车位"],
           ["请相关部门规范管理", "希望在周边增设公共停车位"],
           ["已安排执法人员对占用消防通道的车辆进行清理", "已协调社区和物业规范车辆进出管理"]),
        _t("生态环境局", ["{place}附近夜间噪音扰民", "{place}广场舞噪音太大", "{place}楼下烧烤店扰民"],
           ["楼下广场舞音响开得特别大，每天晚上跳到十点多", "小区旁边的工地晚上十一二点还在施工",
            "楼下烧烤店每天营业到凌晨两三点，吵闹声不断", "隔壁装修周末一大早就开电钻"],
           ["家里老人孩子晚上根本睡不着", "孩子马上中考了，实在没法学习"],
           ["请环保和城管部门管一管", "希望依法查处"],
           ["已到现场进行噪声监测，对施工单位夜间违规施工依法处罚", "已会同社区对广场舞团队进行劝导，约定了音量和时间"]),
        _t("住房和城乡建设局", ["{place}地下车库漏水严重", "{place}{b}栋楼顶漏水没人管"],
           ["地下车库顶板多处渗水，下雨天积水没过脚踝", "顶楼一下雨就漏水，墙皮都泡掉了", "外墙渗水，屋里墙角都发霉了",
            "还在保修期内，开发商一直推说找物业"],
           ["车停在下面被泡过两次", "家具都泡坏了"],
           ["请住建部门督促开发商维修", "希望尽快落实维修资金"],
           ["已组织开发商、物业现场查看，开发商承诺在保修范围内维修", "已指导业委会申请使用专项维修资金"]),
        _t("住房和城乡建设局", ["{place}经常停水", "{place}水压太低"],
           ["高层水压太低，早晚高峰根本出不了水", "这个月已经停了{n}次水，也不提前通知", "自来水有股怪味，烧开了还有沉淀"],
           ["做饭洗澡都成问题", "家里有老人，很不方便"],
           ["请供水部门检查二次供水设施", "希望停水能提前通知"],
           ["已联系供水企业对二次供水设备进行检修", "经检测水质符合标准，已督促物业定期清洗水箱"]),
        _t("城市管理和综合执法局", ["{place}有人违章搭建", "举报{place}一楼违建"],
           ["一楼住户把花园围起来盖了房子", "顶楼有人私自加建阳光房", "小区公共绿地被人圈起来种菜"],
           ["挡住了消防通道", "影响其他住户采光"],
           ["请城管部门依法拆除"],
           ["经现场核查，已下达限期拆除通知书", "当事人已自行拆除违建部分"]),
        _t("住房和城乡建设局", ["{place}能不能装充电桩", "{place}电动车充电难"],
           ["小区一个电动车充电桩都没有，大家只能从楼上拉线充电", "想在自己车位装充电桩，物业就是不同意"],
           ["飞线充电太危险了"],
           ["希望相关部门协调安装充电设施"],
           ["已协调供电部门和物业对小区充电设施进行规划", "已督促物业配合业主报装充电桩"]),
    ],
    "road": [
        _t("交通运输局", ["{place}路面坑洼不平", "{district}{place}路面破损严重"],
           ["{place}靠近{near}那一段路面坑坑洼洼", "路面塌了一个大坑，只放了个锥桶", "井盖松动，车一压就哐当响"],
           ["骑电动车的摔了好几个", "下雨天根本看不见坑"],
           ["请尽快修补"],
           ["已安排养护单位对破损路面进行修补", "该路段已纳入今年的大修计划"]),
        _t("城市管理和综合执法局", ["{place}路灯不亮", "{place}一段路灯坏了很久"],
           ["{place}靠近{near}有一段路灯已经坏了一个多月", "晚上整条路黑漆漆的"],
           ["晚上出行很不安全", "前几天还有人在那里被抢了包"],
           ["请尽快维修"],
           ["已安排路灯维护人员维修，目前已恢复照明"]),
        _t("公安局", ["{place}和{road2}路口红绿灯设置不合理", "建议{place}路口增设红绿灯"],
           ["路口绿灯时间太短，老人过马路走一半就变红灯", "路口没有红绿灯，车速很快", "早晚高峰堵得动不了"],
           ["孩子上学过马路太危险"],
           ["请交警部门调整信号灯配时"],
           ["交警部门已对该路口信号灯配时进行优化", "已在该路段增设减速带和警示标志"]),
        _t("城市管理和综合执法局", ["{place}占道经营严重", "{place}夜市占道"],
           ["晚上人行道全被摆摊的占了", "沿街商户把货摆到了马路上"],
           ["行人只能走机动车道"],
           ["请城管加强管理"],
           ["已加强该路段巡查，规范设置临时摊点"]),
        _t("城市管理和综合执法局", ["{place}渣土车撒漏严重", "{place}渣土车超速"],
           ["每天晚上渣土车来来往往，一路撒土", "渣土车开得飞快还闯红灯"],
           ["晴天灰尘满天，雨天一地泥", "太危险了"],
           ["请相关部门查处"],
           ["已联合交警对该路段渣土车开展专项整治"]),
        _t("城市管理和综合执法局", ["{place}一下雨就积水", "{place}下穿通道积水"],
           ["稍微下点雨{place}就积水，最深到膝盖", "路边的排水口被堵住了"],
           ["车子熄火在水里", "行人没法过"],
           ["请疏通排水管网"],
           ["已对该路段排水管网进行疏通清淤"]),
    ],
    "school": [
        _t("教育局", ["{place}学区划分不合理", "关于{place}入学划片的问题"],
           ["我们小区离{place}只有几百米，却被划到三公里外的学校", "今年划片突然改了，事先没有征求意见"],
           ["孩子上学要跨好几条大马路"],
           ["请教育局公开划片依据"],
           ["学区划分综合考虑了学位供给和生源情况，已向家长做好解释", "将在明年划片时充分听取意见"]),
        _t("公安局", ["{place}门口上下学拥堵", "{place}放学时段交通混乱"],
           ["放学时间校门口停满了接孩子的车", "家长的车随意掉头"],
           ["孩子在车流里穿来穿去太危险"],
           ["请安排交警疏导"],
           ["已在上下学高峰安排警力疏导，并施划临时停车泊位"]),
        _t("教育局", ["{place}变相收费", "{place}周末补课"],
           ["学校让家长统一买教辅资料", "周六还要上课，说是自愿其实都得去", "课后服务费收得不明不白"],
           ["家长负担很重"],
           ["请教育局调查"],
           ["经调查，学校已停止周末统一补课", "已责令学校规范代收费行为并公示"]),
        _t("市场监督管理局", ["{place}食堂饭菜质量差"],
           ["孩子说食堂饭菜经常是冷的，量也少", "有家长在菜里发现过异物"],
           ["孩子中午吃不饱"],
           ["请市场监管部门检查"],
           ["已对学校食堂开展食品安全检查，并责令整改"]),
    ],
    "market": [
        _t("市场监督管理局", ["{place}卫生脏乱差", "{place}污水横流"],
           ["市场里地面全是污水，苍蝇到处飞", "垃圾堆在门口好几天没人清"],
           ["夏天臭得不行"],
           ["请加强管理"],
           ["已督促市场开办方落实保洁制度"]),
        _t("市场监督管理局", ["{place}缺斤短两", "{place}有商户秤有问题"],
           ["买了两斤肉回家一称只有一斤六两", "好几个摊位的秤都不准"],
           ["老百姓吃了哑巴亏"],
           ["请市场监管部门查处"],
           ["已对市场内计量器具进行抽查，对违规商户依法处理", "已在市场入口设置公平秤"]),
        _t("城市管理和综合执法局", ["{place}周边占道经营", "{place}门口交通堵塞"],
           ["早上市场门口摆满了流动摊贩", "进货车辆堵在路上"],
           ["附近居民出行困难"],
           ["请城管整治"],
           ["已加强早市时段巡查管控"]),
    ],
    "bus": [
        _t("交通运输局", ["{place}班次太少", "建议{place}增加班次"],
           ["{place}早高峰要等半个多小时才来一趟", "车上挤得连门都关不上"],
           ["上班天天迟到"],
           ["请交通部门增加班次"],
           ["已协调公交公司在早晚高峰加密班次"]),
        _t("交通运输局", ["{place}末班车太早"],
           ["{place}末班车七点就收车了", "晚上下班根本赶不上车"],
           ["只能打车回家"],
           ["建议延长运营时间"],
           ["公交公司将结合客流情况研究延长末班时间"]),
        _t("交通运输局", ["{place}司机不按站停车", "投诉{place}司机态度"],
           ["司机经常不进站，在路中间就开门", "司机嫌老人上车慢还骂人", "车开得很猛，老人差点摔倒"],
           ["乘客意见很大"],
           ["请公交公司加强管理"],
           ["已对涉事驾驶员进行批评教育和处罚"]),
        _t("交通运输局", ["{place}改线后很不方便", "{place}撤站"],
           ["{place}改线后我们小区门口的站点取消了", "现在要走一公里才能坐上车"],
           ["老人出行太难了"],
           ["希望恢复原站点"],
           ["将结合市民意见对线路进行优化调整"]),
    ],
    "park": [
        _t("城市管理和综合执法局", ["{place}健身器材损坏", "{place}公厕太脏"],
           ["健身器材坏了好几个，有的还露着钢筋", "公厕常年没人打扫"],
           ["小孩玩的时候很危险"],
           ["请尽快维修"],
           ["已安排维修更换损坏器材，并加强公厕保洁"]),
        _t("公安局", ["{place}遛狗不牵绳"],
           ["很多人遛狗不牵绳，还随地便溺", "大狗追着小孩跑"],
           ["孩子被吓哭了"],
           ["请加强文明养犬管理"],
           ["已联合社区开展文明养犬宣传和巡查"]),
    ],
}

HOT: dict[str, dict] = {
    "P5_cuihuwan_certificates": _t(
        "住房和城乡建设局",
        ["翠湖湾小区交房两年多还办不了房产证", "望江区翠湖湾小区业主办证难", "翠湖湾小区不动产权证到底什么时候能办",
         "再次反映翠湖湾小区办证问题", "恳请解决翠湖湾小区业主的不动产权证", "翠湖湾小区开发商拖延办证",
         "翠湖湾业主的房产证还要等多久", "翠湖湾小区办证问题为何迟迟不解决"],
        ["翠湖湾小区2024年{m}月交房，合同写明交房后{k}日内办理不动产权证，现在已经逾期快一年了",
         "开发商一直说在走流程，问不动产中心说开发商连首次登记都还没申请", "听说是开发商欠了税费，竣工验收备案一直没办完",
         "我们{b}栋{n2}户业主都还没拿到证", "去售楼部问，工作人员一问三不知，只说在等政府审批",
         "上次留言回复说会督促开发商，一个多月过去了还是没有动静", "交房时说一年内办证，现在两年多了"],
        ["没有不动产权证，孩子上学没法登记学位", "想办抵押贷款周转也办不了", "户口落不了，很多事都办不了",
         "房子想卖也卖不了"],
        ["恳请住建局、不动产登记中心联合督办，给业主一个明确的时间表", "希望政府出面约谈开发商",
         "请给我们几百户业主一个说法"],
        ["经核实，翠湖湾小区项目因开发商尚未缴清相关税费、未完成竣工联合验收备案，暂不具备首次登记条件。市住房和城乡建设局"
         "已约谈开发商，要求其限期整改；不动产登记中心将开辟绿色通道，待条件具备后集中为业主办理"]),
    "P1_gjj_online_outage": _t(
        "住房公积金管理中心",
        ["{app}公积金提取一直失败", "公积金网上提取系统是不是坏了", "{app}提取公积金人脸识别过不了"],
        ["这几天在{app}上提取公积金，一直提示{err}", "人脸识别试了十几次都不通过", "租房合同怎么都上传不上去",
         "打公积金中心电话一直占线"],
        ["房租等着交", "请假跑去大厅又要排长队"],
        ["请公积金中心尽快修复系统"],
        ["因系统升级出现兼容性问题，部分用户在线提取受到影响，目前已修复。如仍有问题可到各服务网点办理"]),
}

GREET = ["尊敬的领导：", "领导您好！", "您好，", "", "", "", "尊敬的市长：", "各位领导好，"]
INTRO = {
    "estate": ["我是{district}{place}的业主，", "本人住在{place}{b}栋，", "我们是{place}的住户，", "{place}的居民反映一个问题："],
    "road": ["我每天都要经过{district}{place}，", "{place}附近的居民反映：", "本人住在{place}旁边，", ""],
    "school": ["我家孩子在{place}读书，", "我是{place}的学生家长，", "住在{place}附近，"],
    "market": ["经常去{place}买菜，", "住在{place}附近，", ""],
    "bus": ["我每天坐{place}上下班，", "作为{place}的老乘客，", ""],
    "park": ["经常去{place}散步，", "带孩子去{place}玩的时候发现，", ""],
    "hot": ["我是{district}{place}的业主，", "本人是{place}{b}栋的业主，", "", "{place}业主再次反映："],
}
INTRO["online"] = ["", "本人是公积金缴存职工，", "我是在清源工作的外地人，", "我在{district}上班，"]
SINCE = ["从今年{m}月份开始，", "已经有大半年了，", "最近一个多月，", "这两年来，", "从去年年底到现在，", "最近，", ""]
TRIED = ["打过12345，说转给了相关部门，到现在没下文。", "社区说不归他们管。",
         "去年就有人反映过，一直没解决。", "找过街道，街道让找区里。", "", ""]
CLOSE_MSG = ["恳请相关部门尽快处理！", "希望领导重视，给老百姓一个说法。", "谢谢！", "盼复。", "望早日解决，谢谢！",
             "麻烦尽快回复。", ""]
REPLY_HEAD = ["网友“{user}”您好！您的留言已收悉。现将有关情况回复如下：",
              "您好！您反映的“{subject}”问题已收悉，{dept}高度重视，现答复如下：",
              "网友您好！关于您反映的问题，经{dept}调查核实，现回复如下："]
REPLY_TAIL = ["感谢您对我们工作的关心和支持！", "如有疑问，可拨打{dept}咨询电话0749-{tel}。", "感谢您的监督！"]
MSG_SLOTS = {
    "near": ["公交站", "十字路口", "加油站", "小学门口", "菜市场", "桥头", "地铁口", "医院门口"],
    "road2": ["建设路", "人民中路", "滨江路", "新华路", "青年路", "学府路"],
    "b": [str(i) for i in range(1, 32)],
    "m": [str(i) for i in range(1, 13)],
    "k": ["180", "365", "730"],
    "n2": ["一百多", "两百多", "八十多", "好几十"],
    "tel": [f"8{i:06d}" for i in range(1230, 99999, 3217)],
}


def compose_message(c: Composer, topic: dict, kind: str, ctx: dict) -> tuple[str, str]:
    """A subject and a detail text for one message about one concrete problem at one place."""
    r = c.r
    ctx = {**MSG_SLOTS, **ctx}
    subject = c.fill(r.choice(topic["subj"]), ctx)
    parts = [r.choice(GREET), r.choice(INTRO[kind]), r.choice(SINCE)]
    parts.append("，".join(r.sample(topic["core"], r.choice([1, 2, 2, 3]) if len(topic["core"]) > 2 else 1)) + "，")
    parts.append("，".join(r.sample(topic["impact"], min(len(topic["impact"]), r.choice([1, 1, 2])))) + "。")
    if kind == "estate" and r.random() < 0.3:
        parts.append("跟物业反映过很多次都没用。")
    elif kind not in ("hot", "online"):
        parts.append(r.choice(TRIED))
    parts.append(r.choice(topic["ask"]) + r.choice(["。", "！", "，" + r.choice(CLOSE_MSG)]))
    if r.random() < 0.05:
        parts.append(r.choice(["联系电话{phone}。", "我的电话：{phone}，欢迎来现场核实。", "有需要可以打我手机{phone}。"]))
    detail = c.fill("".join(parts), ctx).replace("，，", "，").replace("：，", "：")
    return subject, detail


def compose_reply(c: Composer, topic: dict, ctx: dict) -> str:
    """A government answer to one message."""
    r = c.r
    ctx = {**MSG_SLOTS, **ctx}
    text = r.choice(REPLY_HEAD) + r.choice(topic["answer"]) + "。" + r.choice(REPLY_TAIL)
    return c.fill(text, ctx)
