"""Spreadsheet-safe tables: formula-like text neutralised in CSV and XLSX, text cells stored as text."""

import csv
import io

from openpyxl import load_workbook

from feedback.sheets import csv_bytes, neutralise, xlsx_bytes

DANGEROUS = ("=1+1", "+86", "-3", "@SUM(A1)", "\tx", "\rx")


def test_neutralise_prefixes_formula_text_only():
    assert [neutralise(v) for v in DANGEROUS] == ["'" + v for v in DANGEROUS]
    assert [neutralise(v) for v in ("正常文本", "a=b", 3, None, 2.5)] == ["正常文本", "a=b", 3, None, 2.5]


def test_csv_has_bom_and_neutralised_cells():
    body = csv_bytes(["=标题", "数"], [[v, i] for i, v in enumerate(DANGEROUS)] + [[None, 5]])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["'=标题", "数"]
    assert [r[0] for r in rows[1:-1]] == ["'" + v for v in DANGEROUS]
    assert rows[-1] == ["", "5"]


def test_xlsx_text_is_never_a_formula():
    body = xlsx_bytes("评价", ["内容", "数"], [["=HYPERLINK(\"http://x\")", 1], ["普通", None]])
    ws = load_workbook(io.BytesIO(body))["评价"]
    assert ws.freeze_panes == "A2"
    cells = [[c for c in r] for r in ws.iter_rows()]
    assert cells[1][0].value == "'=HYPERLINK(\"http://x\")" and cells[1][0].data_type == "s"
    assert cells[1][1].value == 1 and cells[2][1].value is None


FULL_WIDTH = ("＝HYPERLINK(\"http://x\")", "＋86", "－3", "＠SUM(A1)", " ＝1+1", "\u3000=1")


def test_full_width_formula_characters_are_neutralised_like_ascii():
    assert [neutralise(v) for v in FULL_WIDTH] == ["'" + v for v in FULL_WIDTH]
    assert [neutralise(v) for v in ("办事＝顺利", "满意＋1")] == ["办事＝顺利", "满意＋1"]
    rows = list(csv.reader(io.StringIO(csv_bytes(["内容"], [[v] for v in FULL_WIDTH]).decode("utf-8-sig"),
                                       newline="")))
    assert [r[0] for r in rows[1:]] == ["'" + v for v in FULL_WIDTH]
    ws = load_workbook(io.BytesIO(xlsx_bytes("评价", ["内容"], [[v] for v in FULL_WIDTH])))["评价"]
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == ["'" + v for v in FULL_WIDTH]


def test_info_is_the_first_line_above_the_header():
    info = "当前筛选：2026-09-15 至 2026-10-15 · 渠道：移动端"
    lines = list(csv.reader(io.StringIO(csv_bytes(["a", "b"], [[1, "x"]], info=info).decode("utf-8-sig"))))
    assert lines == [[info], ["a", "b"], ["1", "x"]]
    assert list(csv.reader(io.StringIO(csv_bytes(["a"], [[1]]).decode("utf-8-sig"))))[0] == ["a"]
    ws = load_workbook(io.BytesIO(xlsx_bytes("s", ["a", "b"], [[1, "=x"]], info="=当前筛选"))).active
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["'=当前筛选", None], ["a", "b"], [1, "'=x"]]
    assert ws.freeze_panes == "A3"
