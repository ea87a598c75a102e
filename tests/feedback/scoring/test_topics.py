"""Topic discovery keeps places concrete and groups complaints about one problem at one place."""

from __future__ import annotations

import pytest

from feedback.scoring.topics import discover_topics, is_place, tokenize
from feedback.text.features import load_stopwords, make_segmenter

TEXTS = [
    "A3区联丰路米兰春天G2栋楼下的烧烤店油烟扰民，每天晚上都很吵",
    "投诉A3区联丰路米兰春天G2栋烧烤店油烟扰民",
    "米兰春天G2栋楼下烧烤店噪音和油烟严重扰民，A3区联丰路",
    "A5区劳动东路魅力之城小区门口的路灯坏了很久没人修",
    "魅力之城小区门口路灯坏了，晚上出行不安全，A5区劳动东路",
    "A5区魅力之城小区路灯一直不亮，希望尽快修好",
    "K市高新区公交805路取消后出行很不方便",
    "希望恢复K市805路公交车，居民出行困难",
    "请问公积金贷款额度怎么计算",
]


@pytest.fixture(scope="module")
def seg():
    return make_segmenter()


def test_tokenize_keeps_places_and_address_numbers(seg):
    toks = tokenize("座落在A市A3区联丰路米兰春天G2栋320，一家影楼", seg, load_stopwords())
    assert {"A3区", "联丰路", "米兰春天G2栋", "A市"} <= set(toks)
    assert "320" not in toks and "的" not in toks
    assert "159号" in tokenize("我是麓云路159号的业主，2019年3月", seg, load_stopwords())
    assert is_place("A3区") and is_place("联丰路") and not is_place("油烟")


def test_discover_topics_concrete(seg):
    topics = discover_topics(TEXTS, segment=seg, similarity=0.2)
    groups = [set(t.members) for t in topics]
    assert {0, 1, 2} in groups and {3, 4, 5} in groups
    first = next(t for t in topics if set(t.members) == {0, 1, 2})
    assert "米兰春天G2栋" in first.places and "A3区" in first.keywords
    assert set(first.representatives) <= {0, 1, 2} and 0 < first.cohesion <= 1
    second = next(t for t in topics if set(t.members) == {3, 4, 5})
    assert any("魅力之城" in p or "劳动东路" in p for p in second.places)
    assert all(8 not in t.members for t in topics)  # the lone question joins no topic
    assert topics == sorted(topics, key=lambda t: (-t.size, -t.cohesion))


def test_discover_topics_edge_cases(seg):
    assert discover_topics([], segment=seg) == []
    assert discover_topics(["只有一条"], segment=seg) == []
    assert discover_topics(TEXTS, segment=seg, similarity=0.2, min_size=4) == []
    with pytest.raises(ValueError, match="max_docs"):
        discover_topics(TEXTS, segment=seg, max_docs=3)


def test_a_masked_number_is_no_word_of_a_topic():
    segment, stopwords = make_segmenter(), load_stopwords()
    words = tokenize("小区噪音扰民，我电话[手机号]，身份证[身份证号]，车[车牌号]", segment, stopwords)
    assert words == tokenize("小区噪音扰民，我电话，身份证，车", segment, stopwords)
    assert not {"手机号", "身份证号", "车牌号"} & set(words)
