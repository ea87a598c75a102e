"""The case-mix-adjusted 差评率 (indirect standardisation) of the rankings: each unit's 差评 against what its mix of
services and channels would give at the scope's 差评率 of every (service, channel) cell (pure; no database).

Computed straight from a rating frame's rows and their factorised columns (``grouping.group_codes``): the groups
by unit, service and channel are numbered once, and the cells and units read from the groups' codes, without
the intermediate KPI table or factorising its key columns again."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from feedback.stats.grouping import group_codes, key_column
from feedback.stats.kpi import rating_parts


def case_mix(frame: pd.DataFrame, unit: str, mix: Sequence[str] = ("service_key", "channel"), *,
             factorised: dict | None = None) -> pd.DataFrame:
    """Case-mix-adjusted 差评率 per unit, from a frame split by unit and ``mix`` (further splits allowed: every
    figure is a sum over rows, as in ``kpi.rating_columns``).

    expected = Σ over the unit's (service, channel) cells of cell 评价数 × that cell's 差评率 in the whole frame;
    oe_ratio = observed 差评 / expected; adjusted_bad_rate = overall 差评率 × oe_ratio (%). A unit that handles
    hard services gets a higher expected count, so only what is worse than its mix shows. ``factorised``: the
    frame's factorised columns, kept for the next call on the same frame."""
    if frame.empty:  # the pandas form's empty frame, built directly (its groupby cost ~6 ms)
        return pd.DataFrame({unit: frame[unit].array[:0], "total": np.zeros(0, dtype="int64"),
                             "bad": np.zeros(0, dtype="int64"), "expected": np.zeros(0), "oe_ratio": np.zeros(0),
                             "adjusted_bad_rate": np.zeros(0, dtype=object)})
    uniques, codes, inverse, groups = group_codes(frame, [unit, *mix], factorised)
    parts = rating_parts(frame, True, factorised)  # 差评 and 评价数 do not depend on what counts as good
    # per (unit, *mix) group, in groupby's order: the rows of the KPI table by unit and mix
    total = np.bincount(inverse, weights=parts["total"].astype("float64"), minlength=groups).astype("int64")
    bad = np.bincount(inverse, weights=parts["bad"].astype("float64"), minlength=groups).astype("int64")
    sizes = tuple(max(len(u), 1) for u in uniques[1:])
    if np.prod(np.array(sizes, dtype="float64")) < 2 ** 62:  # the groups' cells, numbered in any order
        cell = np.unique(np.ravel_multi_index(codes[1:], sizes), return_inverse=True)[1].reshape(-1)
    else:
        cell = np.unique(np.stack(codes[1:], axis=1), axis=0, return_inverse=True)[1].reshape(-1)
    ids, member = np.unique(codes[0], return_inverse=True)
    return _case_mix_arrays(bad, total, cell, member.reshape(-1), len(ids), unit, key_column(uniques[0], ids))


def _case_mix_arrays(bad: np.ndarray, total: np.ndarray, cell: np.ndarray, member: np.ndarray, n_units: int,
                     unit: str, keys) -> pd.DataFrame:
    """case_mix's arithmetic on the groups' arrays (same operations, same order as the pandas form; the per-unit
    sum of ``expected`` stays a pandas groupby sum, whose compensated summation the figures were always taken
    with)."""
    cell_bad = np.bincount(cell, weights=bad)[cell]
    cell_total = np.bincount(cell, weights=total)[cell]
    share = np.divide(cell_bad, cell_total, out=np.zeros(len(total)), where=cell_total > 0)
    expected = total * share
    u_total = np.bincount(member, weights=total, minlength=n_units).astype("int64")
    u_bad = np.bincount(member, weights=bad, minlength=n_units).astype("int64")
    u_expected = pd.Series(expected).groupby(member, sort=True).sum().to_numpy()
    overall = u_bad.sum() / u_total.sum() * 100.0 if u_total.sum() else None
    oe = np.divide(u_bad, u_expected, out=np.full(n_units, np.nan), where=u_expected > 0)
    adjusted = oe * overall if overall is not None else [None] * n_units
    return pd.DataFrame({unit: keys, "total": u_total, "bad": u_bad, "expected": u_expected, "oe_ratio": oe,
                         "adjusted_bad_rate": adjusted})
