"""Office words for codes on screens: profiles, fields, engines, confidence bands, failed later stages."""

from __future__ import annotations

from dashboards import display
from etl.profiles import INPUT_FIELDS, builtin_profiles
from feedback import codes


def test_every_builtin_profile_and_input_field_has_a_chinese_name():
    assert set(builtin_profiles()) <= set(codes.PROFILE_NAMES)
    assert INPUT_FIELDS <= set(codes.FIELD_NAMES)
    assert display.profile_name("national") == "全国一体化平台接口"
    assert display.profile_name("区大厅导出") == "区大厅导出"  # a saved profile keeps its own name
    assert display.field_name("level_raw") == "满意度"  # no field code beside it


def test_confidence_is_shown_as_a_band_not_a_percentage():
    assert [display.confidence_name(p) for p in (1.0, 0.7, 0.69, 0.4, 0.39, 0.0)] == ["高", "高", "中", "中", "低", "低"]
    assert display.confidence_name(None) is None


def test_a_failed_stage_is_named_in_chinese_without_the_exception():
    line = display.stage_error("score: ScoringError: no active model version")
    assert "评分" in line and "ScoringError" not in line and "score" not in line
    assert "ValueError" not in display.stage_error("ValueError: boom")
    assert display.engine_name("linear") == "内置线性模型"


def test_downloads_are_named_in_chinese_with_an_ascii_fallback():
    from dashboards.actions.exports import attachment

    header = attachment("拒收行_批次12.csv")
    assert header.startswith('attachment; filename="12.csv"')
    assert "filename*=UTF-8''%E6%8B%92" in header  # 拒… percent-encoded (RFC 6266)
