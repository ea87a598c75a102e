"""The 模型 trust panel: held-out rows are the frozen test split only, the report is cached per version, and
fewer than MIN_GOLD gold labels give a caveat instead of an accuracy."""

from __future__ import annotations

from feedback.scoring.trust import FEW_GOLD, MIN_GOLD, cache_path, cached_held_out, held_out_rows, trust_panel

HEADER = "id\ttext\trating\tlabel\tsublabel\thard\tsplit\n"


def test_held_out_rows_are_the_test_split_only(tmp_path):
    (tmp_path / "a.tsv").write_text(HEADER + "a1\t等了一个月还没办好\t1\ttimeliness\tslow_review\t-\ttrain\n"
                                    "a2\t材料要了三遍\t2\tmaterials\textra_materials\t-\ttest\n"
                                    "a5\t服务很好\t\tpraise\t-\t-\ttest\n", encoding="utf-8")
    texts, labels, ratings = held_out_rows(tmp_path)
    assert texts == ["材料要了三遍", "服务很好"] and labels == ["materials", "praise"] and ratings == [2, None]


def test_the_report_is_measured_once_per_version(tmp_path):
    calls = []

    def measure():
        calls.append(1)
        return {"n": 3, "top1": 0.5}

    assert cached_held_out(tmp_path, "sc-1", measure) == {"n": 3, "top1": 0.5}
    assert cached_held_out(tmp_path, "sc-1", measure) == {"n": 3, "top1": 0.5}
    assert len(calls) == 1 and cache_path(tmp_path, "sc-1").parent == tmp_path
    cached_held_out(tmp_path, "sc-2", measure)
    assert len(calls) == 2
    assert cache_path(tmp_path, "../x").parent == tmp_path  # a version never escapes the models folder


def _agreement(n, accuracy):
    return {"n": n, "accuracy": accuracy, "macro_f1": accuracy / 2, "per_class": {}}


def test_few_gold_labels_give_a_caveat_not_an_accuracy():
    one = trust_panel(None, _agreement(1, 0.0), 1, "其他问题", 0.24)
    assert not one.gold_enough and one.gold_accuracy is None and FEW_GOLD in one.gold_note
    assert "1 条人工标注" in one.gold_note and "0 条与模型一致" in one.gold_note
    just_under = trust_panel(None, _agreement(MIN_GOLD - 1, 0.9), MIN_GOLD - 1, "其他问题", 0.24)
    assert not just_under.gold_enough and FEW_GOLD in just_under.gold_note
    enough = trust_panel(None, _agreement(MIN_GOLD, 0.8), MIN_GOLD, "其他问题", 0.24)
    assert enough.gold_enough and enough.gold_accuracy == 0.8 and enough.gold_macro_f1 == 0.4
    assert FEW_GOLD not in enough.gold_note
    no_version = trust_panel(None, None, 40, "其他问题", 0.24)
    assert not no_version.gold_enough and "尚无评分版本" in no_version.gold_note
    none = trust_panel({"n": 10}, None, 0, "其他问题", 0.24)
    assert "尚无人工标注" in none.gold_note and none.held_out == {"n": 10}
    assert "其他问题" in none.other_meaning and "24%" in none.other_meaning
