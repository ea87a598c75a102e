"""模型 screen data: model versions, category and sentiment mix by month under the active version (scoped)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, select

from dashboards.queries.overview import small_sample
from dashboards.queries.where import record_conditions
from feedback.filters import Filters
from feedback.models import Record, Score
from feedback.scoring import repository as store
from feedback.stats.queries import month_expr


@dataclass
class ModelsData:
    active: dict | None
    adopted: dict | None
    versions: list[dict]
    categories: pd.DataFrame  # month, category, n (ratings' complaint signals with a category; not 12345 messages)
    sentiments: pd.DataFrame  # month, sentiment, n


def _monthly(conn: Connection, filters: Filters, version: str, column, name: str, *where) -> pd.DataFrame:
    month = month_expr(conn, Record.rated_at).label("month")
    stmt = (select(month, column.label(name), func.count().label("n")).select_from(Record)
            .join(Score, (Score.record_id == Record.id) & (Score.model_version == version))
            .where(*record_conditions(filters), column.is_not(None), *where).group_by(month, column).order_by(month))
    return pd.DataFrame(conn.execute(stmt).all(), columns=["month", name, "n"])


def models_data(conn: Connection, filters: Filters) -> ModelsData:
    active = store.active_version(conn)
    empty_c = pd.DataFrame(columns=["month", "category", "n"])
    empty_s = pd.DataFrame(columns=["month", "sentiment", "n"])
    if active is None:
        cats, sents = empty_c, empty_s
    else:
        # the classifier's quality question is the 好差评 taxonomy's: 12345 messages are mostly city matters outside
        # it (filed as 其他 by design) and would swamp the ratings' mix (the demo: 55 % 其他 with them, 8 % without)
        cats = _monthly(conn, filters, active["version"], Score.category, "category", Record.kind == "rating")
        sents = _monthly(conn, filters, active["version"], Score.sentiment, "sentiment")
    return ModelsData(active=active, adopted=store.active_version(conn, store.SENTIMENT),
                      versions=store.list_versions(conn), categories=cats, sentiments=sents)


def category_shares(categories: pd.DataFrame) -> pd.DataFrame:
    """month × category share of the month's categorised complaints (rows sum to 1)."""
    if categories.empty:
        return pd.DataFrame()
    table = categories.pivot_table(index="month", columns="category", values="n", aggfunc="sum", fill_value=0)
    return table.div(table.sum(axis=1), axis=0).sort_index()


def drift(shares: pd.DataFrame, window: int = 3, totals: pd.Series | None = None, min_volume: int = 0
          ) -> pd.DataFrame:
    """Per month: total-variation distance (0..1) between its category mix and the mean mix of the ``window``
    months before it, and the share of "other"; the first month has no reference. ``totals`` (month → categorised
    complaints, ``month_totals``): each month's ``n``, and ``small`` when under ``min_volume``; a mix of three
    complaints is mostly chance (the 30k demo's last month: 3 complaints, "drift" 95 %)."""
    rows = []
    for i, month in enumerate(shares.index):
        ref = shares.iloc[max(0, i - window):i]
        tvd = None if ref.empty else float((shares.iloc[i] - ref.mean()).abs().sum() / 2)
        other = float(shares.iloc[i].get("other", 0.0))
        rows.append({"month": month, "drift": tvd, "other_share": other,
                     "n": int(totals.get(month, 0)) if totals is not None else None})
    out = pd.DataFrame(rows, columns=["month", "drift", "other_share", "n"])
    out["small"] = small_sample(out["n"], min_volume) if totals is not None else False  # the 总览's 样本少 rule
    return out


def month_totals(categories: pd.DataFrame) -> pd.Series:
    """month → the month's categorised complaints (``ModelsData.categories`` summed)."""
    return categories.groupby("month")["n"].sum() if not categories.empty else pd.Series(dtype="int64")


def version_numbers(versions: list[dict]) -> dict[str, int]:
    """version → its number among the versions of its kind, 1 = the oldest (screens show 第 N 版, not a hash)."""
    out: dict[str, int] = {}
    counts: dict[str, int] = {}
    for v in sorted(versions, key=lambda v: (v["created_at"], v["version"])):
        counts[v["kind"]] = counts.get(v["kind"], 0) + 1
        out[v["version"]] = counts[v["kind"]]
    return out
