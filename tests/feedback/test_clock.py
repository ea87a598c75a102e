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
