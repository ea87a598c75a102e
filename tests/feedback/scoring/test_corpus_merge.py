"""bench.corpus_merge: hand-written lines become training rows of a new corpus part; nothing near a frozen test
text, no duplicate and no unknown slug gets in."""

from pathlib import Path

from bench.corpus_merge import merge, parse_line, write_tsv
from feedback.scoring.labelled_corpus import read_tsv
from feedback.scoring.taxonomy import load_taxonomy

HEADER = "id\ttext\trating\tlabel\tsublabel\thard\tsplit\n"


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "complaints_a.tsv").write_text(
        HEADER
        + "a0001\t排队排了整整三个小时，窗口只开了两个\t1\tqueue_onsite\tlong_wait\t-\ttest\n"
        + "a0003\t材料又被退回来补正\t2\tmaterials\trepeated_corrections\t-\ttrain\n", encoding="utf-8")
    return folder


def test_parse_line_checks_every_field():
    tax = load_taxonomy()
    row, why = parse_line("staff_competence|wrong_answers|2|multi|电话里说的和窗口不一样|guide_info/inconsistent_answers",
                          tax)
    assert why == "" and row["sublabel"] == "wrong_answers;guide_info/inconsistent_answers"
    assert parse_line("praise|-|5|-|很快，谢谢|", tax)[0]["sublabel"] == "-"
    assert parse_line("timeliness|long_wait|2|-|太慢|", tax) == (None, "slug timeliness/long_wait")
    assert parse_line("timeliness|slow_review|9|-|太慢|", tax)[1] == "rating '9'"
    assert parse_line("timeliness|slow_review|2|angry|太慢|", tax)[1] == "hard 'angry'"
    assert parse_line("timeliness|slow_review|2|-|太慢|x/y", tax)[1] == "extra slug x/y"
    assert parse_line("timeliness|slow_review|2", tax)[1] == "3 fields"


def test_merge_numbers_train_rows_and_drops_duplicates_and_near_test_texts(tmp_path):
    corpus = _corpus(tmp_path)
    lines = tmp_path / "w1.txt"
    lines.write_text("\n".join([
        "queue_onsite|long_wait|1|-|排队排了整整三个小时，窗口只开了俩",  # near the frozen test row
        "materials|repeated_corrections|2|-|材料又被退回来补正",  # exact duplicate of a corpus text
        "guide_info|not_told_once|2|-|第一次没说要户口本，第二次又说要结婚证",
        "guide_info|not_told_once|2|-|第一次没说要户口本，第二次又说要结婚证",  # duplicate within the input
        "online_platform|login_auth|1|typo|人脸识别老是失败，试了十几遍",
        "nonsense line",
    ]) + "\n", encoding="utf-8")
    rows, dropped = merge([lines], "z", corpus)
    assert [r["id"] for r in rows] == ["z0001", "z0002"] and {r["split"] for r in rows} == {"train"}
    assert dropped == {"near a test text": 1, "exact duplicate": 2, "1 fields": 1}
    out = tmp_path / "complaints_z.tsv"
    write_tsv(rows, out)
    back = read_tsv(out)
    assert [(r.id, r.label, r.subcategories) for r in back] == [
        ("z0001", "guide_info", ("not_told_once",)), ("z0002", "online_platform", ("login_auth",))]
