"""A hidden complaint (a good rating whose text complains) says so in 评价明细, in GET /api/v1/records and in the
export, with the clause after a turn that made it where one did: a reader sees why a five-star comment counts as a
complaint. The clause is a piece of untrusted text: masked, escaped, and never a formula in a spreadsheet."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from feedback.models import Record
from tests import factory

CLAUSE = "就是<script>alert(1)</script>打13812345678没人接"


def test_a_hidden_complaint_shows_the_clause_that_made_it(engine, seeded, client_for):
    with engine.begin() as conn:
        ids = conn.execute(select(Record.id).where(Record.level >= 4).order_by(Record.id).limit(3)).scalars().all()
        factory.add_model_version(conn)
        factory.add_scores(conn, [{"record_id": ids[0], "sentiment": "pos", "hidden_complaint": True,
                                   "hidden_clause": CLAUSE},
                                  {"record_id": ids[1], "sentiment": "neg", "hidden_complaint": True},  # whole text
                                  {"record_id": ids[2], "sentiment": "pos"}])
    client = client_for("admin")
    items = {i["id"]: i for i in client.get("/api/v1/records?per_page=100").get_json()["items"]}
    said = items[ids[0]]["hidden_clause"]
    assert items[ids[0]]["hidden_complaint"] and "13812345678" not in said and said.startswith("就是<script>")
    assert items[ids[1]]["hidden_complaint"] and items[ids[1]]["hidden_clause"] is None
    assert not items[ids[2]]["hidden_complaint"] and items[ids[2]]["hidden_clause"] is None

    page = client.get("/records").text
    rows = {i: page.split(f'id="r{i}"', 1)[1].split("</tr>", 1)[0] for i in ids}
    assert ">隐性投诉</span>" in rows[ids[0]] and "判为隐性投诉的一句" in rows[ids[0]]
    assert "&lt;script&gt;" in rows[ids[0]] and "<script>" not in rows[ids[0]] and "13812345678" not in page
    assert ">隐性投诉</span>" in rows[ids[1]] and "判为隐性投诉的一句" not in rows[ids[1]]
    assert "隐性投诉" not in rows[ids[2]]
    assert 'name="hidden" value="1" checked' not in page  # the pill is shown without the 仅隐性投诉 filter

    hidden_only = client.get("/records?hidden=1").text
    assert f'id="r{ids[0]}"' in hidden_only and f'id="r{ids[2]}"' not in hidden_only

    exported = _table(client)
    header, body = exported[0], {int(r[0]): dict(zip(exported[0], r, strict=True)) for r in exported[1:]}
    column = next(h for h in header if h.startswith("隐性投诉依据"))
    assert body[ids[0]]["隐性投诉"] == "是" and body[ids[0]][column] == said
    assert body[ids[1]]["隐性投诉"] == "是" and body[ids[1]][column] == ""
    assert body[ids[2]]["隐性投诉"] == "" and body[ids[2]][column] == ""


def test_an_exported_clause_that_looks_like_a_formula_is_neutralised(engine, seeded, client_for):
    with engine.begin() as conn:
        rid = conn.execute(select(Record.id).where(Record.level >= 4).order_by(Record.id)).scalars().first()
        factory.add_model_version(conn)
        factory.add_scores(conn, [{"record_id": rid, "hidden_complaint": True,
                                   "hidden_clause": '=HYPERLINK("http://x","点")'}])
    client = client_for("admin")
    exported = _table(client)
    column = next(k for k, h in enumerate(exported[0]) if h.startswith("隐性投诉依据"))
    cell = next(r[column] for r in exported[1:] if int(r[0]) == rid)
    assert "HYPERLINK" in cell and not cell.startswith("=")


def _table(client) -> list[list[str]]:
    """The export's table: its header row (记录ID …) and the rows under it, without the filter lines above."""
    lines = list(csv.reader(io.StringIO(client.get("/records/export.csv").data.decode("utf-8-sig"))))
    return lines[next(k for k, r in enumerate(lines) if r and r[0] == "记录ID"):]
