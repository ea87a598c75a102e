"""The packaged labelled corpus reader: absent or partial folders, malformed lines, splits, multi-label rows."""

from __future__ import annotations

from feedback.scoring.labelled_corpus import parse_sublabel, read_corpus

HEADER = "id\ttext\trating\tlabel\tsublabel\thard\tsplit\n"


def test_absent_folder_gives_no_rows(tmp_path):
    assert read_corpus(tmp_path / "missing") == []
    assert read_corpus(tmp_path) == []


def test_rows_splits_and_malformed_lines(tmp_path):
    (tmp_path / "b.tsv").write_text(HEADER + "b1\t很好\t5\tpraise\t-\t-\ttrain\n", encoding="utf-8")
    (tmp_path / "a.tsv").write_text(
        HEADER
        + "a1\t等了三周\t1\ttimeliness\tover_legal_limit\t-\ttrain\n"
        + "a2\t超期还让跑\t2\ttimeliness\tover_legal_limit;trips_process/trips_over_promise\tmulti\ttest\n"
        + "a3\t只有三列\t1\n"  # a line still being written
        + "a4\t\t1\ttimeliness\t-\t-\ttrain\n",  # no text
        encoding="utf-8")
    (tmp_path / "c.tsv").write_text("not a corpus file\n", encoding="utf-8")
    train = read_corpus(tmp_path)
    assert [r.id for r in train] == ["a1", "b1"]  # file-name order, train only
    assert train[0].rating == 1 and train[0].categories == ("timeliness",)
    assert train[1].categories == ("praise",) and train[1].subcategories == ()
    test = read_corpus(tmp_path, split="test")
    assert [r.id for r in test] == ["a2"]
    assert test[0].categories == ("timeliness", "trips_process")
    assert test[0].subcategories == ("over_legal_limit", "trips_over_promise")
    assert len(read_corpus(tmp_path, split=None)) == 3


def test_parse_sublabel():
    assert parse_sublabel("materials", "-") == (("materials",), ())
    assert parse_sublabel("materials", "extra_materials;materials/certificates") == (
        ("materials",), ("extra_materials", "certificates"))
