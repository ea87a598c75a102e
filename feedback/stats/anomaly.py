"""Anomaly markers on a 差评率 series: a binomial control limit against a rolling baseline of earlier points.

For each point the baseline 差评率 is pooled over the ``window`` earlier points that had at least ``min_volume``
ratings (the point itself never counts). With that rate p and the point's n ratings, the expected 差评 are n·p and
z = (observed − n·p) / √(n·p·(1−p)). A point is marked ``high`` when z ≥ ``z_limit`` and it has at least
``min_bad`` 差评, ``low`` when z ≤ −z_limit; points with fewer than ``min_volume`` ratings, or fewer than
``min_points`` baseline points, are never marked. p is smoothed ((bad + 0.5) / (total + 1)) so a baseline with no
差评 at all still gives a finite limit: 差评 are a tiny tail, often zero for weeks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class AnomalyRule:
    window: int = 8  # earlier points in the baseline
    min_points: int = 4  # baseline points needed before anything is marked
    min_volume: int = 30  # ratings a point (and a baseline point) needs
    z_limit: float = 3.0
    min_bad: int = 3  # a 'high' point needs at least this many 差评 (two complaints are not a trend)


DEFAULT_RULE = AnomalyRule()
ANOMALY_COLUMNS = ("baseline_rate", "expected_bad", "z", "anomaly", "reason")


def mark_anomalies(series: pd.DataFrame, rule: AnomalyRule = DEFAULT_RULE) -> pd.DataFrame:
    """``series`` (columns total, bad; one row per period, in time order) with ANOMALY_COLUMNS added.

    baseline_rate in % (None without enough baseline), expected_bad, z, anomaly ('high' / 'low' / None) and
    reason (a Chinese sentence for hover text; None when not marked)."""
    out = series.copy().reset_index(drop=True)
    for name, values in anomaly_columns(out["total"], out["bad"], rule).items():
        out[name] = values
    return out


def anomaly_columns(totals: pd.Series, bads: pd.Series, rule: AnomalyRule = DEFAULT_RULE) -> dict[str, pd.Series]:
    """ANOMALY_COLUMNS of a series of points (``mark_anomalies``), as columns to build a frame with."""
    if rule.window < 1 or rule.min_points < 1 or rule.min_points > rule.window:
        raise ValueError(f"anomaly rule: need 1 <= min_points <= window, got {rule}")
    total = pd.Series(totals).fillna(0).astype("int64").tolist()
    bad = pd.Series(bads).fillna(0).astype("int64").tolist()
    base_rates, expected, zs, marks, reasons = [], [], [], [], []
    # Prefix sums over the points with enough volume: the baseline of point i is the last ``window`` of the
    # ``seen`` such points before it, so each point costs O(1) (a series of decades of days stays linear).
    cum_bad, cum_total, seen = [0], [0], 0
    for i in range(len(total)):
        points = min(seen, rule.window)
        if points >= rule.min_points and total[i] >= rule.min_volume:
            b = cum_bad[seen] - cum_bad[seen - points]
            n = cum_total[seen] - cum_total[seen - points]
        if total[i] >= rule.min_volume:
            cum_bad.append(cum_bad[-1] + bad[i])
            cum_total.append(cum_total[-1] + total[i])
            seen += 1
        if points < rule.min_points or total[i] < rule.min_volume:
            base_rates.append(None), expected.append(None), zs.append(None), marks.append(None), reasons.append(None)
            continue
        p = (b + 0.5) / (n + 1.0)
        exp = total[i] * p
        z = (bad[i] - exp) / math.sqrt(total[i] * p * (1.0 - p))
        mark = None
        if z >= rule.z_limit and bad[i] >= rule.min_bad:
            mark = "high"
        elif z <= -rule.z_limit:
            mark = "low"
        base_rates.append(b / n * 100.0)
        expected.append(exp)
        zs.append(z)
        marks.append(mark)
        reasons.append(None if mark is None else _reason(mark, bad[i], total[i], b / n * 100.0, exp, z, points))
    return {"baseline_rate": pd.Series(base_rates, dtype="float64"), "expected_bad": pd.Series(expected, dtype="float64"),
            "z": pd.Series(zs, dtype="float64"), "anomaly": pd.Series(marks, dtype="object"),
            "reason": pd.Series(reasons, dtype="object")}


def _reason(mark: str, bad: int, total: int, base_rate: float, expected: float, z: float, points: int) -> str:
    word = "高于" if mark == "high" else "低于"
    return (f"差评率 {bad / total * 100.0:.2f}% 明显{word}前 {points} 期基线 {base_rate:.2f}%："
            f"实际差评 {bad} 条，按基线预期 {expected:.1f} 条（z = {z:+.1f}）")
