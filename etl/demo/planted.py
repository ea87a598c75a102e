"""The complaint mix of the demo (categories by service and channel) and the problems planted in it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from etl.demo.dates import DEFAULT_END, period, shift_months

CONTROL_SERVICE = "社会保障卡申领"

# Planted problems: the descriptive part (mirrored in tests/fixtures/planted_problems.json) ...
PLANTED: list[dict] = [
    {"id": "P1_gjj_online_outage", "kind": "rating", "service": "住房公积金提取", "place": None,
     "department": "清源市住房公积金管理中心", "category": "online_platform",
     "start": "2026-06-08", "end": "2026-06-21", "channels": [1, 2],
     "keywords": ["登录", "人脸识别", "上传", "闪退", "打不开"],
     "description": "公积金提取的网上系统（i清源APP和政务服务网）故障两周：登录失败、人脸识别不过、材料上传不了、"
                    "APP闪退，移动端和PC端差评集中爆发（211/112），同期有少量12345留言。"},
    {"id": "P2_bdc_queue_growth", "kind": "rating", "service": None, "place": "不动产登记服务大厅",
     "department": "清源市不动产登记中心", "category": "queue_onsite",
     "start": "2026-04-01", "end": "2026-06-30", "channels": [4, 5],
     "keywords": ["排队", "等了", "窗口", "取号", "叫号"],
     "description": "不动产登记中心大厅等候时间在一个季度内持续变长：大厅渠道的基本满意和不满意逐月上升，"
                    "评论集中在排队久、窗口开得少、取号难、过号。"},
    {"id": "P3_yb_extra_materials", "kind": "rating", "service": "医保异地就医备案", "place": None,
     "department": "清源市医疗保障局", "category": "materials",
     "start": "2026-08-03", "end": "2026-09-13", "channels": None,
     "keywords": ["居住证明", "证明", "盖章", "材料", "补"],
     "description": "8月3日起异地就医备案被要求额外提供居住证明和单位盖章的工作证明（办事指南外材料），"
                    "差评（109/210）和反复补材料的评论突然增多，9月中旬取消后回落。"},
    {"id": "P4_baisha_staff_attitude", "kind": "rating", "service": None, "place": "白沙区政务服务中心",
     "department": "清源市公安局", "category": "staff_attitude",
     "start": "2026-03-02", "end": "2026-05-29", "channels": [4, 5], "areaCode": "439903", "proManager": "孙丽萍",
     "keywords": ["态度", "不耐烦", "玩手机", "凶"],
     "description": "白沙区政务服务中心公安窗口一名经办人态度生硬：差评标签214/115集中，"
                    "不少满意评价的文字也在抱怨态度（隐性投诉）。"},
    {"id": "P5_cuihuwan_certificates", "kind": "message", "service": None, "place": "翠湖湾小区",
     "department": "清源市住房和城乡建设局", "category": "timeliness",
     "start": "2026-08-24", "end": "2026-09-30", "channels": None,
     "keywords": ["翠湖湾", "不动产权证", "办证", "开发商", "交房"],
     "description": "望江区翠湖湾小区交房两年多仍办不下不动产权证，业主在一个多月里反复留言，点赞数高。"},
    {"id": "P6_rs_rent_subsidy_delay", "kind": "rating", "service": "人才租房补贴申领", "place": None,
     "department": "清源市人力资源和社会保障局", "category": "timeliness",
     "start": "2026-07-01", "end": "2026-08-31", "channels": None,
     "keywords": ["审核", "到账", "超期", "一直", "补贴"],
     "description": "毕业季人才租房补贴审核积压，大量办件超过承诺时限（110/209），评论抱怨一直在审核、迟迟不到账。"},
    {"id": "C1_control_sscard", "kind": "rating", "service": CONTROL_SERVICE, "place": None,
     "department": "清源市人力资源和社会保障局", "category": None, "start": None, "end": None,
     "channels": None, "keywords": [], "control": True,
     "description": "对照事项：办件量最大，全年平稳，没有植入任何问题，不应排在问题榜前列。"},
]


CATEGORIES = ["timeliness", "materials", "guide_info", "conditions_compliance", "trips_process", "online_platform",
              "staff_attitude", "staff_competence", "queue_onsite", "access_consultation", "complaint_handling",
              "policy_or_invalid"]
CAT_BASE = np.array([0.22, 0.17, 0.07, 0.04, 0.09, 0.10, 0.09, 0.05, 0.08, 0.05, 0.02, 0.02])
CH_BAD = np.array([0.0, 1.6, 1.4, 1.0, 0.8, 1.0, 1.8, 0.0])  # by pf; Zhejiang: 6 短信, 7 系统默认评价
CH_CAT = np.ones((8, len(CATEGORIES)))  # category multipliers by channel: no queue or window staff online
CH_CAT[1:3, [4, 5, 6, 7, 8]] = [0.6, 2.5, 0.15, 0.3, 0.1]
CH_CAT[3:6, 5] = 0.35


def category_weights(col: dict) -> np.ndarray:
    """Per-service weights of the complaint categories, from each service's traits."""
    w = np.tile(CAT_BASE, (len(col["online"]), 1))
    w[:, 5] *= 0.5 + 2 * col["online"]
    w[:, 8] *= 0.5 + 1.5 * (1 - col["online"])
    w[:, 0] *= np.where(col["days"] >= 15, 1.6, 1.0)
    w[:, 1] *= np.where(col["legal"] >= 0.8, 1.3, 1.0)
    w[:, 3] *= np.where(col["legal"] >= 0.8, 1.5, 1.0)
    return w / w.sum(axis=1, keepdims=True)


def planted_plan(end: dt.date = DEFAULT_END) -> list[dict]:
    """The planted problems with their windows moved along with the demo period (unchanged for the default end)."""
    a, b = period(end)[1], period(DEFAULT_END)[1]
    k = (a.year - b.year) * 12 + a.month - b.month
    out = []
    for p in PLANTED:
        q = dict(p)
        for key in ("start", "end"):
            if q.get(key):
                q[key] = shift_months(dt.date.fromisoformat(q[key]), k).isoformat()
        out.append(q)
    return out


@dataclass(frozen=True)
class Effect:
    """How a planted problem bends the ratings inside its window (probabilities added at full strength)."""

    bad: float
    basic: float
    hidden: float
    ramp: bool = False
    staff: bool = False
    overdue: bool = False


# ... and the generative part, which tests do not see.
EFFECTS = {
    "P1_gjj_online_outage": Effect(bad=0.12, basic=0.05, hidden=0.05),
    "P2_bdc_queue_growth": Effect(bad=0.06, basic=0.09, hidden=0.05, ramp=True),
    "P3_yb_extra_materials": Effect(bad=0.06, basic=0.03, hidden=0.03),
    "P4_baisha_staff_attitude": Effect(bad=0.08, basic=0.04, hidden=0.05, staff=True),
    "P6_rs_rent_subsidy_delay": Effect(bad=0.08, basic=0.03, hidden=0.03, overdue=True),
}

