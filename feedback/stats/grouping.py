"""Grouping without pandas' groupby: the groups of ``groupby(by, dropna=False, sort=True)`` as numpy arrays, for
the KPI tables and the prefetched rating frames (pure; no database)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def factorize(frame: pd.DataFrame, column: str, cache: dict | None, *, na_sentinel: bool = False):
    """pd.factorize(sort=True) of a column, remembered in ``cache`` (keyed by column and NaN handling)."""
    if cache is not None and (column, na_sentinel) in cache:
        return cache[(column, na_sentinel)]
    out = pd.factorize(frame[column], sort=True, use_na_sentinel=na_sentinel)
    if cache is not None:
        cache[(column, na_sentinel)] = out
    return out


def group_index(frame: pd.DataFrame, by: list[str],
                factorised: dict | None = None) -> tuple[dict[str, Any], np.ndarray, int]:
    """The groups of ``frame.groupby(by, dropna=False, sort=True)`` without pandas' groupby: their key columns
    (as groupby builds them), each row's group number and the number of groups. ``frame`` must not be empty;
    ``factorised`` keeps the columns' factorisations for the next call on the same frame."""
    uniques, key_codes, inverse, groups = group_codes(frame, by, factorised)
    return {b: key_column(u, c) for b, u, c in zip(by, uniques, key_codes, strict=True)}, inverse, groups


def key_column(uniques: Any, codes: np.ndarray) -> Any:
    """A group key column as groupby builds it from a column's sorted ``uniques`` and the groups' ``codes``
    into them: its index infers a dtype for object keys (strings → str)."""
    return uniques.take(codes) if uniques.dtype != object else pd.Index(list(uniques.take(codes)))


def group_codes(frame: pd.DataFrame, by: list[str], factorised: dict | None = None
                ) -> tuple[tuple[Any, ...], tuple[np.ndarray, ...], np.ndarray, int]:
    """``group_index``'s groups as codes: each column's sorted uniques (``factorize``), each group's code into
    them per column, each row's group number and the number of groups (groups in groupby's order)."""
    codes, uniques = zip(*(factorize(frame, b, factorised) for b in by), strict=True)
    sizes = tuple(max(len(u), 1) for u in uniques)
    if len(by) == 1:
        ids, inverse = np.unique(np.asarray(codes[0], dtype="int64"), return_inverse=True)
        key_codes: Any = (ids,)
    elif np.prod(np.array(sizes, dtype="float64")) < 2 ** 62:
        ids, inverse = np.unique(np.ravel_multi_index(codes, sizes), return_inverse=True)
        key_codes = np.unravel_index(ids, sizes)
    else:  # too many combinations to number: unique rows of codes (also in lexicographic order)
        rows, inverse = np.unique(np.stack(codes, axis=1), axis=0, return_inverse=True)
        key_codes, ids = tuple(rows.T), rows
    return uniques, tuple(key_codes), inverse.reshape(-1), len(ids)


def max_per_group(frame: pd.DataFrame, column: str, inverse: np.ndarray, groups: int,
                  factorised: dict | None = None) -> pd.Series:
    """The largest non-missing value of ``column`` in each group (missing where a group has none), as SQL's max():
    the display name of a key whose rows carry several (a department or service renamed in the period)."""
    codes, uniques = factorize(frame, column, factorised, na_sentinel=True)  # missing → -1, never the max
    top = np.full(groups, -1)
    np.maximum.at(top, inverse, codes)
    if not len(uniques):
        return pd.Series([None] * groups, dtype=frame[column].dtype)
    return pd.Series(uniques.take(np.maximum(top, 0)), dtype=frame[column].dtype).where(top >= 0)
