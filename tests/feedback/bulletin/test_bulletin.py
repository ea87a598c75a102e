"""The monthly bulletin's figures: headline KPIs equal `haocha kpi --json`, scoping, rankings with case mix,
categories with or without scores, de-identified quotes, ledger and tasks summaries, templated sentences."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import update

from feedback.bulletin import build_bulletin
from feedback.bulletin.sections import quote
from feedback.cli import main
from feedback.clock import simulated
from feedback.filters import Filters
from feedback.models import ModelVersion, Record
from feedback.stats.rankings import region_label
from feedback.stats.rollups import refresh_rollups
from tests.feedback.stats.test_kpi import RA, RB, A, B, load_fixture

AS_OF = datetime(2026, 4, 2, 9, 0)


@pytest.fixture
def settings(db_url, settings_factory):
    return settings_factory(db_url, ingest={"chunk_size": 1000}, kpi={"min_ranking_volume": 1, "board_size": 1})


@pytest.fixture
def data(engine):
    ids = load_fixture(engine)
    with engine.begin() as conn:  # stored text is masked on ingest; the quote masks again all the same
        conn.execute(update(Record).where(Record.id == ids["m7"]).values(
            text="超过承诺时间还没办结，打了13812345678也没人接，一直在审核，催了几次都说再等等，真不知道要等到什么时候"))
        conn.execute(update(Record).where(Record.id == ids["m8"]).values(text="又让补材料"))
    return ids


def bulletin(engine, settings, month="2026-03", filters=None, as_of=AS_OF):
    with engine.connect() as conn:
        return build_bulletin(conn, month, filters, settings=settings, as_of=as_of)


def test_headline_equals_haocha_kpi_json(engine, data, settings, runner, config_file):
    """The headline is `haocha kpi --month M --as-of <the bulletin's frozen moment>`."""
    config_file.write_text(config_file.read_text() + "[kpi]\nmin_ranking_volume = 1\n")
    for month, depts in (("2026-03", ()), ("2026-03", (A,)), ("2026-02", (B,))):
        b = bulletin(engine, settings, month, Filters(depts=depts))
        args = ["kpi", "--month", month, "--json", "--as-of", b.ledger.as_of.isoformat(),
                *(x for d in depts for x in ("--dept", d))]
        res = runner.invoke(main, args)
        assert res.exit_code == 0, res.output
        cli = json.loads(res.output.strip().splitlines()[-1])
        assert b.kpis == cli  # every key, every digit, mom and yoy included


def test_sections_of_a_month(engine, data, settings):
    b = bulletin(engine, settings)
    assert b.title == "关于2026年3月政务服务“好差评”情况的通报" and b.issue_no == "清政务办〔2026〕3号"
    # the letterhead of [bulletin]: city in the issuer, 主送机关, "现将……通报如下", closing and signature
    assert b.issuer == "清源市政务服务管理办公室" and b.signature == b.issuer and "市直各有关单位" in b.recipients
    assert b.opening.endswith("现将2026年3月清源市政务服务“好差评”情况通报如下：")
    assert "清源市政务服务管理办公室" in b.closing
    assert (b.kpis["total"], b.kpis["bad"], b.kpis["good_rate"]) == (10, 3, 70.0)
    assert b.channels["total"].sum() == 10 and list(b.levels["level"]) == [5, 4, 3, 2, 1]
    assert b.levels.set_index("level").loc[5, ["active", "default"]].tolist() == [3, 1]
    # rankings: both regions and departments, one on each board (board_size 1)
    assert set(b.regions.table["key"]) == {RA, RB} and set(b.depts.table["key"]) == {A, B}
    assert len(b.depts.red) == 1 and len(b.depts.black) == 1
    assert b.depts.red.iloc[0]["key"] != b.depts.black.iloc[0]["key"]
    assert b.regions.table.set_index("key").loc[RA, "name"] == region_label(RA) == "区划439902"
    # case mix: S1 is department A's alone and S3 B's alone, so their ratings are expected at their channel's 差评率
    # (test_kpi.test_ranking_boards_and_case_mix: A 1.3, B 0.9), not at their own cells' (which gave A 1, B 2: each
    # department's own 差评 explained away); regions RA and RB are the departments' own here, the same figures
    depts = b.depts.table.set_index("key")
    assert depts.loc[A, "expected"] == pytest.approx(1.3) and depts.loc[B, "expected"] == pytest.approx(0.9)
    assert b.regions.table.set_index("key").loc[RB, "expected"] == pytest.approx(0.9)
    # services and tags: S3 has 2 差评 (m7, m8), S1 one (m9); tag 209 and 110 twice each
    assert list(b.services["service_key"])[:2] == ["S3", "S1"] and b.services.iloc[0]["bad"] == 2
    assert set(b.tags["tag"][:2]) == {"110", "209"} and b.tags.iloc[0]["text"]
    assert len(b.tags) == 3
    json.dumps(b.to_dict(), ensure_ascii=False)  # JSON-ready throughout


def test_categories_with_scores_and_masked_quotes(engine, data, settings):
    b = bulletin(engine, settings)
    c = b.complaints
    assert c.classified and c.model_version == "v1"
    names = dict(zip(c.table["category"], c.table["name"], strict=True))
    assert names["timeliness"] == "办理时效" and names["materials"] == "申报材料"
    row = c.table.set_index("category").loc["timeliness"]
    assert (row["bad"], row["hidden"]) == (1, 1)  # m7 差评, m4 hidden complaint
    quotes = " ".join(c.quotes["text"])
    assert "13812345678" not in quotes and "[手机号]" in quotes
    assert all(len(t) <= 41 for t in c.quotes["text"]) and "又让补材料" not in quotes  # too short to quote


def test_no_scores_says_so(engine, data, settings):
    with engine.begin() as conn:
        conn.execute(update(ModelVersion).values(active=False))
    refresh_rollups(engine)
    b = bulletin(engine, settings)
    assert not b.complaints.classified and b.complaints.model_version is None and b.complaints.table.empty
    assert not any("文字意见" in s for s in b.problems)


def test_department_scope_has_only_its_numbers(engine, data, settings):
    b = bulletin(engine, settings, filters=Filters(depts=(A,)))
    assert list(b.depts.table["key"]) == [A] and list(b.regions.table["key"]) == [RA]
    assert set(b.services["service_key"]) <= {"S1", "S2"}
    assert b.kpis["total"] == 5 and b.scope["depts"] == [A] and b.scope["label"] == "部门DA"
    assert all(q["service_name"] != "事项S3" for q in b.complaints.quotes.to_dict("records"))


def test_sentences_state_what_changed_and_where(engine, data, settings):
    b = bulletin(engine, settings)
    first = b.problems[0]
    assert first.startswith("差评率为30.00%，环比上升5.00个百分点，主要集中在")
    # DA and DB both gained one 差评 on February; the tie goes to the unit with more 差评 (m7, m8)
    assert first.endswith("主要集中在区划439903部门DB（差评2条，较上月增加1条）。")
    assert any("差评最多的事项是“事项S3”" in s for s in b.problems)
    # one decimal rule ([bulletin] decimals = 2) for every number, the relative change of counts included
    assert b.summary.startswith("2026年3月，全市共收到有效评价10条，环比上升150.00%，同比上升100.00%")
    assert b.actions and b.notes and any("预期差评数" in n for n in b.notes)


def test_ledger_summary(engine, data, settings):
    from feedback import ledger
    with engine.begin() as conn:
        ledger.sync_cases(conn, now=datetime(2026, 3, 21))
    b = bulletin(engine, settings)
    assert b.ledger.month["cases"] == b.kpis["cases"] == 3
    # the backlog counts every case rated up to the month end (f3 of February, y9 of March 2025 too)
    assert (b.ledger.backlog["open_cases"], b.ledger.backlog["overdue_cases"]) == (5, 5)
    assert set(b.ledger.statuses["name"]) == {"待核实"}
    assert any("超期" in s for s in b.actions)


def test_quote_helper():
    assert quote("  太慢了\n\t一直在审核 ") == "太慢了 一直在审核"
    assert quote("短") is None and quote(None) is None
    assert quote("字" * 50).endswith("…") and len(quote("字" * 50)) == 41


def add_tasks(engine) -> dict[str, int]:
    """Three active tasks through the task repository: two of department A (one accepted), one 12345 topic."""
    from feedback.tasks import repository

    rows = [
        {"task_key": "k1", "kind": "service", "source": "rating", "title": "事项S1 — 办理时效", "category": "timeliness",
         "service_name": "事项S1", "dept_code": A, "dept_name": "部门DA", "region_code": RA, "rank": 2,
         "score": 50.0, "signals": 3},
        {"task_key": "k2", "kind": "hall", "source": "rating", "title": "部门DA窗口 — 服务态度",
         "category": "staff_attitude", "dept_code": A, "dept_name": "部门DA", "region_code": RA, "rank": 3,
         "score": 40.0, "signals": 2},
        {"task_key": "k3", "kind": "topic", "source": "message", "title": "某小区路灯不亮", "rank": 1, "score": 60.0,
         "signals": 5},
    ]
    with engine.begin() as conn:
        build = repository.insert_build(conn, as_of=AS_OF, model_version=None, settings_hash="t", settings={})
        ids = repository.save_tasks(conn, rows, build)
        with simulated(datetime(2026, 3, 20, 10)):  # during the bulletin's month
            repository.change_task(conn, ids["k2"], by="pm", status="accepted", owner="张三")
        with simulated(datetime(2026, 4, 1, 9)):  # after its end: not in the March bulletin
            repository.change_task(conn, ids["k1"], by="pm", status="accepted", owner="李四")
            repository.change_task(conn, ids["k2"], by="pm", status="in_progress", owner="王五")
    return ids


def test_tasks_ranked_with_states_and_scoped(engine, data, settings):
    add_tasks(engine)
    b = bulletin(engine, settings)
    assert list(b.tasks.top["title"]) == ["某小区路灯不亮", "事项S1 — 办理时效", "部门DA窗口 — 服务态度"]
    assert b.tasks.total == 3 and dict(zip(b.tasks.states["name"], b.tasks.states["n"], strict=True)) == {
        "新建": 2, "已受理": 1}
    assert b.tasks.top.iloc[1]["category_name"] == "办理时效" and b.tasks.top.iloc[2]["owner"] == "张三"
    assert b.tasks.top.iloc[1]["owner"] is None  # frozen at 03-31: the April changes do not show
    scoped = bulletin(engine, settings, filters=Filters(depts=(A,)))
    assert list(scoped.tasks.top["rank"]) == [2, 3]  # the city-wide topic belongs to no department
    none = bulletin(engine, settings, filters=Filters(depts=(B,)))
    assert none.tasks.total == 0 and none.tasks.top.empty


def test_a_task_past_its_due_date_at_the_month_end_is_overdue_in_the_bulletin(engine, data, settings):
    """March's bulletin judges due dates on 03-31: a task accepted with a due date of 03-25 and still pending then is
    逾期6天 in its task table and named in 下步工作; the same task shipped by 03-28 is not."""
    from datetime import date

    from dashboards.reports.tables import task_table
    from feedback.tasks import repository

    ids = add_tasks(engine)
    with engine.begin() as conn, simulated(datetime(2026, 3, 20, 11)):
        repository.change_task(conn, ids["k2"], by="pm", due=date(2026, 3, 25))
    b = bulletin(engine, settings)
    late = dict(zip(b.tasks.top["title"], b.tasks.top["overdue_days"], strict=True))
    assert late == {"某小区路灯不亮": None, "事项S1 — 办理时效": None, "部门DA窗口 — 服务态度": 6}
    table = task_table(b)
    assert table.rows()[2][-1] == "2026-03-25（逾期6天）" and table.rows()[1][-1] is None
    (step,) = [s for s in b.actions if s.startswith("推进优化任务清单")]
    assert "有2项尚未受理" in step and "有1项已过截止日期仍未上线" in step
    with engine.begin() as conn, simulated(datetime(2026, 3, 28, 9)):
        repository.change_task(conn, ids["k2"], by="pm", status="shipped")
    shipped = bulletin(engine, settings)
    assert shipped.tasks.top["overdue_days"].isna().all()
    assert not any("已过截止日期" in s for s in shipped.actions)


def test_a_department_with_many_more_bad_ratings_than_its_peers_is_named_though_it_alone_handles_its_services():
    """存在问题 names a unit whose 差评 exceed its case-mix expectation by half. A department handles its own
    services; when the services' own 差评率 set the expectation, every department was exactly as expected and none
    could ever be named. Now the one with 12 差评 in 200 ratings, where the city's channel has 16 in 600, is."""
    import pandas as pd

    from feedback.bulletin import findings
    from feedback.stats import rankings
    from feedback.stats.case_mix import case_mix

    rows = [("民政局", "s1", 5, 198), ("民政局", "s1", 1, 2), ("税务局", "s2", 5, 198), ("税务局", "s2", 1, 2),
            ("不动产登记中心", "s3", 5, 188), ("不动产登记中心", "s3", 1, 12)]
    frame = pd.DataFrame([dict(dept_key=d, service_key=s, channel="hall", level=lvl, is_default=False, voided=False,
                               n=n, projects=0, hidden=0) for d, s, lvl, n in rows]).astype({"level": "Int64"})
    mix = case_mix(frame, "dept_key")
    table = mix.assign(eligible=True, key=mix["dept_key"], name=mix["dept_key"])
    named = findings._case_mix(rankings.Ranking("dept", table, table.head(0), table.head(0), min_volume=1))
    assert len(named) == 1 and named[0].startswith("不动产登记中心（实际12条，预期5.3条）的差评明显多于")
    assert "民政局" not in named[0] and "税务局" not in named[0]
