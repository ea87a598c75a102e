"""The 总览 page and GET /api/v1/overview: every section against hand counts of a small known data set, filters
on every section, page == API, KPIs == `haocha kpi --json` == the bulletin, scoping, escaping, drill-down links."""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime
from urllib.parse import parse_qsl

import pytest

from dashboards.queries.overview import overview_data, records_query
from feedback.bulletin import build_bulletin
from feedback.bulletin.sections import complaint_section
from feedback.cli import main
from feedback.filters import Filters
from feedback.scoring.taxonomy import taxonomy_of
from feedback.stats import kpi, periods
from feedback.stats.rollups import refresh_rollups
from tests.dashboards.conftest import seed
from tests.dashboards.test_overview_parts import _strings
from tests.feedback.stats.test_kpi import RA, RB, A, B, load_fixture

AS_OF = datetime(2026, 4, 2, 9, 0)
MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
MARCH_ARGS = "start=2026-03-01&end=2026-03-31"
XSS_IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture
def settings(db_url, settings_factory):
    return settings_factory(db_url, ingest={"chunk_size": 1000}, kpi={"min_ranking_volume": 1, "board_size": 1})


@pytest.fixture
def data(engine):
    return load_fixture(engine)


def _card(html_text: str, key: str) -> str:
    m = re.search(rf'data-kpi="{key}">\s*<div class="card-label">[^<]*</div>\s*<div class="card-value">([^<]*)<',
                  html_text)
    assert m, f"no card {key}"
    return m.group(1)


def _figure(html_text: str, element_id: str) -> dict:
    m = re.search(rf'id="{element_id}" data-figure="([^"]*)"', html_text)
    assert m, f"no figure {element_id}"
    return json.loads(html.unescape(m.group(1)))


def _values(v) -> list:
    """A trace's array as plain numbers (Plotly 6 writes numeric arrays as base64 typed arrays)."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def _data(engine, settings, filters=MARCH, dept=None, grain="month"):
    with engine.connect() as conn:
        return overview_data(conn, filters.scoped(dept), dept, grain=grain, settings=settings, now=AS_OF)


def _by(frame, key, col):
    return dict(zip(frame[key], frame[col], strict=True))


def test_overview_cards_equal_the_kpi_module(client_for, engine, users):
    ids = seed(engine)
    refresh_rollups(engine)
    html_text = client_for("admin").get("/").text
    with engine.connect() as conn:
        expected = periods.month_kpis(conn, "2026-03", Filters(), as_of=datetime.now())
    assert "2026-03 月度指标" in html_text
    assert _card(html_text, "total") == f"{expected['total']:,}"
    assert _card(html_text, "good_rate") == f"{expected['good_rate']:.2f}%"
    assert _card(html_text, "bad") == f"{expected['bad']:,}"
    # department scoping: a user of department A sees A's figures only
    with engine.connect() as conn:
        only_a = periods.month_kpis(conn, "2026-03", Filters(depts=(ids["dept_a"],)), as_of=datetime.now())
    assert only_a["total"] < expected["total"]
    scoped = client_for("viewer_a").get("/?dept=" + ids["dept_b"]).text
    assert _card(scoped, "total") == f"{only_a['total']:,}"


def test_every_section_by_hand(engine, data, settings):
    d = _data(engine, settings)
    assert d.period == (date(2026, 3, 1), date(2026, 3, 31)) and d.kpis["month"] == "2026-03"
    assert (d.kpis["total"], d.kpis["bad"], d.total) == (10, 3, 11)  # 10 ratings + 1 message
    # channels: pc m1 m4 m5 m8 m9, mobile m2 m7, default m3 m6, phone m10; 差评 m8 m9 (pc), m7 (mobile)
    assert _by(d.channels, "channel", "total") == {"pc": 5, "mobile": 2, "default": 2, "phone": 1}
    assert _by(d.channels, "channel", "bad") == {"pc": 2, "mobile": 1, "default": 0, "phone": 0}
    assert _by(d.channels, "channel", "bad_rate")["pc"] == 40.0
    # levels, default vs active
    lv = d.levels.set_index("level")
    assert lv.loc[5, ["active", "default"]].tolist() == [3, 1] and lv.loc[3, ["active", "default"]].tolist() == [1, 1]
    assert lv.loc[1, "count"] == 2 and lv["count"].sum() == 10
    # rankings: DA 10+10+10+8+0 = 7.6 points, DB 6+6+3+0+10 = 5.0 → DA on the 红榜, DB on the 黑榜
    assert _by(d.depts.table, "key", "total") == {A: 5, B: 5}
    assert list(d.depts.red["key"]) == [A] and list(d.depts.black["key"]) == [B]
    assert _by(d.depts.table, "key", "avg_score_10") == {A: 7.6, B: 5.0}
    assert set(d.regions.table["key"]) == {RA, RB}
    # categories (active version v1): m4 hidden + m7 差评 timeliness, m8 materials; m9 and the message unscored
    cats = d.categories.set_index("category")
    assert cats.loc["timeliness", ["bad", "hidden", "total"]].tolist() == [1, 1, 2]
    assert cats.loc["materials", "total"] == 1 and cats.loc["_unscored", ["bad", "messages"]].tolist() == [1, 1]
    assert list(d.categories["category"])[-1] == "_unscored"  # residual rows last
    # services: S3 has m7 and m8, S1 has m9
    assert list(d.services["service_key"][:2]) == ["S3", "S1"] and list(d.services["bad"][:2]) == [2, 1]
    # trend by month: February has f1..f4 (one 差评 f3), March the 10 above
    t = d.trend.set_index("period")
    assert t.loc[date(2026, 3, 1), ["total", "bad"]].tolist() == [10, 3]
    assert t.loc[date(2026, 2, 1), ["total", "bad"]].tolist() == [4, 1]
    assert len(d.trend) == 12 and d.trend["period"].iloc[-1] == date(2026, 3, 1)


def test_sections_agree_with_the_bulletin(engine, data, settings):
    d = _data(engine, settings)
    with engine.connect() as conn:
        b = build_bulletin(conn, "2026-03", Filters(), settings=settings, as_of=AS_OF)
        complaints = complaint_section(conn, MARCH, taxonomy_of(settings))
    assert {k: v for k, v in d.kpis.items() if k != "as_of"} == {k: v for k, v in b.kpis.items() if k != "as_of"}
    cols = ["key", "rank", "total", "bad", "bad_rate", "adjusted_bad_rate", "avg_score_10", "avg_score_10_mom"]
    for mine, theirs in ((d.depts, b.depts), (d.regions, b.regions)):
        assert mine.table[cols].equals(theirs.table[cols])
        assert list(mine.red["key"]) == list(theirs.red["key"]) and list(mine.black["key"]) == list(theirs.black["key"])
    assert d.channels[["channel", "total", "bad_rate", "share"]].equals(b.channels[["channel", "total", "bad_rate",
                                                                                   "share"]])
    assert d.levels[["level", "active", "default"]].equals(b.levels[["level", "active", "default"]])
    top = d.services.head(len(b.services))
    assert top[["service_key", "bad", "bad_rate", "bad_prev"]].equals(b.services[["service_key", "bad", "bad_rate",
                                                                                 "bad_prev"]])
    assert list(d.tags["tag"][:3]) == list(b.tags["tag"])
    # categories from the rollups = the bulletin's from the records
    cols = ["category", "bad", "hidden", "messages", "total", "share"]
    assert d.categories[cols].reset_index(drop=True).equals(complaints.table[cols].reset_index(drop=True))


def test_filters_apply_to_every_section(engine, data, settings):
    d = _data(engine, settings, Filters(start=MARCH.start, end=MARCH.end, channels=("pc",)))
    assert d.kpis["total"] == 5 and d.total == 5
    assert list(d.channels["channel"]) == ["pc"] and d.levels["count"].sum() == 5
    assert sum(d.depts.table["total"]) == 5 and sum(d.regions.table["total"]) == 5
    assert _by(d.services, "service_key", "bad") == {"S1": 1, "S3": 1}  # m7 (mobile) is out
    assert _by(d.categories, "category", "total") == {"timeliness": 1, "materials": 1, "_unscored": 1}
    assert d.trend.set_index("period").loc[date(2026, 3, 1), "total"] == 5
    for frame in (d.channels, d.levels, d.trend, d.depts.table, d.services):
        assert all("channel=pc" in q for q in frame["records_query"])
    # a service filter reads the fine rollup: S3 = m7, m8, m10
    s3 = _data(engine, settings, Filters(start=MARCH.start, end=MARCH.end, services=("S3",)))
    assert s3.kpis["total"] == 3 and s3.kpis["bad"] == 2 and set(s3.channels["channel"]) == {"mobile", "pc", "phone"}
    assert list(s3.services["service_key"]) == ["S3"] and set(s3.depts.table["key"]) == {B}


def test_drill_down_links_open_the_records_behind_a_mark(client_for, engine, data, settings, users):
    d = _data(engine, settings)
    client = client_for("admin")
    pc = d.channels.set_index("channel").loc["pc", "records_query"]
    assert dict(parse_qsl(pc)) | {"channel": "pc"} == dict(parse_qsl(pc))
    assert client.get(f"/api/v1/records?{pc}").json["total"] == 5
    level1 = d.levels.set_index("level").loc[1, "records_query"]
    assert client.get(f"/api/v1/records?{level1}").json["total"] == 2
    march = d.trend.set_index("period").loc[date(2026, 3, 1), "records_query"]
    assert client.get(f"/api/v1/records?{march}").json["total"] == 10
    dept_a = d.depts.table.set_index("key").loc[A, "records_query"]
    assert client.get(f"/api/v1/records?{dept_a}").json["total"] == 6  # 5 ratings and the message
    assert records_query(MARCH, levels=(1, 2)) == MARCH_ARGS + "&level=1&level=2"


def test_page_equals_api(client_for, engine, data, settings, users):
    client = client_for("admin")
    query = MARCH_ARGS + "&channel=pc&channel=mobile&grain=week"
    page = client.get(f"/?{query}")
    api = client.get(f"/api/v1/overview?{query}").json
    assert page.status_code == 200 and api["grain"] == "week"
    assert ["channel", "pc"] in api["filters"] and ["channel", "mobile"] in api["filters"]
    text = page.text
    assert _card(text, "total") == str(api["kpis"]["total"]) == "7"
    assert _card(text, "bad_rate") == f"{api['kpis']['bad_rate']:.2f}%"
    channels = _figure(text, "fig-channels")["data"][0]
    assert sorted(_values(channels["x"])) == sorted(c["share"] for c in api["channels"])
    assert [c[0] for c in channels["customdata"]][::-1] == [f"/records?{c['records_query']}" for c in api["channels"]]
    volume = _figure(text, "fig-volume")["data"][0]
    assert _values(volume["y"]) == [p["total"] for p in api["trend"]]
    for row in api["depts"]["red"] + api["depts"]["black"]:
        assert f'href="/records?{html.escape(row["records_query"])}">{row["name"]}</a>' in text
    services = _figure(text, "fig-services")["data"][0]
    assert sorted(_values(services["x"])) == sorted(s["bad"] for s in api["services"])
    assert 'selected>PC端</option>' in text  # the filter bar shows what is applied


def _rating_keys(kpis: dict) -> dict:
    """The KPIs without the ledger's (and without as_of), 环比 / 同比 included."""
    def keep(d: dict) -> dict:
        return {k: v for k, v in d.items() if k not in kpi.CASE_COLUMNS and k != "as_of"}
    return {**keep(kpis), "mom": keep(kpis["mom"]), "yoy": keep(kpis["yoy"])}


def test_api_kpis_equal_haocha_kpi_and_the_bulletin(client_for, runner, engine, data, settings, users):
    """The bulletin's headline is `haocha kpi --as-of <its frozen moment>`; the API (总览) equals both on the rating
    KPIs, and its ledger KPIs are the live ones (the ledger as it is now, not at the month's end)."""
    from feedback import ledger
    with engine.begin() as conn:
        ledger.sync_cases(conn, now=datetime(2026, 3, 21))
    client = client_for("admin")
    for month, depts in (("2026-03", ()), ("2026-03", (A,)), ("2026-02", (B,))):
        with engine.connect() as conn:
            b = build_bulletin(conn, month, Filters(depts=depts), settings=settings)
        res = runner.invoke(main, ["kpi", "--month", month, "--json", "--as-of", b.ledger.as_of.isoformat(),
                                   *(x for d in depts for x in ("--dept", d))])
        assert res.exit_code == 0, res.output
        cli = json.loads(res.output.strip().splitlines()[-1])
        assert b.kpis == cli
        start, end = kpi.month_bounds(month)
        dept_args = "".join(f"&dept={d}" for d in depts)
        api = client.get(f"/api/v1/overview?start={start}&end={end}{dept_args}").json["kpis"]
        assert _rating_keys(api) == _rating_keys(cli)
        with engine.connect() as conn:
            live = kpi.display(periods.month_kpis(conn, month, Filters(depts=depts),
                                                  as_of=datetime.fromisoformat(api["as_of"])))
        assert api == live and api["cases"] is not None


def test_department_bound_api_sees_only_its_department(client_for, engine, users):
    ids = seed(engine)
    refresh_rollups(engine)
    body = client_for("viewer_a").get(f"/api/v1/overview?dept={ids['dept_b']}").json
    assert body["kpis"]["total"] == 10 and ["dept", ids["dept_a"]] in body["filters"]
    assert ["dept", ids["dept_b"]] not in body["filters"]
    assert {r["key"] for r in body["depts"]["table"]} == {ids["dept_a"]}
    assert body["freshness"] == {"id": ids["batch_id"], "finished_at": body["freshness"]["finished_at"],
                                 "loaded": 10, "scoped": True}
    everyone = client_for("viewer").get("/api/v1/overview").json
    assert everyone["kpis"]["total"] == 20 and len(everyone["depts"]["table"]) == 2


def test_bad_grain_or_filter_is_400(client_for, engine, data, users):
    client = client_for("viewer")
    assert client.get("/?grain=year").status_code == 400
    assert client.get("/api/v1/overview?grain=year").status_code == 400
    assert client.get("/api/v1/overview?level=7").json["message"].startswith("筛选条件无效")


def test_untrusted_names_are_escaped_in_page_and_hover(client_for, engine, users):
    from sqlalchemy import update

    from feedback.models import Record

    seed(engine)
    with engine.begin() as conn:
        conn.execute(update(Record).values(service_name=XSS_IMG, service_code=None))
        conn.execute(update(Record).values(dept_name=XSS_IMG + "局"))
    refresh_rollups(engine)
    text = client_for("admin").get("/?start=2026-03-01&end=2026-03-31").text
    assert XSS_IMG not in text and "onerror=alert(1)>" not in text
    assert html.escape(XSS_IMG + "局") in text  # the ranking tables show the name as text
    for fig_id in ("fig-services", "fig-levels", "fig-channels", "fig-volume"):
        strings = _strings(_figure(text, fig_id))
        assert not any("<img" in s for s in strings), fig_id
    services = _figure(text, "fig-services")
    assert any("&lt;img src=x onerror=alert(1)&gt;" in s for s in _strings(services))


def test_filter_bar_lists_the_services_rated_in_the_period(engine, data):
    """The 事项 options: whole months from the monthly rollup, edge days from the daily one, in the department."""
    from dashboards.queries.overview_filters import option_lists
    from feedback.scoring.taxonomy import load_taxonomy

    with engine.connect() as conn:
        def services(dept, period):
            return [k for k, _ in option_lists(conn, dept, period, load_taxonomy())["service"]]

        assert services(None, (date(2026, 3, 1), date(2026, 3, 31))) == ["S1", "S2", "S3"]
        assert services(None, (date(2026, 2, 4), date(2026, 3, 1))) == ["S1", "S3"]  # f3, f4 and m1: edge days
        assert services(A, (date(2026, 3, 5), date(2026, 3, 10))) == ["S2"]  # m4
        assert services(B, (date(2026, 2, 3), date(2026, 3, 31))) == ["S2", "S3"]  # Feb 3-28 + March
        assert services(A, (date(2026, 2, 1), date(2026, 2, 28))) == ["S1"]  # f1, f4
        assert services(B, None) == ["S2", "S3"]


def test_category_chart_lists_the_residual_rows_under_it(client_for, engine, data, settings, users):
    """A 12345 message filed as 其他问题 is a city matter outside the 政务服务 taxonomy: its own row (分类外的12345留言),
    last, outside the shares, in the 总览 and the bulletin alike. Neither it nor 其他问题 or 未分类 is a bar of the
    chart; a line under it lists them with the records behind each; the API's table keeps every row."""
    from dashboards.reports.tables import category_table as bulletin_table
    from feedback.stats.complaint_mix import OUTSIDE_NOTE
    from tests import factory
    from tests.feedback.stats.test_kpi import MESSAGE

    with engine.begin() as conn:  # the message filed as other, and m5 (基本满意) a hidden complaint filed as other
        factory.add_scores(conn, [dict(record_id=data[key], model_version="v1", sentiment="neg", sentiment_score=0.2,
                                       hidden_complaint=hidden, category="other", scored_at=datetime(2026, 4, 1))
                                  for key, hidden in ((MESSAGE[0], False), ("m5", True))])
    refresh_rollups(engine)
    client = client_for("admin")
    text = client.get(f"/?{MARCH_ARGS}").text
    bars = _figure(text, "fig-categories")["data"]
    assert {n for s in bars for n in s["y"]} == {"办理时效", "申报材料"}  # timeliness, materials
    line = re.search(r'<p class="muted small" id="category-residual">(.*?)</p>', text, re.S).group(1)
    assert re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", line)) == (
        "图中未列：未分类1条、其他问题1条、分类外的12345留言1条（不属于政务服务问题分类的城市事项，如物业、噪音、道路，不计入占比）。")
    outside = records_query(MARCH, categories=("other",), kinds=("message",))
    assert f'<a href="/records?{html.escape(outside)}">分类外的12345留言</a>' in line
    assert client.get(f"/api/v1/records?{outside}").json["total"] == 1
    api = client.get(f"/api/v1/overview?{MARCH_ARGS}").json["categories"]
    assert [(c["category"], c["total"], c["share"], c["residual"]) for c in api] == [
        ("timeliness", 2, 40.0, False), ("materials", 1, 20.0, False), ("_unscored", 1, 20.0, True),
        ("other", 1, 20.0, True), ("_outside_messages", 1, None, True)]
    with engine.connect() as conn:  # the bulletin's table from the records: the same rows, and the note says why
        b = build_bulletin(conn, "2026-03", Filters(), settings=settings, as_of=AS_OF)
    cols = ["category", "bad", "hidden", "messages", "total", "share"]
    mine = _data(engine, settings).categories[cols].reset_index(drop=True)
    assert mine.equals(b.complaints.table[cols].reset_index(drop=True))
    assert bulletin_table(b).note == OUTSIDE_NOTE
    assert "分类外的12345留言" not in {q for q in b.complaints.quotes["name"]}  # no quotes of city matters
