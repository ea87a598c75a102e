"""Grouping of complaint signals: category × 事项, halls for on-site problems, concrete place topics."""

from datetime import datetime, timedelta

import pandas as pd

from feedback.tasks import places
from feedback.tasks.build import build_candidates, task_key
from feedback.tasks.clusters import cluster_topics
from feedback.tasks.config import TaskSettings

T = datetime(2026, 5, 4, 10, 0)

# Two estates with the same kind of problem, and one road with another: three topics, never "噪音" as a theme.
MESSAGES = [
    ("翠湖湾小区旁工地夜间施工噪音扰民", "望江区翠湖湾小区旁边的工地每天晚上施工到凌晨，噪音太大睡不着。"),
    ("投诉翠湖湾小区工地夜间施工", "翠湖湾小区业主反映，旁边工地夜里还在打桩施工，严重扰民。"),
    ("翠湖湾小区附近工地噪音问题", "我们翠湖湾小区附近工地夜间施工噪音扰民，已经一个月了。"),
    ("锦江花园旁工地夜间施工噪音扰民", "清溪区锦江花园旁的工地晚上施工，噪音很大，老人小孩睡不着。"),
    ("投诉锦江花园工地夜间施工", "锦江花园业主反映工地夜间打桩，严重扰民，请城管处理。"),
    ("锦江花园附近工地噪音问题", "锦江花园附近工地夜间施工噪音扰民，希望尽快解决。"),
    ("建设路路灯坏了很久没人修", "清溪区建设路中段路灯坏了两个月，晚上一片漆黑很危险。"),
    ("建设路路灯不亮", "建设路一段的路灯一直不亮，晚上走路很危险，请修一下。"),
]


def test_topics_are_one_problem_at_one_place():
    titles, texts = zip(*MESSAGES, strict=True)
    groups = cluster_topics(list(titles), list(texts), threshold=0.85)
    by_member = {i: g for g in groups for i in g.members}
    assert by_member[0] is by_member[1] is by_member[2]
    assert by_member[3] is by_member[4] is by_member[5]
    assert by_member[0] is not by_member[3]  # same problem, different estate: two tasks
    assert by_member[6] is by_member[7] and by_member[6] is not by_member[0]
    assert "翠湖湾" in by_member[0].anchor and "锦江花园" in by_member[3].anchor
    assert "建设路" in by_member[6].anchor


def test_entity_rules():
    assert places.is_entity("翠湖湾小区") and places.is_entity("58车贷") and places.is_entity("3号线")
    assert not places.is_entity("小区临街") and not places.is_entity("噪音扰民") and not places.is_entity("2019年3月")
    assert places.topic_title("投诉A市翠湖湾小区工地夜间施工？", "翠湖湾小区") == "A市翠湖湾小区工地夜间施工"
    assert places.topic_title("请问办案进度如何了", "58车贷") == "58车贷：办案进度如何了"


def _signals():
    rows, rid = [], 0

    def add(**kw):
        nonlocal rid
        rid += 1
        base = dict(record_id=rid, kind="rating", level=1, hidden=False, category=None, service_code="S1",
                    service_name="社会保障卡申领", dept_code="D1", dept_name="人社局", region_code="439902",
                    channel="mobile", tags=None, title=None, text=None, votes_up=None, votes_down=None,
                    rated_at=T + timedelta(hours=rid), project_no=f"P{rid}", evaluator_hash=f"e{rid}")
        base.update(kw)
        rows.append(base)

    for _ in range(3):
        add(category="online_platform", text="网上办理上传材料失败")
    add(category="online_platform", level=4, hidden=True, text="还行，就是上传材料总失败")
    add(category="timeliness", level=2, text="超过承诺时间还没办好")
    add(category=None, tags="110")  # no score category: the 差评 tag says timeliness
    for _ in range(2):
        add(category="staff_attitude", text="窗口人员态度生硬", service_name="居民身份证换领", service_code="S2",
            dept_name="公安局", dept_code="D2", region_code="439903")
    add(category="staff_attitude", text="态度很差", service_name="户口迁移登记", service_code="S3",
        dept_name="公安局", dept_code="D2", region_code="439903")
    for t, x in MESSAGES[:3]:
        add(kind="message", level=None, title=t, text=x, votes_up=5, votes_down=1, service_code=None,
            service_name=None, dept_code=None, dept_name=None, region_code=None)
    return pd.DataFrame(rows)


def test_service_hall_and_topic_groups():
    cand = build_candidates(_signals(), TaskSettings())
    g = cand.groups.set_index("group")
    sig = cand.signals
    of = dict(zip(sig["record_id"], sig["group"], strict=True))
    # category × 事项: the three 差评 and the hidden complaint about uploads are one task
    assert of[1] == of[2] == of[3] == of[4]
    assert g.loc[of[1], "title"].startswith("社会保障卡申领 — 网上办理与系统")
    assert of[5] == of[6] and g.loc[of[5], "category"] == "timeliness"  # tag 110 fills in the category
    # staff attitude at one hall is one task across services, titled by department
    assert of[7] == of[8] == of[9] and g.loc[of[7], "kind"] == "hall" and "公安局" in g.loc[of[7], "title"]
    # messages about one estate form one topic; they carry no category, so neither does it
    assert of[10] == of[11] == of[12] and g.loc[of[10], "kind"] == "topic"
    assert "翠湖湾" in g.loc[of[10], "title"] and pd.isna(g.loc[of[10], "category"])
    # severity: 非常不满意 > 不满意 > hidden complaint
    w = dict(zip(sig["record_id"], sig["weight"], strict=True))
    assert w[1] > w[5] > w[4]


def test_a_departments_halls_are_one_task_and_a_local_problem_names_its_hall():
    sig = _signals()
    base = sig.iloc[6].to_dict()  # a staff-attitude 差评 at 公安局, region 439903
    queue = [{**base, "record_id": 100 + i, "category": "queue_onsite", "text": "排队太久",
              "region_code": f"43990{i % 4}"} for i in range(8)]
    local = [{**base, "record_id": 200 + i, "text": "态度很差"} for i in range(4)]
    cand = build_candidates(pd.concat([sig, pd.DataFrame(queue + local)], ignore_index=True), TaskSettings())
    g = cand.groups.set_index("group")
    of = dict(zip(cand.signals["record_id"], cand.signals["group"], strict=True))
    # a queue problem in four district halls of one department: one task, not four
    assert len({of[100 + i] for i in range(8)}) == 1
    spread = g.loc[of[100]]
    assert spread["kind"] == "hall" and "4 个区划" in spread["title"] and pd.isna(spread["region_code"])
    assert spread["seg_dept"] == "D2"
    # attitude complaints all from one region: titled as that region's hall
    attitude = g.loc[of[200]]
    assert of[7] == of[200] and "439903" in attitude["title"] and attitude["region_code"] == "439903"


def test_keys_are_stable_and_distinct():
    a = build_candidates(_signals(), TaskSettings()).groups
    b = build_candidates(_signals().sample(frac=1.0, random_state=3), TaskSettings()).groups
    assert sorted(a["task_key"]) == sorted(b["task_key"])
    assert a["task_key"].is_unique
    assert task_key("service", "S1", "timeliness", None) == task_key("service", "S1", "timeliness", None)


def test_a_topic_of_messages_carries_the_category_most_of_them_carry():
    """With the office's 12345 classifier adopted, messages carry its categories: their topic task does too."""
    sig = _signals()
    msg = sig["kind"].eq("message")
    sig.loc[msg, "category"] = ["环境保护", "环境保护", "城乡建设"]
    cand = build_candidates(sig, TaskSettings())
    g = cand.groups.set_index("group")
    of = dict(zip(cand.signals["record_id"], cand.signals["group"], strict=True))
    assert g.loc[of[10], "kind"] == "topic" and g.loc[of[10], "category"] == "环境保护"
