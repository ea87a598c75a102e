"""The bulletin's level charts: 不满意 and 非常不满意, a few hundredths of the ratings, must be visible bars."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pandas as pd
from PIL import Image

from dashboards.figures.style import LEVEL_COLOURS
from dashboards.reports import figures, pngcharts

LEVELS = pd.DataFrame({"level": [5, 4, 3, 2, 1], "name": ["非常满意", "满意", "基本满意", "不满意", "非常不满意"],
                       "active": [12_000, 2_500, 300, 9, 8], "default": [30_000, 0, 0, 0, 0]})
LEVELS["total"] = LEVELS["active"] + LEVELS["default"]


def _pixels(png: bytes, colour: str) -> int:
    rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return int((pixels == rgb).all(axis=2).sum())


def test_docx_level_chart_shows_the_few_bad_ratings_as_bars():
    png = pngcharts.level_chart(LEVELS)
    bar_width = 40  # px at least: five bars across a 6.4 in, 144 dpi figure
    for level in (1, 2):  # 8 and 9 ratings beside 42,000: under a pixel on a linear axis
        assert _pixels(png, LEVEL_COLOURS[level]) > bar_width * 20, level


def test_html_level_chart_is_on_a_log_axis_that_holds_every_bar():
    fig = json.loads(figures.level_figure(LEVELS).to_json())
    axis = fig["layout"]["yaxis"]
    assert axis["type"] == "log" and axis["tickformat"] == ",d"  # 10,000, not 10k on a Chinese page
    low, high = axis["range"]
    assert low <= 0 and 10 ** high > LEVELS["total"].max()  # 1 rating to the tallest bar with its label


def test_a_month_without_ratings_still_draws_without_warnings():
    empty = LEVELS.assign(active=0, default=0, total=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warned that a log axis had nothing positive to scale
        png = pngcharts.level_chart(empty)
    assert Image.open(io.BytesIO(png)).size[0] > 0
