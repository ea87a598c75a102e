"""Dashboard options: defaults in code until a [dashboard] settings section exists, then read from it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from feedback.settings import Settings


@dataclass(frozen=True)
class DashboardOptions:
    """Everything the web app needs besides the database; see the report to the lead for the settings keys."""

    secret_key_env: str = "HAOCHA_SECRET_KEY"  # environment variable holding the session-signing key
    secure_cookies: bool = False  # send the session cookie only over HTTPS (turn on behind TLS)
    session_hours: int = 8  # a login lasts this long
    max_upload_mb: int = 50  # largest file accepted by 数据导入
    login_max_failures: int = 5  # failed logins per username + IP …
    login_window_minutes: int = 5  # … within this many minutes before answers become 429
    page_size: int = 50  # rows per page in the explorer and the API (the API caps per_page at 200)
    upload_keep_hours: int = 24  # unconfirmed uploads are deleted after this long
    push_max_kb: int = 10_240  # largest JSON body accepted by POST /api/v1/push (413 above it)
    cache_seconds: int = 300  # the overview's results are reused this long unless the data changes (0 = off)


API_MAX_PAGE_SIZE = 200


def options_from(settings: Settings) -> DashboardOptions:
    """The [dashboard] section when Settings has one (same field names), else the defaults."""
    section = getattr(settings, "dashboard", None)
    if section is None:
        return DashboardOptions()
    known = {f.name for f in dataclasses.fields(DashboardOptions)}
    values = {k: v for k, v in dataclasses.asdict(section).items() if k in known}
    return DashboardOptions(**values)
