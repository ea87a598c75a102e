"""The one input-format detector (feedback.files): what it says of sample files, and that the ETL's readers, the
upload form and the labelled-corpus reader all answer with it."""

from __future__ import annotations

import gzip
import io
import json

import pytest
from openpyxl import Workbook

from feedback.files import FormatError, known_suffixes, sniff_format

ROWS = [("text", "label"), ("办理很快，满意", "pos"), ("材料要了三次", "neg")]


def _csv(rows, sep=",") -> str:
    return "\n".join(sep.join(r) for r in rows) + "\n"


def _xlsx_bytes(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _jsonl(rows) -> str:
    head, *body = rows
    return "".join(json.dumps(dict(zip(head, r, strict=True)), ensure_ascii=False) + "\n" for r in body)


# name → (content, format); names are often wrong, the content decides
GOOD = {
    "utf8.csv": (_csv(ROWS).encode("utf-8"), "csv"),
    "bom.csv": (b"\xef\xbb\xbf" + _csv(ROWS).encode("utf-8"), "csv"),
    "gbk.csv": (_csv(ROWS).encode("gbk"), "csv"),
    "tabs.tsv": (_csv(ROWS, "\t").encode("utf-8"), "csv"),
    "book.xlsx": (_xlsx_bytes(ROWS), "xlsx"),
    "book_named.csv": (_xlsx_bytes(ROWS), "xlsx"),
    "lines.jsonl": (_jsonl(ROWS).encode("utf-8"), "jsonl"),
    "bom.jsonl": (b"\xef\xbb\xbf" + _jsonl(ROWS).encode("utf-8"), "jsonl"),
    "lines_named.txt": (_jsonl(ROWS).encode("utf-8"), "jsonl"),
}
BAD = {
    "empty.csv": (b"  \n", "文件是空的"),
    "zipped.csv": (gzip.compress(_csv(ROWS).encode("utf-8")), "这是 gzip 压缩 文件"),
    "array.json": (json.dumps([{"text": "x"}]).encode("utf-8"), "这是 JSON 数组"),
    "page.csv": (b"<html><body>login</body></html>", "这是网页"),
}


@pytest.fixture
def samples(tmp_path):
    folder = tmp_path / "samples"
    folder.mkdir()
    for name, (content, _) in {**GOOD, **BAD}.items():
        (folder / name).write_bytes(content)
    return folder


def test_detector_says_what_each_sample_is(samples):
    for name, (_, kind) in GOOD.items():
        assert sniff_format(samples / name) == kind, name
    (samples / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert sniff_format(samples / "old.xls") == "xls"
    for name, (_, message) in BAD.items():
        with pytest.raises(FormatError, match=message):
            sniff_format(samples / name)
    with pytest.raises(FormatError, match="文件不存在"):
        sniff_format(samples / "absent.csv")


def test_etl_readers_use_the_detector(samples):
    from etl.sources.detect import InputError, open_source, sniff_kind

    for name, (_, kind) in GOOD.items():
        assert sniff_kind(samples / name) == kind, name
        source = open_source(samples / name)
        assert source.kind == kind and source.headers == ["text", "label"], name
    for name in BAD:
        with pytest.raises(FormatError) as detected:
            sniff_format(samples / name)
        with pytest.raises(InputError) as read:
            open_source(samples / name)
        assert str(read.value) == str(detected.value)


def test_labelled_corpus_reader_uses_the_detector(samples):
    from feedback.scoring.corpus import LabelledDataError, read_labelled

    expected = ([r[0] for r in ROWS[1:]], [r[1] for r in ROWS[1:]])
    for name, (_, kind) in GOOD.items():
        if name == "tabs.tsv":  # the corpus reader takes comma-separated CSV only
            continue
        assert read_labelled(samples / name, "text", "label") == expected, (name, kind)
    for name in BAD:
        with pytest.raises(FormatError) as detected:
            sniff_format(samples / name)
        with pytest.raises(LabelledDataError) as read:
            read_labelled(samples / name, "text", "label")
        assert str(read.value) == str(detected.value)


def test_upload_form_uses_the_detector(samples, settings_factory):
    from werkzeug.datastructures import FileStorage

    from dashboards.actions import uploads

    settings = settings_factory()
    assert uploads.ALLOWED_SUFFIXES == known_suffixes()
    for name in ("zipped.csv", "page.csv", "array.json"):
        with pytest.raises(FormatError) as detected:
            sniff_format(samples / name)
        storage = FileStorage(io.BytesIO((samples / name).read_bytes()), filename=name)
        preview = uploads.load_preview(settings, uploads.save_upload(settings, storage, "ops"))
        assert preview.error == f"无法读取文件：{detected.value}"
    storage = FileStorage(io.BytesIO((samples / "book_named.csv").read_bytes()), filename="book_named.csv")
    preview = uploads.load_preview(settings, uploads.save_upload(settings, storage, "ops"))
    assert preview.headers == ["text", "label"]
