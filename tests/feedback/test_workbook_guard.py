"""XLSX bombs are refused before the reader sees them: far cells, huge dimensions, shared strings, zip ratio."""

import resource
import subprocess
import sys
import textwrap
import zipfile

import openpyxl
import pytest

from feedback.files import FormatError, WorkbookLimits, check_workbook
from feedback.scoring.corpus import LabelledDataError, read_labelled

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
       '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+'
       'xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
       'officedocument.spreadsheetml.worksheet+xml"/>{sst}</Types>')
_SST_CT = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
           'officedocument.spreadsheetml.sharedStrings+xml"/>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} xmlns:r="http://schemas.openxmlformats.org/'
       'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
       '</workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>{sst}</Relationships>')
_SST_REL = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/>')


def _book(path, rows_xml, *, dimension="A1:B2", shared=None, sheet_path="xl/worksheets/sheet1.xml"):
    """A hand-built .xlsx: ``rows_xml`` is the sheetData content, ``shared`` the sharedStrings.xml (or None)."""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><dimension ref="{dimension}"/>'
             f'<sheetData>{rows_xml}</sheetData></worksheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        target = sheet_path.removeprefix("xl/")
        zf.writestr("[Content_Types].xml", _CT.format(sst=_SST_CT if shared else "").replace(
            "/xl/worksheets/sheet1.xml", "/" + sheet_path))
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WB)
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS.format(sst=_SST_REL if shared else "").replace(
            "worksheets/sheet1.xml", target))
        zf.writestr(sheet_path, sheet)
        if shared:
            zf.writestr("xl/sharedStrings.xml", shared)
    return path


_HEADER = ('<row r="1"><c r="A1" t="inlineStr"><is><t>projectNo</t></is></c>'
           '<c r="B1" t="inlineStr"><is><t>satisfaction</t></is></c></row>')


def _far_cell(path, ref):
    row = int("".join(ch for ch in ref if ch.isdigit()))
    return _book(path, _HEADER + f'<row r="{row}"><c r="{ref}"><v>1</v></c></row>', dimension=f"A1:{ref}")


def test_a_plain_hand_built_workbook_passes_and_reads(tmp_path):
    from etl.sources.detect import open_source

    p = _book(tmp_path / "ok.xlsx", _HEADER + '<row r="2"><c r="A2"><v>7</v></c><c r="B2"><v>5</v></c></row>')
    check_workbook(p)
    src = open_source(p)
    assert src.headers == ["projectNo", "satisfaction"]
    assert [c["projectNo"].tolist() for c in src.chunks()] == [["7"]]


def test_openpyxl_workbook_of_real_shape_passes(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["projectNo", "satisfaction", "writingEvaluation"])
    for i in range(2_000):
        ws.append([f"P{i}", i % 5 + 1, "办事很方便" * 3])
    wb.save(tmp_path / "real.xlsx")
    check_workbook(tmp_path / "real.xlsx")


@pytest.mark.parametrize("ref, cells", [("XFD1048576", "17,179,869,184"), ("ZZ200000", "140,400,000")])
def test_far_cell_is_refused_naming_file_and_area(tmp_path, ref, cells):
    p = _far_cell(tmp_path / "bomb.xlsx", ref)
    assert p.stat().st_size < 2_000
    with pytest.raises(FormatError) as err:
        check_workbook(p)
    msg = str(err.value)
    assert msg.startswith("bomb.xlsx: ") and cells in msg and "xlsx_max_cells" in msg and "拒绝读取" in msg


def test_far_cell_without_dimension_is_found_in_the_cells(tmp_path):
    p = _book(tmp_path / "far.xlsx", _HEADER + '<row r="200000"><c r="ZZ200000"><v>1</v></c></row>')
    with pytest.raises(FormatError, match="实际使用区域为 200,000 行 × 702 列"):
        check_workbook(p)


def test_far_cell_in_a_sheet_stored_elsewhere_is_found(tmp_path):
    from etl.sources.detect import open_source

    ok = _book(tmp_path / "ok.xlsx", _HEADER + '<row r="2"><c r="A2"><v>7</v></c></row>', sheet_path="xl/data/s.xml")
    assert open_source(ok).headers == ["projectNo", "satisfaction"]  # the reader follows the relationship
    p = _book(tmp_path / "hidden.xlsx", _HEADER + '<row r="200000"><c r="ZZ200000"><v>1</v></c></row>',
              sheet_path="xl/data/s.xml")
    with pytest.raises(FormatError, match="工作表 s.xml 的实际使用区域为 200,000 行 × 702 列"):
        check_workbook(p)


def test_cells_without_positions_are_counted_in_order(tmp_path):
    wide = "<row>" + "<c><v>1</v></c>" * 300 + "</row>"
    p = _book(tmp_path / "implicit.xlsx", _HEADER + wide * 50)
    check_workbook(p)  # 51 rows × 300 columns is well within the default
    with pytest.raises(FormatError, match="实际使用区域为 51 行 × 300 列"):
        check_workbook(p, WorkbookLimits(max_cells=10_000))


def test_huge_declared_dimension_is_refused(tmp_path):
    p = _book(tmp_path / "dim.xlsx", _HEADER, dimension="A1:XFD1048576")
    with pytest.raises(FormatError, match=r"声明的范围（dimension）为 1,048,576 行 × 16,384 列"):
        check_workbook(p)


def test_shared_string_bomb_is_refused(tmp_path):
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="6000000" uniqueCount="6000000">'
           + "<si><t>x</t></si>" * 6_000_000 + "</sst>")
    p = _book(tmp_path / "sst.xlsx", _HEADER, shared=sst)
    assert p.stat().st_size < 400_000
    with pytest.raises(FormatError, match=r"共享字符串表有 6,000,000 项.*xlsx_max_shared_strings"):
        check_workbook(p, WorkbookLimits(max_ratio=10_000))
    with pytest.raises(FormatError, match=r"sharedStrings.xml 的压缩比为 .* 倍.*疑似压缩炸弹"):
        check_workbook(p)


def test_high_ratio_member_and_uncompressed_total_are_refused(tmp_path):
    filler = '<row r="2"><c r="A2" t="inlineStr"><is><t>' + "a" * 5_000_000 + "</t></is></c></row>"
    p = _book(tmp_path / "ratio.xlsx", _HEADER + filler)
    with pytest.raises(FormatError, match=r"sheet1.xml 的压缩比为 .*xlsx_max_ratio"):
        check_workbook(p)
    with pytest.raises(FormatError, match=r"解压后共 5 MB，超过上限 1 MB"):
        check_workbook(p, WorkbookLimits(max_uncompressed_mb=1))


def test_corpus_reader_refuses_the_bomb(tmp_path):
    p = _far_cell(tmp_path / "labels.xlsx", "XFD1048576")
    with pytest.raises(LabelledDataError, match="labels.xlsx: .*xlsx_max_cells"):
        read_labelled(p, "text", "label")


def test_ingest_settings_limits_reach_the_reader(tmp_path):
    from etl.pipeline import preview_file
    from etl.sources.detect import InputError
    from feedback.settings import settings_from_mapping

    p = _book(tmp_path / "w.xlsx", _HEADER + '<row r="300"><c r="Z300"><v>1</v></c></row>', dimension="A1:Z300")
    assert preview_file(p, settings_from_mapping({}))[:2] == ["projectNo", "satisfaction"]
    tight = settings_from_mapping({"ingest": {"xlsx_max_cells": 1_000}})
    with pytest.raises(InputError, match="w.xlsx: .*300 行 × 26 列 = 7,800 个单元格，超过上限 1,000"):
        preview_file(p, tight)


_CHILD = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
    from etl.sources.detect import InputError, open_source
    try:
        open_source(sys.argv[1])
    except InputError as exc:
        print("REFUSED", exc)
    else:
        print("READ")
""")


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_AS"), reason="needs RLIMIT_AS")
@pytest.mark.parametrize("ref", ["XFD1048576", "ZZ200000"])
def test_bomb_is_refused_within_bounded_memory(tmp_path, ref):
    """The whole open runs under a 1.5 GB address-space limit: without the guard the reader aborts the process."""
    p = _far_cell(tmp_path / "bomb.xlsx", ref)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(p)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("REFUSED bomb.xlsx: ")
