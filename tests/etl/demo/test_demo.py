"""Tests of the demo data generator: format, realism of the distributions, and visibility of planted problems."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from etl.demo import city as demo_city
from etl.demo import planted as demo_planted
from etl.demo.generate import (
    MSG_COLUMNS,
    NATIONAL_COLUMNS,
    generate,
    period,
    planted_plan,
    region_names,
    write_demo,
)
from etl.demo.phrases import TAGS

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "planted_problems.json"
TAXONOMY = {"timeliness", "materials", "guide_info", "conditions_compliance", "trips_process", "online_platform",
            "staff_attitude", "staff_competence", "queue_onsite", "access_consultation", "complaint_handling",
            "policy_or_invalid"}
V2_TAGS = {str(c) for codes in TAGS.values() for c in codes}


@pytest.fixture(scope="module")
def demo():
    return generate(rows=100_000, seed=11)


@pytest.fixture(scope="module")
def ratings(demo) -> pd.DataFrame:
    r = demo.ratings.copy()
    r["lv"] = r["satisfaction"].astype(int)
    r["bad"] = r["lv"] <= 2
    r["date"] = r["assessTime"].str[:10]
    return r


@pytest.fixture(scope="module")
def fixture_plan() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _scope(r: pd.DataFrame, p: dict) -> pd.Series:
    m = r["proDepart"] == p["department"]
    if p.get("service"):
        m &= r["taskName"] == p["service"]
    if p.get("areaCode"):
        m &= r["areaCode"] == p["areaCode"]
    if p.get("channels"):
        m &= r["pf"].isin([str(c) for c in p["channels"]])
    return m


def _window(r: pd.DataFrame, p: dict) -> pd.Series:
    return (r["date"] >= p["start"]) & (r["date"] <= p["end"])


def _rating_problems(plan: list[dict]) -> list[dict]:
    return [p for p in plan if p["kind"] == "rating" and not p.get("control")]


def test_deterministic_for_a_seed():
    a, b = generate(rows=3_000, seed=5), generate(rows=3_000, seed=5)
    pd.testing.assert_frame_equal(a.ratings, b.ratings)
    pd.testing.assert_frame_equal(a.messages, b.messages)
    assert a.planted == b.planted
    c = generate(rows=3_000, seed=6)
    assert not a.ratings.equals(c.ratings)


def test_national_interface_columns_all_strings(demo):
    r = demo.ratings
    assert list(r.columns) == NATIONAL_COLUMNS
    assert len(r) == 100_000
    assert not r.isna().any().any()
    assert all(pd.api.types.is_string_dtype(t) for t in r.dtypes)
    assert r["areaCode"].str.fullmatch(r"4399\d\d").all()
    assert r["deptCode"].str.len().eq(18).all()
    assert (r["taskCode"].str[:18] == r["deptCode"]).all()
    assert r["assessTime"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert (r["acceptDate"] <= r["assessTime"]).all()
    assert set(r["pf"]) == {str(i) for i in range(1, 8)}
    assert set(r["userProp"]) == {"1", "2"}
    assert r["userName"].str.contains(r"\*").all()
    assert r["taskName"].nunique() > 120 and r["proDepart"].nunique() >= 18


def test_period_is_twelve_full_months():
    assert period(dt.date(2026, 10, 31)) == (dt.date(2025, 11, 1), dt.date(2026, 10, 31))
    assert period(dt.date(2026, 11, 15)) == (dt.date(2025, 11, 1), dt.date(2026, 10, 31))
    d = generate(rows=2_000, seed=3, end=dt.date(2027, 3, 15), messages=300)
    assert d.ratings["assessTime"].min() >= "2026-03-01" and d.ratings["assessTime"].max() < "2027-03-01"
    p1 = next(p for p in d.planted if p["id"].startswith("P1"))
    assert (p1["start"], p1["end"]) == ("2026-10-08", "2026-10-21")


def test_every_region_of_the_ratings_has_a_name(ratings):
    names = dict(region_names())
    assert set(ratings["areaCode"]) <= set(names) and len(set(names.values())) == len(names)
    assert names["439903"] == "白沙区"


def test_ids_and_codes_are_well_formed(ratings):
    people = ratings.loc[ratings["userProp"] == "1", "certKeyGOV"]
    assert people.str.fullmatch(r"\d{17}[\dX]").all()
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    for x in people.head(500):
        assert "10X98765432"[sum(int(c) * k for c, k in zip(x[:17], w, strict=True)) % 11] == x[17]
    firms = ratings.loc[ratings["userProp"] == "2", "certKeyGOV"]
    assert firms.str.fullmatch(r"9[12]4399\d\d[0-9A-HJ-NPQRTUWXY]{10}").all()
    assert all(demo_city.credit_code(x[:17]) == x for x in firms.head(300))
    first = ratings[ratings["assessNumber"] == "1"]
    assert first["projectNo"].is_unique
    again = ratings[ratings["assessNumber"] == "2"]
    assert 0 < len(again) < 0.01 * len(ratings)
    assert again["projectNo"].isin(first["projectNo"]).all()


def test_follow_ups_come_after_their_first_rating_and_do_not_pile_up_at_the_years_end(ratings):
    """A 追评 comes one to fifteen days after the first rating; one that would fall after the year's end comes in
    what is left of it, not all at its last second (they sat on top of 评价明细, newest first, at 23:59)."""
    first = ratings[ratings["assessNumber"] == "1"].set_index("projectNo")["assessTime"]
    again = ratings[ratings["assessNumber"] == "2"]
    assert (again["assessTime"].to_numpy() >= first.loc[again["projectNo"]].to_numpy()).all()
    last = ratings["assessTime"].max()
    assert (ratings["assessTime"] == last).sum() == 1 and (again["assessTime"] == last).sum() <= 1


def test_level_distribution_and_defaults(ratings):
    assert (ratings["lv"] >= 3).mean() > 0.99
    active = ratings[ratings["pf"] != "7"]
    assert 0.005 <= (active["lv"] == 3).mean() <= 0.02
    assert ratings["bad"].mean() < 0.006
    defaults = ratings[ratings["pf"] == "7"]
    assert 0.10 <= len(defaults) / len(ratings) <= 0.20
    assert (defaults["satisfaction"] == "5").all()
    assert (defaults["evalDetail"] == "").all() and (defaults["writingEvaluation"] == "").all()
    assert (defaults["assessTime"].str[11:13] < "03").all()
    mix = ratings["pf"].value_counts(normalize=True)
    assert mix.idxmax() in {"2", "4"} and mix["2"] + mix["4"] > 0.5


def test_tags_match_levels(ratings):
    tagged = ratings[ratings["evalDetail"] != ""]
    assert 0.25 < len(tagged) / len(ratings) < 0.6
    for detail, level in zip(tagged["evalDetail"], tagged["satisfaction"], strict=True):
        codes = re.split(r"[,|]", detail)
        assert all(c in V2_TAGS and c[0] == level for c in codes), (detail, level)
    bad = ratings[ratings["bad"]]
    assert (bad["evalDetail"] != "").mean() > 0.8


def test_comments_are_frequent_enough_and_varied(ratings):
    texts = ratings.loc[ratings["writingEvaluation"] != "", "writingEvaluation"]
    assert 0.02 < len(texts) / len(ratings) < 0.08
    assert (ratings.loc[ratings["bad"], "writingEvaluation"] != "").mean() > 0.7
    assert texts.nunique() / len(texts) > 0.5
    assert texts.value_counts().iloc[0] / len(texts) < 0.03
    openings = Counter(t[:6] for t in texts if len(t) > 12)
    assert openings.most_common(1)[0][1] / sum(openings.values()) < 0.05
    lengths = texts.str.len()
    assert lengths.min() <= 2 and lengths.max() >= 80 and 0.2 < (lengths > 20).mean() < 0.8
    joined = "\n".join(texts)
    assert any(w in joined for w in ("莫得", "咋个", "啥子", "蛮好", "晓得"))
    assert re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", joined)
    assert re.search(r"(?<!\d)4399\d{13}[\dX]", joined)


def test_hidden_complaints_in_good_ratings(ratings):
    good = ratings[(ratings["lv"] >= 4) & (ratings["writingEvaluation"] != "")]
    hints = r"但是|就是|不过|可惜|美中不足|唯一不满意|给个好评吧|满意归满意|勉强|本来想给差评"
    complaint = r"排队|等了|审核|态度|打不开|闪退|材料|证明|跑了|窗口|不耐烦|登录|上传|识别"
    hidden = good["writingEvaluation"].str.contains(hints) & good["writingEvaluation"].str.contains(complaint)
    assert hidden.sum() >= 20


def test_fixture_agrees_with_generator_plan(demo, fixture_plan):
    assert fixture_plan == planted_plan() == demo.planted
    assert set(demo_planted.EFFECTS) <= {p["id"] for p in fixture_plan}
    city = demo_city.build_city()
    names = {s["name"] for s in city.svc}
    problems = [p for p in fixture_plan if not p.get("control")]
    assert len(problems) >= 5 and {p["kind"] for p in problems} == {"rating", "message"}
    for p in problems:
        assert p["category"] in TAXONOMY
        assert p["service"] in names or p["place"]
        assert p["department"] in city.dept_names
        assert dt.date.fromisoformat(p["start"]) < dt.date.fromisoformat(p["end"]) <= dt.date(2026, 10, 31)
        assert p["keywords"] and p["description"]
    controls = [p for p in fixture_plan if p.get("control")]
    assert len(controls) == 1 and controls[0]["service"] in names


def test_planted_rating_problems_burst_in_their_windows(ratings, fixture_plan):
    for p in _rating_problems(fixture_plan):
        scope, win = _scope(ratings, p), _window(ratings, p)
        inside, outside = ratings[scope & win], ratings[scope & ~win]
        assert inside["bad"].sum() >= 8, p["id"]
        assert inside["bad"].mean() > 6 * max(outside["bad"].mean(), 1e-4), p["id"]
        texts = inside.loc[inside["bad"] & (inside["writingEvaluation"] != ""), "writingEvaluation"]
        hits = texts.map(lambda t, kw=p["keywords"]: any(k in t for k in kw))
        assert hits.mean() > 0.6, p["id"]


def test_queue_problem_grows_over_the_quarter(ratings, fixture_plan):
    p = next(p for p in fixture_plan if p["category"] == "queue_onsite")
    inside = ratings[_scope(ratings, p) & _window(ratings, p)]
    month = inside["date"].str[:7]
    worse = (inside["lv"] <= 3).groupby(month).mean()
    assert list(worse.index) == ["2026-04", "2026-05", "2026-06"]
    assert worse.iloc[2] > 2 * worse.iloc[0] and worse.iloc[1:].mean() > 1.5 * worse.iloc[0]


def test_staff_problem_points_at_one_window(ratings, fixture_plan):
    p = next(p for p in fixture_plan if p["category"] == "staff_attitude")
    bad = ratings[_scope(ratings, p) & _window(ratings, p) & ratings["bad"]]
    assert (bad["proManager"] == p["proManager"]).mean() > 0.7
    assert bad["evalDetail"].str.contains("214|115").mean() > 0.6


def test_timeliness_problem_overruns_promises(ratings, fixture_plan):
    p = next(p for p in fixture_plan if p["kind"] == "rating" and p["category"] == "timeliness")
    scope, win = _scope(ratings, p), _window(ratings, p)
    late = ratings["assessTime"] > ratings["promiseTime"]
    assert late[scope & win].mean() > 3 * late[scope & ~win].mean()
    assert ratings.loc[scope & win & ratings["bad"], "evalDetail"].str.contains("110|209").mean() > 0.6


def test_control_service_has_no_burst(ratings, fixture_plan):
    control = next(p for p in fixture_plan if p.get("control"))
    ctrl = ratings[ratings["taskName"] == control["service"]]
    assert ctrl["taskName"].size == ratings["taskName"].value_counts().max()  # busiest service
    for p in _rating_problems(fixture_plan):
        assert ctrl.loc[_window(ctrl, p), "bad"].mean() < 0.01, p["id"]
    monthly = ctrl.groupby(ctrl["date"].str[:7])["bad"].sum()
    assert monthly.max() <= max(7, 4 * monthly.mean())
    active = ratings[ratings["pf"] != "7"]
    by = active.groupby("taskName")["bad"].agg(["size", "sum", "mean"])
    assert control["service"] not in by.sort_values("sum", ascending=False).index[:3]
    assert control["service"] not in by[by["size"] >= 300].sort_values("mean", ascending=False).index[:10]


def test_messages_shape_votes_and_answers(demo):
    m = demo.messages
    assert list(m.columns) == MSG_COLUMNS
    assert 1_000 <= len(m) <= 3_000
    assert m["留言编号"].is_unique
    assert m["留言时间"].str.fullmatch(r"2\d{3}/\d{1,2}/\d{1,2} \d{1,2}:\d\d:\d\d").all()
    likes = m["点赞数"].astype(int)
    assert (likes <= 2).mean() > 0.75 and (likes >= 50).sum() >= 5 and likes.max() >= 100
    assert (m["反对数"].astype(int) > 0).any()
    when = pd.to_datetime(m["留言时间"], format="%Y/%m/%d %H:%M:%S")
    answered = m["答复意见"] != ""
    assert answered[when < pd.Timestamp("2026-08-01")].mean() > 0.8
    assert answered[when > pd.Timestamp("2026-10-25")].mean() < 0.6
    assert (m.loc[answered, "答复时间"] != "").all() and (m.loc[~answered, "答复时间"] == "").all()
    assert m["留言详情"].nunique() > 0.95 * len(m)


def test_hot_message_problem_recurs(demo, fixture_plan):
    p = next(p for p in fixture_plan if p["kind"] == "message")
    m = demo.messages
    text = m["留言主题"] + m["留言详情"]
    hot = m[text.str.contains(p["place"]) & text.str.contains("证")]
    assert len(hot) >= 15
    assert hot["留言用户"].nunique() >= 0.9 * len(hot) and hot["留言详情"].nunique() == len(hot)
    when = pd.to_datetime(hot["留言时间"], format="%Y/%m/%d %H:%M:%S")
    assert (when.max() - when.min()).days >= 21
    assert hot["点赞数"].astype(int).sum() > 20 * m["点赞数"].astype(int).mean() * len(hot)


def test_write_demo_files(tmp_path):
    paths = write_demo(tmp_path, rows=2_000, seed=2)
    assert [p.name for p in paths] == ["ratings_zhejiang.csv", "messages_12345.csv"]
    raw_r, raw_m = paths[0].read_bytes(), paths[1].read_bytes()
    assert not raw_r.startswith(b"\xef\xbb\xbf") and raw_m.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(paths[0], dtype=str, keep_default_na=False)
    assert list(back.columns) == NATIONAL_COLUMNS and len(back) == 2_000
    msgs = pd.read_csv(paths[1], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(msgs.columns) == MSG_COLUMNS
