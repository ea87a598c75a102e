"""Every time a template shows goes through one filter: stored wall-clock time → [display] timezone."""

from datetime import datetime


def test_the_dashboards_localtime_filter_is_the_one_helper_with_the_configured_zones(settings_factory):
    from dashboards.app import create_app
    from feedback.db import make_engine

    settings = settings_factory(display={"timezone": "UTC"})
    app = create_app(settings, make_engine("sqlite:///:memory:"))
    shown = app.jinja_env.filters["localtime"]
    assert shown(datetime(2026, 11, 3, 9, 5)) == "2026-11-03 01:05"  # stored Shanghai wall-clock → UTC
    assert app.jinja_env.from_string("{{ t|localtime }}").render(t="2026-11-03 09:05:00") == "2026-11-03 01:05"
