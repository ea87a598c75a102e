"""Region names from [paths] region_names on the screens that show a region, the code kept in the tooltip;
the 当前筛选 line names drill-down filters, not by code or slug."""

from __future__ import annotations

from datetime import datetime

from feedback import ledger
from feedback.regions import write_region_names


def test_ledger_and_explorer_name_regions(settings, engine, seeded, client_for):
    with engine.begin() as conn:
        assert ledger.sync_cases(conn, now=datetime(2026, 3, 4, 8)) > 0
    client = client_for("admin")
    assert "439902000000" in client.get("/ledger").text  # no names file: the code, as before
    write_region_names(settings.region_names_path, [("439902", "清溪区")])
    page = client.get("/ledger").text
    assert '<span class="region" title="区划代码 439902000000">清溪区</span>' in page
    case = client.get("/ledger?per_page=1").text.split('href="/ledger/', 1)[1].split("?")[0].split('"')[0]
    assert "清溪区" in client.get(f"/ledger/{case}").text

    page = client.get("/records?region=439902000000&category=timeliness&sentiment=neg&service=T001").text
    line = page.split('id="current-filters"', 1)[1].split("</p>", 1)[0]
    assert "区划：清溪区" in line and "问题分类：办理时效" in line and "情感：负面" in line
    assert "timeliness" not in line and "439902000000" not in line  # names, never the slug or the code
