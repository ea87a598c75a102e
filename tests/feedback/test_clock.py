"""The one storage clock and its simulated context."""

from datetime import datetime

from feedback.clock import local_now, simulated


def test_simulated_clock_is_read_inside_the_block_only_and_nests():
    at = datetime(2026, 3, 2, 9, 30, 15, 123456)
    with simulated(at):
        assert local_now() == datetime(2026, 3, 2, 9, 30, 15)  # seconds precision, as stored
        with simulated(datetime(2026, 4, 1, 8, 0)):
            assert local_now() == datetime(2026, 4, 1, 8, 0)
        assert local_now() == datetime(2026, 3, 2, 9, 30, 15)
    assert local_now().year >= 2026 and local_now() != datetime(2026, 3, 2, 9, 30, 15)


def test_simulated_clock_drives_the_stamps_of_a_task_change(engine):
    from feedback.tasks import repository

    with engine.begin() as conn, simulated(datetime(2026, 5, 6, 10, 0)):
        build = repository.insert_build(conn, as_of=None, model_version=None, settings_hash="x", settings={})
    from sqlalchemy import select

    from feedback.models import TaskBuild

    with engine.connect() as conn:
        assert conn.execute(select(TaskBuild.built_at).where(TaskBuild.id == build)).scalar_one() == \
            datetime(2026, 5, 6, 10, 0)


def test_display_time_converts_stored_wall_clock_time_once_for_every_kind_of_value():
    import pandas as pd

    from feedback.clock import display_time

    stored = datetime(2026, 11, 3, 9, 5, 59)
    assert display_time(stored) == "2026-11-03 09:05"
    assert display_time("2026-11-03 09:05:59") == display_time(pd.Timestamp(stored)) == "2026-11-03 09:05"
    assert display_time(stored, display_tz="UTC") == "2026-11-03 01:05"  # Shanghai is UTC+8
    assert display_time(stored, storage_tz="UTC", display_tz="Asia/Shanghai") == "2026-11-03 17:05"
    assert display_time(None) == display_time("") == display_time(pd.NaT) == ""
    assert display_time("2026-11-03") == "2026-11-03"


def test_display_timezone_and_bulletin_placeholders_are_checked(tmp_path):
    import pytest

    from feedback.settings import SettingsError, settings_from_mapping

    assert settings_from_mapping({"display": {"timezone": "Asia/Urumqi"}}).display.timezone == "Asia/Urumqi"
    with pytest.raises(SettingsError, match="display.timezone"):
        settings_from_mapping({"display": {"timezone": "Mars/Olympus"}})
    with pytest.raises(SettingsError, match="bulletin.opening"):
        settings_from_mapping({"bulletin": {"opening": "现将{county}情况通报如下："}})
    with pytest.raises(SettingsError, match="bulletin.decimals"):
        settings_from_mapping({"bulletin": {"decimals": 7}})



def test_day_end_is_the_last_moment_of_the_display_day_in_storage_time():
    from datetime import date

    from feedback.clock import day_end

    assert day_end(date(2025, 10, 31)) == datetime(2025, 10, 31, 23, 59, 59, 999999)
    # a display zone 8 hours behind the storage zone: its day ends at 07:59:59.999999 the next storage day
    assert day_end(date(2025, 10, 31), storage_tz="Asia/Shanghai", display_tz="UTC") == \
        datetime(2025, 11, 1, 7, 59, 59, 999999)


def test_storage_time_reads_what_a_person_types_in_the_display_zone():
    import pytest

    from feedback.clock import storage_time

    assert storage_time("2025-10-31") == datetime(2025, 10, 31, 23, 59, 59, 999999)  # a date: its end
    assert storage_time("2025-10-20 12:00") == storage_time("2025-10-20T12:00:00") == datetime(2025, 10, 20, 12)
    utc = {"storage_tz": "Asia/Shanghai", "display_tz": "UTC"}
    assert storage_time("2025-10-20 04:00", **utc) == datetime(2025, 10, 20, 12)
    assert storage_time("2025-10-31", **utc) == datetime(2025, 11, 1, 7, 59, 59, 999999)
    assert storage_time("2025-10-20T12:00+08:00", **utc) == datetime(2025, 10, 20, 12)  # its own offset wins
    with pytest.raises(ValueError):
        storage_time("10/20/2025")
