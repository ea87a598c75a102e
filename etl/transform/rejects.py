"""Collecting rejected rows during a transform: the first problem per row, and the masked raw row as JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from feedback.text.normalise import STR_DTYPE
from feedback.text.pii import mask_text

REJECT_COLUMNS = ("row_number", "column", "reason", "raw")
MASKED = "***"

Reason = str | Callable[[np.ndarray], np.ndarray]


class Rejects:
    """One reject per row: the first problem added wins. A reason is a sentence, or a function of the mask that
    returns one sentence per row of the chunk (only called when some row is rejected)."""

    def __init__(self, n: int):
        self.flagged = np.zeros(n, dtype=bool)
        self.column = np.full(n, None, dtype=object)
        self.reason = np.full(n, None, dtype=object)

    def add(self, mask: np.ndarray, column: str | None, reason: Reason) -> None:
        mask = np.asarray(mask, dtype=bool) & ~self.flagged
        if not mask.any():
            return
        self.flagged |= mask
        self.column[mask] = column
        self.reason[mask] = reason if isinstance(reason, str) else np.asarray(reason(mask), dtype=object)[mask]

    def frame(self, raw: pd.DataFrame, rows: np.ndarray, source_columns: list[str],
              sensitive: Iterable[str]) -> pd.DataFrame:
        """``row_number, column, reason, raw``; ``raw`` is the source row as JSON with identity columns replaced
        by ``***`` and phones, ID numbers, e-mails and plates masked in every other cell."""
        m = self.flagged
        if not m.any():
            return pd.DataFrame({"row_number": pd.Series([], dtype="int64"),
                                 **{c: pd.Series([], dtype=object) for c in REJECT_COLUMNS[1:]}})
        sensitive = set(sensitive)
        sub = raw.loc[m, source_columns].copy()
        for c in source_columns:
            col = sub[c].astype(STR_DTYPE)
            sub[c] = col.where(col.isna(), MASKED) if c in sensitive else mask_text(col)
        if source_columns:
            raw_json = sub.to_json(orient="records", lines=True, force_ascii=False).splitlines()
        else:
            raw_json = ["{}"] * int(m.sum())
        return pd.DataFrame({"row_number": rows[m], "column": self.column[m], "reason": self.reason[m],
                             "raw": raw_json})


def quoted(values: pd.Series, mask: np.ndarray, prefix: str = "", suffix: str = "") -> np.ndarray:
    """``prefix'value'suffix`` for the rows of ``mask`` (value PII-masked and cut to 60 characters); the array
    has one entry per row of ``values``."""
    out = np.full(len(values), None, dtype=object)
    shown = mask_text(values[mask].astype(STR_DTYPE).fillna("").str.slice(0, 60))
    out[mask] = (prefix + "'" + shown + "'" + suffix).to_numpy(dtype=object)
    return out
