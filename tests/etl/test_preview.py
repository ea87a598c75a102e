"""The upload preview (etl.pipeline.inspect_upload): detection, row checks on the first rows, masked samples, a
hand-made mapping, and a saved mapping used by later loads."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from etl import preview
from etl.pipeline import ProfileError, ingest_file, inspect_upload, save_mapping
from tests.etl.test_pipeline import national_rows


@pytest.fixture
def plain_settings(settings_factory):
    return settings_factory()


def test_detects_and_checks_rows_without_writing(plain_settings, tmp_path, monkeypatch):
    monkeypatch.setattr(preview, "CHECK_ROWS", 25)
    rows = national_rows(40)
    rows[3]["satisfaction"] = "9"
    rows[5]["assessTime"] = "明天"
    rows[7] = dict(rows[6])  # the same record twice
    path = tmp_path / "n.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gb18030")
    found = inspect_upload(plain_settings, path)
    assert (found.format, found.encoding_name, found.profile) == ("csv", "GB18030（国标中文）", "national")
    assert found.profile_name == "全国一体化平台接口" and found.error is None and found.unknown_headers == []
    assert (found.checked, found.ok, found.duplicate, found.rejected) == (25, 22, 1, 2)  # only the first 25 rows
    assert [(r["row_number"], r["column"]) for r in found.first_rejects] == [(5, "satisfaction"), (7, "assessTime")]
    assert {g["column"]: g["count"] for g in found.reject_groups} == {"satisfaction": 1, "assessTime": 1}
    assert len(found.samples) == preview.SAMPLE_ROWS and "text" in found.sample_fields
    cells = json.dumps(found.samples, ensure_ascii=False)
    assert "13812345678" not in cells and "430101" not in cells  # phones masked, identities never shown
    assert "非常满意" in cells and "PC端" in cells  # levels and channels as names
    assert json.loads(json.dumps(found.as_dict()))["profile"] == "national"  # plain data, JSON-safe


def test_the_samples_show_a_record_repeated_in_the_file_once(plain_settings, tmp_path):
    """The samples are the rows as they will be stored: a record the file repeats is stored once, so shown once."""
    rows = national_rows(3)
    rows[1] = dict(rows[0])
    path = tmp_path / "n.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    found = inspect_upload(plain_settings, path)
    assert (found.ok, found.duplicate) == (2, 1)
    assert len(found.samples) == 2 and found.samples[0] != found.samples[1]


def test_a_hand_mapping_is_checked_then_saved_and_detected(plain_settings, engine, settings, tmp_path):
    frame = pd.DataFrame(national_rows(6)).rename(columns={"assessTime": "评价日期"})
    path = tmp_path / "m.csv"
    frame.to_csv(path, index=False)
    found = inspect_upload(settings, path)
    assert found.profile is None and "缺少列 assessTime" in found.error and found.unknown_headers == ["评价日期"]
    assert dict(found.mapping)["satisfaction"] == "level_raw"  # the closest profile's mapping as a start
    mapped = inspect_upload(settings, path, "auto", {"评价日期": "rated_at"})
    assert mapped.error is None and mapped.profile is None and mapped.ok == 6  # checked, not loadable unsaved
    with pytest.raises(ProfileError, match="内置来源配置"):
        save_mapping(settings, path, "national", "auto", {"评价日期": "rated_at"})
    with pytest.raises(ProfileError, match="配置名称"):
        save_mapping(settings, path, "a b/c", "auto", {"评价日期": "rated_at"})
    assert save_mapping(settings, path, "区大厅导出", "auto", {"评价日期": "rated_at"}) == "区大厅导出"
    assert inspect_upload(settings, path).profile == "区大厅导出"
    loaded = ingest_file(engine, settings, path)  # the command line detects the saved profile too
    assert (loaded.profile, loaded.loaded) == ("区大厅导出", 6)
