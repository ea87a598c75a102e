"""Readers: kind and encoding detection, strings only, row numbers, malformed lines, Excel and JSON Lines."""

import datetime as dt
import gzip
import json
import zipfile

import openpyxl
import pandas as pd
import pytest

from etl.sources.detect import ERROR, ROW, InputError, open_source

HEADER = "projectNo,areaCode,satisfaction,writingEvaluation"


def _read(path, **kw):
    src = open_source(path, **kw)
    chunks = list(src.chunks())
    return src, (pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()), chunks


def _write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_utf8_csv_strings_only_leading_zeros_kept(tmp_path):
    p = _write(tmp_path, "a.csv", f"{HEADER}\n007,430100,5,好\n008,043010,,\n")
    src, df, _ = _read(p)
    assert (src.kind, src.encoding) == ("csv", "utf-8")
    assert src.headers == HEADER.split(",")
    assert df["projectNo"].tolist() == ["007", "008"]
    assert df["areaCode"].tolist() == ["430100", "043010"]
    assert pd.isna(df.loc[1, "satisfaction"]) and pd.isna(df.loc[1, "writingEvaluation"])
    assert df[ROW].tolist() == [2, 3] and df[ROW].dtype == "int64"
    assert df[ERROR].isna().all()
    assert all(df[c].dtype == "str" for c in src.headers)


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"),
])
def test_encodings_detected(tmp_path, encoding, expected):
    text = "办件编号,满意度,文字评价\n" + "".join(f"BJ{i},非常满意,窗口服务热情周到，办事效率很高{i}\n" for i in range(40))
    if encoding == "gb18030":
        text += "BJX,满意,生僻字𠀀\n"  # only GB18030 (4-byte sequence) can encode this
    src, df, _ = _read(_write(tmp_path, "c.csv", text, encoding))
    assert src.encoding == expected
    assert src.headers == ["办件编号", "满意度", "文字评价"]
    assert df.loc[0, "文字评价"] == "窗口服务热情周到，办事效率很高0"
    if encoding == "gb18030":
        assert df["文字评价"].iloc[-1] == "生僻字𠀀"


def test_utf16_tab_separated_excel_unicode_text(tmp_path):
    text = "办件编号\t满意度\r\nBJ1\t非常满意\r\nBJ2\t满意\r\n"
    src, df, _ = _read(_write(tmp_path, "u.txt", text, "utf-16"))
    assert (src.encoding, src.delimiter, src.headers) == ("utf-16", "\t", ["办件编号", "满意度"])
    assert df["满意度"].tolist() == ["非常满意", "满意"] and df[ROW].tolist() == [2, 3]


def test_tab_and_semicolon_delimiters(tmp_path):
    _, df, _ = _read(_write(tmp_path, "t.txt", "a\tb\n1\t2,3\n"))
    assert df.loc[0, "b"] == "2,3"
    _, df, _ = _read(_write(tmp_path, "s.csv", "a;b\n1;2\n"))
    assert df.loc[0, "b"] == "2"


def test_headers_cleaned_and_made_unique(tmp_path):
    src, _, _ = _read(_write(tmp_path, "h.csv", "\ufeff projectNo ,ａｒｅａ, ,projectNo\n1,2,3,4\n"))
    assert src.headers == ["projectNo", "area", "column_3", "projectNo.2"]


def test_multiline_fields_blank_lines_and_bad_lines_keep_row_numbers(tmp_path):
    text = ('a,b,c\n'
            '1,"x\ny",3\n'       # row 2, spans two lines
            '4,5,6,7\n'          # row 3: too many fields
            '\n'                 # row 4: blank, skipped
            '8,9\n'              # row 5: too few fields
            '10,11,12\n')        # row 6
    _, df, _ = _read(_write(tmp_path, "m.csv", text))
    assert df[ROW].tolist() == [2, 3, 5, 6]
    assert df.loc[0, "b"] == "x\ny"
    bad = df[df[ERROR].notna()]
    assert bad[ROW].tolist() == [3, 5]
    assert "4 个字段" in bad[ERROR].iloc[0] and "3 个" in bad[ERROR].iloc[0]
    assert bad["a"].tolist() == ["4", "8"]  # the recoverable fields stay for the reject's raw row
    assert df.loc[3, "c"] == "12"


def test_chunking_spreads_rows_and_bad_lines_in_order(tmp_path):
    lines = ["a,b"] + [f"{i},x" if i % 5 else f"{i},x,extra" for i in range(1, 23)]
    _, df, chunks = _read(_write(tmp_path, "k.csv", "\n".join(lines) + "\n"), chunk_size=4)
    assert len(chunks) > 3
    assert df[ROW].tolist() == list(range(2, 24))
    assert df.loc[df[ERROR].notna(), "a"].tolist() == ["5", "10", "15", "20"]
    assert df.loc[df[ERROR].isna(), "a"].astype(int).tolist() == [i for i in range(1, 23) if i % 5]


def test_long_record_read_and_one_beyond_the_block_named(tmp_path):
    from etl.sources.csvfile import BLOCK_BYTES

    fits = "长" * (BLOCK_BYTES // 6)  # 3 bytes a character: half a block
    rows = ["a,b", "1,x", f'2,"{fits}"', "3,y"]
    _, df, _ = _read(_write(tmp_path, "fits.csv", "\n".join(rows) + "\n"))
    assert df["b"].str.len().tolist() == [1, len(fits), 1]
    rows[2] = "2," + "x" * (3 * BLOCK_BYTES)  # a record may straddle one block boundary, not two
    with pytest.raises(InputError, match=r"long.csv：第 2 行之后的一条记录超过 \d+ KB"):
        _read(_write(tmp_path, "long.csv", "\n".join(rows + ["4,z"] * 1000) + "\n"))


@pytest.mark.parametrize(("content", "message"), [
    (b"", "空的"),
    (b"   \n\n", "空的"),
    (b"\x00\x01\x02garbage\x00\xff" * 50, "二进制"),
    (gzip.compress(b"a,b\n1,2\n", mtime=0), "gzip"),
    (b"%PDF-1.4 blah", "PDF"),
    (b"<html><table><tr><td>1</td></tr></table></html>", "HTML"),
    (b'[{"a": 1}]', "JSON 数组"),
    (b" , ,\n1,2,3\n", "没有可用的列名"),
])
def test_unusable_files_raise_one_line_input_error(tmp_path, content, message):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message) as exc:
        open_source(p)
    assert "bad.csv" in str(exc.value) and "\n" not in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="文件不存在"):
        open_source(tmp_path / "nope.csv")


def _workbook(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_xlsx_cells_become_parseable_strings(tmp_path):
    rows = [
        ["导出：2024年3月好差评"],  # title row, skipped
        ["留言编号", "留言时间", "点赞数", "比例", "是否公开", "区划"],
        [188006, dt.datetime(2019, 2, 28, 11, 25, 5), 0, 2.5, True, "430100"],
        [188007, dt.date(2019, 8, 1), 12.0, None, False, 430100000000],
        [None, "2019/2/14 20:00:00", None, None, None, None],
    ]
    p = _workbook(tmp_path / "m.XLS", {"Sheet1": rows})  # kind comes from content, not the name
    src, df, _ = _read(p)
    assert src.kind == "xlsx" and src.sheet == "Sheet1"
    assert src.headers == ["留言编号", "留言时间", "点赞数", "比例", "是否公开", "区划"]
    assert df[ROW].tolist() == [3, 4, 5]
    assert df["留言编号"].tolist()[:2] == ["188006", "188007"]
    assert df["留言时间"].tolist() == ["2019-02-28 11:25:05", "2019-08-01 00:00:00", "2019/2/14 20:00:00"]
    assert df["点赞数"].tolist()[:2] == ["0", "12"]
    assert df.loc[0, "比例"] == "2.5" and pd.isna(df.loc[1, "比例"])
    assert df["是否公开"].tolist()[:2] == ["TRUE", "FALSE"]
    assert df["区划"].tolist()[:2] == ["430100", "430100000000"]


def test_xlsx_named_sheet_and_missing_sheet(tmp_path):
    p = _workbook(tmp_path / "w.xlsx", {"说明": [["readme"]], "数据": [["a", "b"], [1, 2]], "空": []})
    src, df, _ = _read(p, sheet="数据")
    assert src.sheet == "数据" and df["a"].tolist() == ["1"]
    with pytest.raises(InputError, match="没有名为“不存在”的工作表.*数据"):
        open_source(p, sheet="不存在")
    with pytest.raises(InputError, match="是空的"):
        open_source(p, sheet="空")


def test_xlsx_chunks(tmp_path):
    p = _workbook(tmp_path / "c.xlsx", {"s": [["a", "b"]] + [[i, f"t{i}"] for i in range(10)]})
    _, df, chunks = _read(p, chunk_size=3)
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert df[ROW].tolist() == list(range(2, 12))


def test_zip_that_is_not_a_workbook(tmp_path):
    p = tmp_path / "x.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(InputError, match="Excel"):
        open_source(p)


def test_csv_named_xlsx_is_read_as_csv(tmp_path):
    src, df, _ = _read(_write(tmp_path, "really.xlsx", "a,b\n1,2\n"))
    assert src.kind == "csv" and df["b"].tolist() == ["2"]


def test_sheet_option_rejected_for_csv(tmp_path):
    with pytest.raises(InputError, match="工作表"):
        open_source(_write(tmp_path, "a.csv", "a,b\n1,2\n"), sheet="x")


def test_jsonl_values_line_numbers_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"projectNo": "007", "satisfaction": 5, "score": 4.0, "flag": True, "x": None,
                    "tags": [510, 517]}, ensure_ascii=False),
        "",
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"projectNo": "008", "satisfaction": 1.5, "late": "新字段"}, ensure_ascii=False),
    ]
    src, df, _ = _read(_write(tmp_path, "p.log", "\ufeff" + "\n".join(lines) + "\n"))
    assert src.kind == "jsonl"
    assert src.headers == ["projectNo", "satisfaction", "score", "flag", "x", "tags", "late"]
    assert df[ROW].tolist() == [1, 3, 4, 5]
    first = df.iloc[0]
    assert (first["projectNo"], first["satisfaction"], first["score"], first["flag"]) == ("007", "5", "4", "TRUE")
    assert first["tags"] == "[510, 517]" and pd.isna(first["x"])
    assert df[ERROR].notna().tolist() == [False, True, True, False]
    assert df.iloc[3]["satisfaction"] == "1.5" and df.iloc[3]["late"] == "新字段"


def test_jsonl_deeply_nested_lines_are_rejects_not_crashes(tmp_path):
    deep_ok = {"projectNo": "001", "x": json.loads("[" * 31 + "]" * 31)}  # 32 levels with the line's object
    lines = [
        json.dumps(deep_ok),
        json.dumps({"projectNo": "002", "x": json.loads("[" * 32 + "]" * 32)}),  # 33 levels
        '{"projectNo": "003", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",  # past the parser's recursion limit
        '{"projectNo": "004"}',
    ]
    src, df, _ = _read(_write(tmp_path, "deep.jsonl", "\n".join(lines) + "\n"))
    assert src.headers == ["projectNo", "x"]
    assert df[ROW].tolist() == [1, 2, 3, 4]
    errors = df[ERROR].tolist()
    assert pd.isna(errors[0]) and pd.isna(errors[3])
    assert "嵌套过深" in errors[1] and "嵌套过深" in errors[2]
    assert df.iloc[3]["projectNo"] == "004"
