"""Every filtered screen offers the same filter fields with the same option lists (one function gives them), and
says which filters it shows in its 当前筛选 line."""

from __future__ import annotations

import re

import pytest

from feedback.stats.rollups import refresh_rollups

FIELDS = ("dept", "region", "channel", "service", "level", "category", "sentiment")


def options(page: str, name: str) -> list[tuple[str, str]]:
    match = re.search(rf'<select id="f-{name}" name="{name}" multiple data-multi[^>]*>(.*?)</select>', page, re.S)
    assert match, f"no {name} field"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', match.group(1))


@pytest.fixture
def rolled(engine, seeded):
    refresh_rollups(engine)
    return seeded


def test_overview_and_explorer_offer_the_same_lists(client_for, rolled):
    client = client_for("admin")
    query = "?start=2026-03-01&end=2026-03-31&channel=pc"
    overview, explorer = client.get("/" + query).text, client.get("/records" + query).text
    for name in FIELDS:
        listed = options(overview, name)
        assert listed and listed == options(explorer, name), name
    assert ("pc", "PC端") in options(overview, "channel")
    depts = options(overview, "dept")
    assert options(client.get("/tasks").text, "dept") == depts == options(client.get("/ledger").text, "dept")
    for page in (overview, explorer):
        assert "渠道：PC端" in re.search(r'id="current-filters"[^>]*>([^<]*)<', page).group(1)


def test_a_department_bound_user_sees_its_department_fixed_and_named(client_for, rolled):
    page = client_for("viewer_a").get("/records").text
    assert 'name="dept"' not in page  # no field to pick another department
    line = re.search(r'id="current-filters"[^>]*>([^<]*)<', page).group(1)
    assert line == "当前筛选：部门：市人力资源和社会保障局"


def test_one_read_of_the_lists_serves_every_filter_set_of_a_period(client_for, rolled, monkeypatch):
    from dashboards.pages import common

    reads = []
    real = common.option_lists
    monkeypatch.setattr(common, "option_lists", lambda *a: reads.append(a[1:3]) or real(*a))
    client = client_for("admin")
    period = "start=2026-03-01&end=2026-03-31"
    plain = client.get(f"/records?{period}").text
    chosen = client.get(f"/records?{period}&level=1&channel=sms&dept=GONE").text
    assert len(reads) == 1  # the second filter set took the lists from the cache
    # the filter set's own values are still kept in their lists: sms (no rating by sms here) and an unknown dept
    assert ("sms", "短信") in options(chosen, "channel") and ("sms", "短信") not in options(plain, "channel")
    assert ("GONE", "GONE") in options(chosen, "dept") and ("GONE", "GONE") not in options(plain, "dept")
    client.get("/records?start=2026-02-01&end=2026-02-28")
    assert len(reads) == 2  # another period reads its own services
