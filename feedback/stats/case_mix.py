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
    hard services gets a higher expected count, so only what is worse than its mix shows.

    A service (the first ``mix`` column) that only one unit of the scope handles has nobody to be compared with:
    its cell's 差评率 is the unit's own, so it would explain every 差评 of it and absolve any handling (departments
    own their services, so every department would come out at the scope's average). Such a service's ratings are
    expected at the 差评率 of the rest of the mix alone (its channel, over the whole scope): the unit answers for
    what it alone does. ``factorised``: the frame's factorised columns, kept for the next call on the same frame."""
    if frame.empty:  # the pandas form's empty frame, built directly (its groupby cost ~6 ms)
        return pd.DataFrame({unit: frame[unit].array[:0], "total": np.zeros(0, dtype="int64"),
                             "bad": np.zeros(0, dtype="int64"), "expected": np.zeros(0), "oe_ratio": np.zeros(0),
                             "adjusted_bad_rate": np.zeros(0, dtype=object)})
    uniques, codes, inverse, groups = group_codes(frame, [unit, *mix], factorised)
    parts = rating_parts(frame, True, factorised)  # 差评 and 评价数 do not depend on what counts as good
    # per (unit, *mix) group, in groupby's order: the rows of the KPI table by unit and mix
    total = np.bincount(inverse, weights=parts["total"].astype("float64"), minlength=groups).astype("int64")
    bad = np.bincount(inverse, weights=parts["bad"].astype("float64"), minlength=groups).astype("int64")
    cell = _cells(codes[1:], uniques[1:], groups)
    rest = _cells(codes[2:], uniques[2:], groups)  # the mix without the service: a service one unit alone handles
    stride = max(len(uniques[0]), 1)  # each (service, unit) pair once, numbered service-major
    service_of_pair = np.unique(codes[1].astype("int64") * stride + codes[0]) // stride
    shared = (np.bincount(service_of_pair, minlength=max(len(uniques[1]), 1)) >= 2)[codes[1]]
    ids, member = np.unique(codes[0], return_inverse=True)
    return _case_mix_arrays(bad, total, cell, member.reshape(-1), len(ids), unit, key_column(uniques[0], ids),
                            rest=rest, shared=shared)


def _cells(codes: tuple[np.ndarray, ...], uniques: tuple, groups: int) -> np.ndarray:
    """Each group's cell of the given columns' codes, numbered 0… in any order (one cell for no columns)."""
    if not codes:
        return np.zeros(groups, dtype="int64")
    sizes = tuple(max(len(u), 1) for u in uniques)
    if np.prod(np.array(sizes, dtype="float64")) < 2 ** 62:
        return np.unique(np.ravel_multi_index(codes, sizes), return_inverse=True)[1].reshape(-1)
    return np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)[1].reshape(-1)


def _case_mix_arrays(bad: np.ndarray, total: np.ndarray, cell: np.ndarray, member: np.ndarray, n_units: int,
                     unit: str, keys, *, rest: np.ndarray, shared: np.ndarray) -> pd.DataFrame:
    """case_mix's arithmetic on the groups' arrays (same operations, same order as the pandas form; the per-unit
    sum of ``expected`` stays a pandas groupby sum, whose compensated summation the figures were always taken
    with). Where ``shared`` is false (a service one unit alone handles) a group is expected at its ``rest`` cell's
    差评率 (the rest of the mix, over the whole scope) instead of its own cell's."""
    cell_bad = np.bincount(cell, weights=bad)[cell]
    cell_total = np.bincount(cell, weights=total)[cell]
    if not shared.all():
        cell_bad = np.where(shared, cell_bad, np.bincount(rest, weights=bad)[rest])
        cell_total = np.where(shared, cell_total, np.bincount(rest, weights=total)[rest])
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
