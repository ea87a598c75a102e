"""What the office's corrections gained, measured on held-out gold labels (``haocha score --all``)."""

from __future__ import annotations

import pytest

from feedback.scoring.classify import ComplaintParams
from feedback.scoring.score import GAIN_HOLDOUT, gold_gain
from feedback.scoring.taxonomy import NOT_COMPLAINT, load_taxonomy

# A way of complaining no seed phrase knows: only the corrections can teach it.
NAMES = ["小李", "小王", "老张", "小赵", "老刘", "小陈", "小周", "老吴", "小郑", "小孙"]
PATTERNS = ["{}又叉腰瞪人", "{}叉着腰瞪我", "窗口{}瞪着眼叉腰"]


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def _store(n_gold: int):
    texts = [p.format(name) for name in NAMES for p in PATTERNS][:n_gold] + ["办得很顺利", "挺好的"]
    gold = ["staff_attitude"] * n_gold + [None, None]
    subs = ["cold_rude"] * n_gold + [None, None]
    ids = list(range(1, len(texts) + 1))
    return ids, texts, [None] * len(texts), gold, subs


def test_corrections_gain_on_held_out_gold(taxonomy):
    ids, texts, tags, gold, subs = _store(30)
    g = gold_gain(taxonomy, ComplaintParams(), ids, texts, tags, gold, subs)
    assert g["held_out"] == 30 // GAIN_HOLDOUT and g["trained_with"] == 30 - 30 // GAIN_HOLDOUT
    assert g["with"]["accuracy"] > g["without"]["accuracy"]
    assert g["gain_accuracy"] == pytest.approx(g["with"]["accuracy"] - g["without"]["accuracy"], abs=1e-4)


def test_too_few_gold_labels_give_no_figure(taxonomy):
    ids, texts, tags, gold, subs = _store(GAIN_HOLDOUT * 4)  # 4 held out: below the minimum
    assert gold_gain(taxonomy, ComplaintParams(), ids, texts, tags, gold, subs) is None


def test_a_not_complaint_label_is_never_an_answer_to_score(taxonomy):
    """不是投诉 has no category: it is no held-out truth, though it trains with the other corrections."""
    ids, texts, tags, gold, subs = _store(30)
    texts += ["以前要跑好几趟，现在一次就办完了", "上次的问题这次都解决了，谢谢"]
    ids += [len(ids) + 1, len(ids) + 2]
    tags += [None, None]
    gold += [NOT_COMPLAINT, NOT_COMPLAINT]
    subs += [None, None]
    g = gold_gain(taxonomy, ComplaintParams(), ids, texts, tags, gold, subs)
    assert g["held_out"] == 30 // GAIN_HOLDOUT and g["trained_with"] == 32 - 30 // GAIN_HOLDOUT
