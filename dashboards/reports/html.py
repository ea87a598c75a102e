"""The bulletin as one self-contained HTML file: interactive offline (plotly.js from the installed plotly package
is inlined; nothing loads from the network), every text escaped by Jinja's autoescape."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from dashboards.reports import figures, tables
from feedback.bulletin import Bulletin


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("dashboards", "templates/reports"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(cell=tables.cell_text, value_kind=tables.value_kind, change_kind=tables.change_kind)
    return env


@lru_cache(maxsize=1)
def plotly_js() -> Markup:
    """plotly.min.js of the installed package, safe inside a <script> element."""
    from plotly.offline import get_plotlyjs

    return Markup(get_plotlyjs().replace("</script", "<\\/script"))  # noqa: S704 - the package's own code


def bulletin_figures(b: Bulletin) -> dict[str, str | None]:
    """Figure JSON for each chart (None where there is nothing to draw); Jinja escapes it into an attribute."""
    def ranked(t):
        return t[t["eligible"].astype(bool)]

    out: dict[str, str | None] = {"levels": figures.level_figure(b.levels).to_json()}
    out["channels"] = figures.channel_figure(b.channels).to_json() if not b.channels.empty else None
    out["regions"] = (figures.ranking_figure(b.regions.table, "县（市、区）差评率：实际与调整后").to_json()
                      if not ranked(b.regions.table).empty else None)
    out["depts"] = (figures.ranking_figure(b.depts.table, "部门差评率：实际与调整后").to_json()
                    if not ranked(b.depts.table).empty else None)
    named = b.complaints.table[~b.complaints.table["residual"].astype(bool)]  # 其他问题 would dwarf the rest
    out["categories"] = (figures.category_figure(named).to_json()
                         if b.complaints.classified and not named.empty else None)
    return out


def render_html(b: Bulletin) -> bytes:
    html = _env().get_template("bulletin.html").render(
        b=b, tables=tables.all_tables(b), figures=bulletin_figures(b), kpi_rows=tables.kpi_rows(b),
        plotly_js=plotly_js(), sign_date=f"{b.as_of.year}年{b.as_of.month}月{b.as_of.day}日")
    return html.encode("utf-8")
