"""Security headers on every response, local-only scripts, escaped untrusted text, plotly.js served locally."""

from __future__ import annotations

import html
import re

import plotly
import pytest

from dashboards.security import HEADERS
from tests.dashboards.conftest import XSS

PAGES = ("/", "/records", "/ingest", "/tasks", "/alerts", "/models")


def _assert_headers(response):
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.request.path, name)
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1).split()
    assert script_src == ["'self'"]
    assert "frame-ancestors 'none'" in csp


def test_headers_on_every_kind_of_response(app, users, client_for, seeded):
    anonymous = app.test_client()
    for path in ("/login", "/", "/api/v1/records", "/no-such-page", "/static/app.css", "/static/vendor/plotly.min.js"):
        _assert_headers(anonymous.get(path))
    client = client_for("admin")
    for path in (*PAGES, "/api/v1/records", "/api/v1/openapi.json", f"/ingest/batches/{seeded['batch_id']}/rejects.csv"):
        response = client.get(path)
        assert response.status_code == 200, path
        _assert_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_and_nothing_external(client_for, seeded):
    client = client_for("admin")
    for path in (*PAGES, "/login"):
        page = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", page, flags=re.I):
            assert re.search(r'\bsrc="/static/', tag), (path, tag)
        bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", page, flags=re.I | re.S)
        assert all(not b.strip() for b in bodies), f"inline script on {path}"
        assert not re.search(r'(src|href)="(https?:)?//', page), f"external resource on {path}"
        assert not re.search(r"<[^>]+\son\w+=", page), f"inline event handler on {path}"


def test_plotly_is_served_locally_with_caching(app, client_for):
    client = client_for("viewer")
    overview = client.get("/").text
    assert f'src="/static/vendor/plotly.min.js?v={plotly.__version__}"' in overview
    response = client.get(f"/static/vendor/plotly.min.js?v={plotly.__version__}")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    assert len(response.data) > 1_000_000
    etag = response.headers["ETag"]
    assert client.get("/static/vendor/plotly.min.js", headers={"If-None-Match": etag}).status_code == 304


def test_untrusted_text_is_shown_as_text(client_for, seeded):
    client = client_for("admin")
    page = client.get("/records?q=onerror").text
    assert XSS not in page
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert html.escape(XSS, quote=True) in page or html.escape(XSS, quote=False) in page
    assert "共 1 条" in page
    api = client.get("/api/v1/records?q=onerror")
    assert api.json["items"][0]["text"] == XSS  # JSON carries the text; it is never HTML
    # JSON is never rendered as HTML: typed application/json and nosniff on every response.
    assert api.mimetype == "application/json" and api.headers["X-Content-Type-Options"] == "nosniff"


def test_secret_key_comes_from_the_environment(settings_factory, tmp_path):
    from dashboards.security import SecretKeyMissing, load_secret_key
    from feedback.settings import DashboardSettings as DashboardOptions
    from feedback.settings import settings_from_mapping

    env_settings = settings_from_mapping({}, base_dir=tmp_path, env={"HAOCHA_SECRET_KEY": "from-env"})
    assert load_secret_key(env_settings, DashboardOptions()) == "from-env"
    dev = settings_factory()
    first = load_secret_key(dev, DashboardOptions())
    assert first == load_secret_key(dev, DashboardOptions()) and len(first) == 64
    assert (dev.instance_path / "secret.key").stat().st_mode & 0o077 == 0
    prod = settings_from_mapping({"security": {"dev_key_file": False}, "paths": {"instance_dir": str(tmp_path / "p")}},
                                 base_dir=tmp_path, env={})
    with pytest.raises(SecretKeyMissing):
        load_secret_key(prod, DashboardOptions())
