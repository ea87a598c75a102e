"""Dashboard fixtures: the app on the test database, users of every role, seeded records, a login helper."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dashboards.actions import jobs
from dashboards.app import create_app
from dashboards.users import create_user, issue_token
from feedback.settings import DashboardSettings as DashboardOptions
from tests import factory

PASSWORD = "correct-horse-battery"
DEPT_A, DEPT_B = "11439900MB0000001A", "11439900MB0000002B"
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>javascript:alert(1)"
USERS = {  # name: (role, dept)
    "admin": ("admin", None), "ops": ("ops", None), "pm": ("pm", None), "viewer": ("viewer", None),
    "ops_a": ("ops", DEPT_A), "viewer_a": ("viewer", DEPT_A),
}


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Production argon2 parameters cost ~0.2 s a hash; tests use tiny ones (the code path is the same)."""
    from argon2 import PasswordHasher

    from dashboards import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    users._dummy_hash.cache_clear()
    yield
    users._dummy_hash.cache_clear()


HELD_OUT = {"n": 768, "complaints": 668, "top1": 0.6407, "macro_f1": 0.6669, "other_share": 0.0973,
            "complaint_vs_praise": {"n": 768, "accuracy": 0.9297},
            "hidden_complaints": {"n": 233, "positives": 141, "flagged": 117, "precision": 0.8034, "recall": 0.6667}}


@pytest.fixture(autouse=True)
def quick_held_out(monkeypatch):
    """The 模型 screen measures each scoring version on the held-out corpus once (about 10 s, in a background
    thread); dashboard tests get a fixed report at once instead (tests/feedback/scoring/test_trust.py measures)."""
    from feedback.scoring import trust

    monkeypatch.setattr(trust, "held_out_report", lambda scorer, directory=None: dict(HELD_OUT))


@pytest.fixture
def options() -> DashboardOptions:
    return DashboardOptions()


@pytest.fixture
def app(settings, engine, options):
    app = create_app(settings, engine, options=options)
    app.config["TESTING"] = True
    # No background threads in tests: the later stages are recorded as run, not run (test_push runs them).
    app.extensions[jobs.EXTENSION] = jobs.StageRunner(lambda: [], synchronous=True)
    return app


def add_users(engine) -> dict:
    with engine.begin() as conn:
        for name, (role, dept) in USERS.items():
            create_user(conn, name, PASSWORD, role, dept)
    return USERS


@pytest.fixture
def users(engine):
    return add_users(engine)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD, **environ):
    token = csrf_from(client.get("/login", environ_base=environ).text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base=environ)


@pytest.fixture
def client_for(app, users):
    """A signed-in test client for one of USERS."""

    def make(name: str):
        client = app.test_client()
        response = login(client, name)
        assert response.status_code == 302, response.text
        return client

    return make


def rating_row(i: int, batch_id: int, **over) -> dict:
    """The seed's i-th national rating (even rows department A, odd rows B), with ``over`` applied."""
    return factory.record_row(**{
        "source_system": "national", "record_key": f"P{i:06d}", "kind": "rating", "batch_id": batch_id,
        "row_number": i + 2, "project_no": f"P{i:06d}", "service_code": "T001", "service_name": "社保卡申领",
        "dept_code": DEPT_A if i % 2 == 0 else DEPT_B,
        "dept_name": "市人力资源和社会保障局" if i % 2 == 0 else "市公安局", "region_code": "439902000000",
        "channel": "pc", "level": 5 - i % 5, "level_raw": str(5 - i % 5), "level_scheme": "platform",
        "is_default": i % 10 == 9, "tags": "110,209" if i % 5 == 4 else None, "text": f"第{i}条评价，办理很顺利",
        "rated_at": datetime(2026, 3, 1, 9) + timedelta(hours=i), "content_hash": f"{i:064d}", **over,
    })


@pytest.fixture
def seeded(engine):
    return seed(engine)


def seed(engine) -> dict:
    """One finished batch with 20 records (even rows department A, odd rows B), an XSS text in A,
    a LIKE-wildcard text in B, and three rejects whose cells look like spreadsheet formulas."""
    now = datetime(2026, 3, 2, 12)
    with engine.begin() as conn:
        batch_id = factory.add_batch(
            conn, source_system="national", profile="national", file_name="/srv/uploads/abc/三月评价.csv",
            file_sha256="0" * 64, status="done", rows_done=23, read=23, loaded=20, duplicate=0, rejected=3,
            started_at=now, finished_at=now)
        rows = [rating_row(i, batch_id) for i in range(20)]
        rows[0]["text"] = XSS
        rows[0]["level"] = 1
        rows[1]["text"] = "收费100%_不合理"
        factory.add_records(conn, rows)
        factory.add_rejects(conn, batch_id, "三月评价.csv", [
            {"row_number": 7, "column": "satisfaction", "reason": "=满意度 9 不在 1..5",
             "raw": '{"projectNo": "=HYPERLINK(\\"http://x\\")", "pf": "+1"}'},
            {"row_number": 9, "column": "assessTime", "reason": "时间无效", "raw": '{"projectNo": "@SUM(A1)", "pf": "-2"}'},
            {"row_number": 11, "column": None, "reason": "字段数不符", "raw": '{"projectNo": "P1", "pf": "1"}'},
        ])
    return {"batch_id": batch_id, "dept_a": DEPT_A, "dept_b": DEPT_B}


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where browser tests put their screenshots: $HAOCHA_SCREENSHOT_DIR keeps them, else a temporary folder."""
    folder = Path(os.environ.get("HAOCHA_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def token_for(engine, users):
    """Bearer headers of a test user's API token."""
    def make(name: str) -> dict:
        with engine.begin() as conn:
            return {"Authorization": f"Bearer {issue_token(conn, name)}"}

    return make
