"""Settings: defaults, overrides from the environment, and unknown keys rejected with their path."""

from pathlib import Path

import pytest

from feedback.settings import SettingsError, load_settings, settings_from_mapping

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_is_valid_and_documented():
    s = load_settings(ROOT / "config.toml", env={})
    assert s.database.url.startswith("sqlite:///")
    assert s.database_url.endswith("instance/haocha.db")
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for section in ("database", "paths", "security", "ingest", "kpi", "dashboard", "tasks", "ledger", "alerts"):
        obj = getattr(s, section)
        for key in obj.__dataclass_fields__:
            # every key appears in the shipped file with a comment above it
            lines = text.splitlines()
            idx = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
            assert lines[idx - 1].startswith("#"), f"{section}.{key} is not documented"


def test_unknown_key_is_an_error_naming_it():
    with pytest.raises(SettingsError, match=r"unknown key\(s\) in \[ingest\]: chunk_sise"):
        settings_from_mapping({"ingest": {"chunk_sise": 10}})
    with pytest.raises(SettingsError, match="unknown section"):
        settings_from_mapping({"dashbord": {}})


def test_wrong_type_is_an_error():
    with pytest.raises(SettingsError, match="ingest.chunk_size must be int"):
        settings_from_mapping({"ingest": {"chunk_size": "big"}})


def test_environment_overrides_database_url(tmp_path):
    s = settings_from_mapping({}, base_dir=tmp_path, env={"HAOCHA_DATABASE_URL": "postgresql://x@h/db"})
    assert s.database_url == "postgresql://x@h/db"
    s2 = settings_from_mapping({}, base_dir=tmp_path, env={})
    assert s2.database_url == f"sqlite:///{(tmp_path / 'instance/haocha.db').resolve()}"


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.toml", env={})


def test_alert_rules_are_checked_and_the_webhook_may_come_from_the_environment(tmp_path):
    with pytest.raises(SettingsError, match=r"unknown key\(s\) in \[alerts\]: burst_facter"):
        settings_from_mapping({"alerts": {"burst_facter": 3}})
    with pytest.raises(SettingsError, match="alerts.lookback_weeks must be int"):
        settings_from_mapping({"alerts": {"lookback_weeks": "4"}})
    s = settings_from_mapping({"alerts": {"webhook_url": ""}}, base_dir=tmp_path,
                              env={"HAOCHA_ALERTS_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=x"})
    assert s.alerts.webhook_url.startswith("https://oapi.dingtalk.com/") and s.alerts.burst_factor == 3.0


@pytest.mark.parametrize("section, key, value", [
    ("ingest", "chunk_size", -5), ("ingest", "chunk_size", 0), ("alerts", "burst_factor", -1),
    ("alerts", "burst_factor", 0.5), ("dashboard", "page_size", 0), ("ledger", "rectify_days", -1),
    ("scoring", "category_threshold", 1.5), ("tasks", "w_rate", -0.2), ("tasks", "impact_confidence", 1.0),
    ("kpi", "min_ranking_volume", -1), ("alerts", "webhook_timeout_seconds", float("nan")),
    ("scoring", "sub_mix", 1.5), ("scoring", "phrase_conf", -0.1), ("scoring", "lead_mix", 1.2),
    ("scoring", "lead_decay", -0.3),
])
def test_value_out_of_range_is_an_error_naming_section_and_key(section, key, value):
    with pytest.raises(SettingsError, match=rf"^{section}\.{key} = .* 超出允许范围"):
        settings_from_mapping({section: {key: value}})


def test_every_default_is_within_its_range():
    import dataclasses

    from feedback.settings import _SECTIONS

    data = {name: {k: v for k, v in dataclasses.asdict(cls()).items() if not isinstance(v, dict | list)}
            for name, cls in _SECTIONS.items()}
    assert settings_from_mapping(data).ingest.chunk_size == 50_000


def test_prior_strength_bounds_in_order():
    with pytest.raises(SettingsError, match="rate_prior_strength_min 大于"):
        settings_from_mapping({"tasks": {"rate_prior_strength_min": 500.0, "rate_prior_strength_max": 200.0}})
