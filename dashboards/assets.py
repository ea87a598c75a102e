"""plotly.js served from the installed plotly package (no CDN, no copy in the repository), cached by version."""

from __future__ import annotations

from pathlib import Path

import plotly
from flask import Blueprint, abort, send_file, url_for

bp = Blueprint("assets", __name__)


def plotly_js_path() -> Path:
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def plotly_url() -> str:
    """Versioned URL, so browsers may cache the file for a year and still pick up a plotly upgrade."""
    return url_for("assets.plotly", v=plotly.__version__)


@bp.get("/static/vendor/plotly.min.js", endpoint="plotly")
def plotly_js():
    path = plotly_js_path()
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype="text/javascript", max_age=365 * 24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
