"""Region names: the CSV file, short and 12-digit codes, the default path, and task titles that use them."""

from __future__ import annotations

from feedback.regions import read_region_names, region_name, region_names, write_region_names
from feedback.settings import settings_from_mapping


def test_names_from_csv_match_short_and_padded_codes(tmp_path):
    path = write_region_names(tmp_path / "names.csv", [("439903", "白沙区"), ("439903101", "某街道")])
    names = read_region_names(path)
    assert names == {"439903": "白沙区", "439903101": "某街道"}  # the header row is skipped
    assert region_name("439903000000", names) == "白沙区"
    assert region_name("439903101000", names) == "某街道"
    assert region_name("439904000000", names) is None and region_name(None, names) is None


def test_settings_default_path_and_missing_file(tmp_path):
    settings = settings_from_mapping({"paths": {"instance_dir": str(tmp_path / "inst")}}, base_dir=tmp_path)
    assert settings.region_names_path == tmp_path / "inst" / "region_names.csv"
    assert region_names(settings) == {}  # no file: codes are shown
    write_region_names(settings.region_names_path, [("439902", "清溪区")])
    assert region_names(settings) == {"439902": "清溪区"}
    other = settings_from_mapping({"paths": {"region_names": "names/regions.csv"}}, base_dir=tmp_path)
    assert other.region_names_path == tmp_path / "names" / "regions.csv"
