"""Static files: versioned URLs cached for a year, compression of scripts and styles, and plotly.js served locally
(the vendored basic bundle, or the installed package's full one; never a CDN)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import plotly
from flask import Blueprint, Flask, abort, current_app, request, send_file, url_for

from dashboards import context

bp = Blueprint("assets", __name__)

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
# Only static scripts, styles and images are compressed. HTML is not: a page carries the CSRF token beside text
# an attacker can choose (a search box, a filter), and compressing both together leaks the token (BREACH).
COMPRESSED_TYPES = ["text/css", "text/javascript", "application/javascript", "image/svg+xml"]
BASIC_PLOTLY = "vendor/plotly-basic.min.js"  # bar, scatter and pie traces: every figure of the dashboard
PLOTLY_LOCALE = "vendor/plotly-locale-zh-cn.js"


def plotly_js_path() -> Path:
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@lru_cache(maxsize=64)
def _digest(path: str, mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """URL of a file under static/ carrying a digest of its content, so browsers keep it for a year and still
    fetch a changed file at once."""
    path = Path(current_app.static_folder or "") / filename
    try:
        version = _digest(str(path), path.stat().st_mtime_ns)
    except OSError:
        return url_for("static", filename=filename)
    return url_for("static", filename=filename, v=version)


def plotly_url() -> str:
    """The plotly.js the pages load: the vendored basic bundle ([dashboard] plotly_basic), else the installed
    package's full bundle (versioned by the package version)."""
    if context.options().plotly_basic:
        return static_url(BASIC_PLOTLY)
    return url_for("assets.plotly", v=plotly.__version__)


def plotly_locale_url() -> str:
    return static_url(PLOTLY_LOCALE)


@bp.get("/static/vendor/plotly.min.js", endpoint="plotly")
def plotly_js():
    path = plotly_js_path()
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="text/javascript", max_age=YEAR, conditional=True)


def _cache_key(req) -> str:
    """Compressed bodies are kept per file and content (bounded by the files under static/, whatever the query)."""
    if req.endpoint == "static":
        path = Path(current_app.static_folder or "") / (req.view_args or {}).get("filename", "")
        try:
            return f"{req.path}:{_digest(str(path), path.stat().st_mtime_ns)}"
        except OSError:
            return req.path
    return f"{req.path}:{plotly.__version__}"


def install(app: Flask, compress: bool) -> None:
    """Year-long caching of versioned static URLs; with ``compress``, zstd/brotli/gzip of scripts and styles,
    each file compressed once per process."""
    if compress:
        from flask_compress import Compress
        from flask_compress.flask_compress import DictCache

        app.config.update(COMPRESS_MIMETYPES=COMPRESSED_TYPES, COMPRESS_MIN_SIZE=1024, COMPRESS_STREAMS=False,
                          COMPRESS_CACHE_BACKEND=DictCache, COMPRESS_CACHE_KEY=_cache_key)
        Compress(app)

    @app.after_request  # registered after Compress, so it runs before it
    def _static(response):
        if request.endpoint not in ("static", "assets.plotly"):
            return response
        if request.args.get("v") and response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
        if compress and response.status_code == 200 and response.is_streamed \
                and response.mimetype in COMPRESSED_TYPES:
            response.direct_passthrough = False  # send_file streams the file; read it so it can be compressed
            response.set_data(response.get_data())
        elif response.status_code == 206:
            response.headers["Content-Encoding"] = "identity"  # a byte range is sent as stored
        return response
