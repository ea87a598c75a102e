"""The ledger as it stood at a moment (pure): each case's state replayed from its history (``ledger_events``).

Every event stores the case's state after it (``to_status``) and, since migration 0014, its rectify deadline
(``rectify_due``), so the state at a moment is the last event by then; a step's time is the first event that
reached it. The case row itself only adds what never changes (the record's dimensions, ``opened_at``,
``verify_due``) and what is written once with a step (the 回访 satisfaction, the ruling of an approved request)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

STAMPS = {"rectified": "rectified_at", "replied": "replied_at", "revisited": "revisited_at", "closed": "closed_at"}
NOT_REPLAYED = ("extended_days",)  # the case's current value says nothing of the moment: left out


def cases_at(cases: pd.DataFrame, events: pd.DataFrame, at: datetime) -> pd.DataFrame:
    """``cases`` (a ``stats_queries.case_frame``) as they stood at ``at``, from their ``events`` (a
    ``stats_queries.case_events``, the history of the same cases; events after ``at`` are ignored):

    - cases opened after ``at`` are left out;
    - status: the state after the case's last event by then; rectify_due: the deadline after it, so a 延期
      approved later does not move it (events without a stored deadline, see migration 0014, fall back to the
      case's current one);
    - verified_at, rectified_at, replied_at, revisited_at, closed_at: when the case first left 待核实 / reached
      that state, if it did by then;
    - outcome: 差评无效 or 无法整改 if approved by then, else rectified once rectified; satisfaction with the
      回访 and ruling with the approval, only if they happened by then;
    - extended_days is left out (not replayed)."""
    ev = events[events["at"] <= at].sort_values(["at", "id"], kind="stable")
    out = cases[cases["opened_at"] <= at].drop(columns=list(NOT_REPLAYED), errors="ignore").copy()
    ids = out["case_id"]
    last = ev.groupby("case_id")[["to_status", "rectify_due"]].last()  # the last non-null value of each column
    out["status"] = _lookup(last["to_status"], ids).fillna("pending_verify")  # no event yet: as opened
    due = _lookup(last["rectify_due"], ids)
    out["rectify_due"] = due.where(due.notna(), out["rectify_due"])

    def first(mask: pd.Series) -> pd.Series:
        return pd.to_datetime(_lookup(ev[mask].groupby("case_id")["at"].min(), ids))

    out["verified_at"] = first(ev["to_status"] != "pending_verify")
    for status, stamp in STAMPS.items():
        out[stamp] = first(ev["to_status"] == status)
    reached = ev.groupby("case_id")["to_status"].agg(set)
    states = _lookup(reached, ids).map(lambda s: s if isinstance(s, set) else set())
    out["outcome"] = pd.Series([_outcome(s) for s in states], index=out.index, dtype=object)
    out["satisfaction"] = out["satisfaction"].where(out["revisited_at"].notna(), pd.NA).astype("Int64")
    ruled = out["outcome"].isin(["cannot_fix", "voided"])
    out["ruling"] = pd.Series([r if k else None for r, k in zip(out["ruling"], ruled, strict=True)],
                              index=out.index, dtype=object)
    for col in ("status", "outcome", "ruling"):  # the types of the case frame, whatever pandas infers here
        out[col] = out[col].astype(cases[col].dtype)
    return out.reset_index(drop=True)


def _lookup(values: pd.Series, ids: pd.Series) -> pd.Series:
    """``values`` (indexed by case id) for each of ``ids``, on the ids' index; missing where a case has none."""
    return pd.Series(values.reindex(ids.to_numpy()).to_numpy(), index=ids.index, dtype=values.dtype)


def _outcome(reached: set[str]) -> str | None:
    """The case's outcome once it passed through these states (a 差评无效 ruling overrides a fix)."""
    for outcome in ("voided", "cannot_fix", "rectified"):
        if outcome in reached:
            return outcome
    return None
