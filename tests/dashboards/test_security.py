"""Security headers on every response, local-only scripts, escaped untrusted text, plotly.js served locally."""

from __future__ import annotations

import gzip
import html
import re

import brotli
import plotly
import pytest

from dashboards.assets import plotly_js_path
from dashboards.security import HEADERS
from tests.dashboards.conftest import XSS, login

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
    """The pages load the vendored basic bundle and its zh-CN locale under content-versioned URLs kept a year."""
    client = client_for("viewer")
    overview = client.get("/").text
    scripts = re.findall(r'<script src="(/static/vendor/plotly[^"]+)"', overview)
    assert [s.split("?")[0] for s in scripts] == ["/static/vendor/plotly-basic.min.js",
                                                  "/static/vendor/plotly-locale-zh-cn.js"]
    for url in scripts:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/javascript", url
        assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
        response.close()
    basic = client.get(scripts[0])
    assert 500_000 < len(basic.data) < plotly_js_path().stat().st_size / 2  # the basic bundle, not the full one
    assert b"window.Plotly" in basic.data
    # an unversioned URL is not cached for a year (it may change under the same name)
    assert "immutable" not in client.get("/static/app.js").headers.get("Cache-Control", "")


def test_the_full_plotly_bundle_stays_available(settings, engine, users):
    from dashboards.app import create_app
    from feedback.settings import DashboardSettings

    app = create_app(settings, engine, options=DashboardSettings(plotly_basic=False))
    client = app.test_client()
    login(client, "viewer")
    assert f'src="/static/vendor/plotly.min.js?v={plotly.__version__}"' in client.get("/").text
    response = client.get(f"/static/vendor/plotly.min.js?v={plotly.__version__}")
    assert response.status_code == 200 and len(response.data) > 1_000_000
    assert "immutable" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert client.get("/static/vendor/plotly.min.js", headers={"If-None-Match": etag}).status_code == 304


def test_scripts_are_compressed_pages_never(client_for):
    """Static scripts travel compressed; HTML (which carries the CSRF token) and JSON never do (BREACH)."""
    client = client_for("viewer")
    page = client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in page.headers and "csrf_token" in page.text
    assert "Content-Encoding" not in client.get("/api/v1/overview", headers={"Accept-Encoding": "gzip"}).headers
    url = re.search(r'<script src="(/static/vendor/plotly-basic[^"]+)"', page.text).group(1)
    plain = client.get(url).data
    for encoding, decode in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        response = client.get(url, headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert len(response.data) < len(plain) / 2
        assert decode(response.data) == plain
    assert client.get("/static/app.css", headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"


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
