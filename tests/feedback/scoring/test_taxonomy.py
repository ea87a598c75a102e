"""Taxonomy file: the packaged one is complete and valid; a broken one fails with the key path of the mistake."""

from __future__ import annotations

import pandas as pd
import pytest

from feedback.scoring.taxonomy import TaxonomyError, default_taxonomy_path, load_taxonomy, taxonomy_of

SLUGS = ["timeliness", "materials", "guide_info", "conditions_compliance", "trips_process", "online_platform",
         "staff_attitude", "staff_competence", "queue_onsite", "access_consultation", "complaint_handling",
         "policy_or_invalid"]

GOOD = """
version = "t"
[[categories]]
slug = "timeliness"
name = "办理时效"
[[categories.subcategories]]
slug = "slow_review"
name = "审核久"
phrases = ["一直在审核"]
[tags.v2]
"110" = { name = "无理由超过法定办理时间", level = 1, category = "timeliness", subcategory = "slow_review" }
"""


def write(tmp_path, text):
    p = tmp_path / "taxonomy.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_packaged_taxonomy():
    tx = load_taxonomy()
    assert tx.slugs == SLUGS
    assert tx.name("staff_attitude") == "服务态度" and tx.name("other") == "其他问题"
    for cat in tx.categories:
        assert cat.subcategories and all(len(s.phrases) >= 5 for s in cat.subcategories), cat.slug
    assert len(tx.seed_phrases()) > 500
    expected = {"110": "timeliness", "209": "timeliness", "103": "timeliness", "109": "materials", "101": "materials",
                "210": "materials", "203": "materials", "207": "materials", "208": "materials",
                "113": "trips_process", "114": "trips_process", "105": "trips_process", "204": "trips_process",
                "104": "trips_process", "106": "trips_process", "211": "online_platform", "112": "online_platform",
                "102": "online_platform", "214": "staff_attitude", "115": "staff_attitude", "213": "staff_competence",
                "212": "queue_onsite", "206": "queue_onsite", "205": "queue_onsite", "108": "conditions_compliance",
                "107": "conditions_compliance", "111": "guide_info"}
    for code, cat in expected.items():
        assert tx.tags[code].category == cat, code
    assert tx.tags["517"].category is None and tx.tags["517"].level == 5
    assert tx.tags["101"].scheme == "v1" and tx.tags["110"].scheme == "v2"
    assert tx.tag_categories("110|517,213") == [("timeliness", "over_legal_limit"), ("staff_competence", "unfamiliar")]
    assert tx.tag_categories(None) == []


def test_small_valid_file(tmp_path):
    tx = load_taxonomy(write(tmp_path, GOOD))
    assert tx.slugs == ["timeliness"] and tx.subcategory("slow_review").parent == "timeliness"
    assert tx.version == "t" and tx.digest


@pytest.mark.parametrize("edit,message", [
    (('name = "办理时效"', ""), "categories[0].name"),
    (('slug = "slow_review"', 'slug = "timeliness"'), "already used"),
    (('slug = "slow_review"', 'slug = "not_complaint"'), "already used at (reserved: a correction's 不是投诉)"),
    (('slug = "timeliness"\n', 'slug = "Time-Liness"\n'), "is not a slug"),
    (('phrases = ["一直在审核"]', 'phrases = ["一直在审核", ""]'), "categories[0].subcategories[0].phrases[1]"),
    (('phrases = ["一直在审核"]', "phrases = []"), "categories[0].subcategories[0].phrases"),
    (('category = "timeliness"', 'category = "nope"'), "tags.v2.110.category"),
    (('level = 1', 'level = 2'), "tags.v2.110.level"),
    (('"110" =', '"910" ='), "tags.v2.910"),
    (('name = "审核久"', 'name = "审核久"\ncolour = "red"'), "unknown key(s) colour"),
    (("[[categories]]", "[[categories]\n"), "not valid UTF-8 TOML"),
])
def test_validation_errors_name_the_key(tmp_path, edit, message):
    old, new = edit
    assert old in GOOD
    with pytest.raises(TaxonomyError) as exc:
        load_taxonomy(write(tmp_path, GOOD.replace(old, new, 1)))
    assert message in str(exc.value) and "taxonomy.toml" in str(exc.value)


def test_subcategory_of_other_category(tmp_path):
    text = GOOD + '\n[[categories]]\nslug = "materials"\nname = "申报材料"\n[[categories.subcategories]]\n' \
                  'slug = "repeat"\nname = "重复提交"\nphrases = ["重复提交"]\n'
    text = text.replace('subcategory = "slow_review"', 'subcategory = "repeat"')
    with pytest.raises(TaxonomyError, match="not a subcategory of 'timeliness'"):
        load_taxonomy(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "absent.toml")


def _renamed(tmp_path, old: str, new: str):
    """The packaged taxonomy with one name changed, saved beside a would-be config.toml."""
    text = default_taxonomy_path().read_text(encoding="utf-8")
    assert f'name = "{old}"' in text
    return write(tmp_path, text.replace(f'name = "{old}"', f'name = "{new}"', 1))


def test_taxonomy_of_settings_reads_the_configured_file(tmp_path, settings_factory):
    assert taxonomy_of(settings_factory()).name("timeliness") == "办理时效"  # "" = the packaged file
    _renamed(tmp_path, "办理时效", "办事速度")
    configured = settings_factory(scoring={"taxonomy": "taxonomy.toml"})  # relative to the config's folder
    assert taxonomy_of(configured).name("timeliness") == "办事速度"
    absolute = settings_factory(scoring={"taxonomy": str(tmp_path / "taxonomy.toml")})
    assert taxonomy_of(absolute) is taxonomy_of(configured)  # parsed once per content


def test_task_labels_follow_the_configured_taxonomy(tmp_path, settings_factory):
    from feedback.tasks.build import build_candidates
    from feedback.tasks.config import TaskSettings
    from feedback.tasks.labels import labels
    from tests.feedback.tasks.test_build import _signals

    assert labels().name("online_platform") == "网上办理与系统"  # the default stays the packaged taxonomy
    _renamed(tmp_path, "网上办理与系统", "网办系统")
    custom = taxonomy_of(settings_factory(scoring={"taxonomy": "taxonomy.toml"}))
    assert labels(custom).name("online_platform") == "网办系统" and labels(custom) is labels(custom)
    assert labels().name("online_platform") == "网上办理与系统"
    titles = build_candidates(_signals(), TaskSettings(), taxonomy=custom).groups["title"].tolist()
    assert any(t.startswith("社会保障卡申领 — 网办系统") for t in titles)
    default = build_candidates(_signals(), TaskSettings()).groups["title"].tolist()
    assert any(t.startswith("社会保障卡申领 — 网上办理与系统") for t in default)


def test_alerts_name_categories_from_the_configured_taxonomy(tmp_path, settings_factory, engine, monkeypatch):
    """check_alerts passes the configured taxonomy's names to the rules (what its messages show)."""
    import feedback.alerts.check as check
    from feedback.alerts.rules import AlertInputs

    _renamed(tmp_path, "办理时效", "办事速度")
    seen = {}

    def fake_evaluate(inputs, cfg, *, names, good_includes_basic):
        seen.update(names)
        return []

    complaints = pd.DataFrame({"category": ["timeliness", "other"]})
    monkeypatch.setattr(check.queries, "load_inputs", lambda conn, cfg, as_of=None: AlertInputs(
        None, None, pd.DataFrame(), complaints, pd.DataFrame()))
    monkeypatch.setattr(check, "evaluate", fake_evaluate)
    configured = settings_factory(scoring={"taxonomy": "taxonomy.toml"})
    check.check_alerts(engine, configured, post=False)
    assert seen == {"timeliness": "办事速度", "other": "其他问题"}


def test_text_of_only_punctuation_symbols_or_emoji_is_content_free():
    """A 差评 whose comment is ？？？ or 😡😡 names no problem: 恶意或无关内容 (an invalid rating), not 其他."""
    from feedback.scoring.taxonomy import PhraseMatcher, load_taxonomy
    from feedback.text.features import normalize

    m = PhraseMatcher(load_taxonomy())
    for text in ("？？？？", "。。。。。。", "😡😡😡", "!!!"):
        assert m.match(normalize(text)) == {"policy_or_invalid": ["malicious_irrelevant"]}, text
    assert "policy_or_invalid" not in m.match(normalize("窗口太少了。。。"))


def test_repeated_filler_is_content_free_only_where_the_model_names_nothing():
    """凑字数凑字数凑字数 or 差差差差 under a 差评 names no problem: 恶意或无关内容 (the taxonomy's fallback pattern), not
    其他; a repeated complaint the model recognises keeps its category, and text that is not one piece repeated
    stays other when the model cannot place it."""
    from feedback.scoring.classify import ComplaintParams, train_complaint_classifier
    from feedback.scoring.taxonomy import PhraseMatcher, load_taxonomy
    from feedback.text.features import normalize

    tax = load_taxonomy()
    m = PhraseMatcher(tax)
    for text in ("凑字数凑字数凑字数", "差差差差差差差", "啦啦啦", "差，差，差，差", "1111111", "凑 字 数 凑 字 数 凑 字 数"):
        assert m.fallback(normalize(text)) == ("policy_or_invalid", "malicious_irrelevant"), text
    for text in ("凑字数凑字数", "办事很快，很好", "qwertyuiop", "等了三天三天三天还没办好"):
        assert m.fallback(normalize(text)) is None, text
    assert "policy_or_invalid" not in m.match(normalize("差差差差差差差"))  # a fallback, not a seed-phrase hit

    clf = train_complaint_classifier(tax, params=ComplaintParams())
    filler, repeated_complaint, unplaced = clf.classify(["凑字数凑字数凑字数", "太慢了太慢了太慢了", "qwertyuiop"])
    assert (filler.category, filler.subcategory, filler.source) == ("policy_or_invalid", "malicious_irrelevant",
                                                                     "rule")
    assert repeated_complaint.category == "timeliness"
    assert unplaced.category == tax.other_slug


def test_a_fallback_pattern_that_is_not_a_regular_expression_is_named(tmp_path):
    import tomllib

    from feedback.scoring.taxonomy import TaxonomyError, default_taxonomy_path, parse_taxonomy

    data = tomllib.loads(default_taxonomy_path().read_text(encoding="utf-8"))
    data["categories"][0]["subcategories"][0]["fallback_patterns"] = ["(unclosed"]
    with pytest.raises(TaxonomyError, match=r"categories\[0\]\.subcategories\[0\]\.fallback_patterns\[0\]"):
        parse_taxonomy(data, "taxonomy.toml")
