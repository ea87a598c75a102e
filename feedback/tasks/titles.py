"""Titles of topic tasks from the whole group: its place, what most of it says, and its figures (pure)."""

from __future__ import annotations

import pandas as pd

from feedback.tasks import places

MIN_MESSAGES = 3  # smaller topics keep their central message's subject


def figures(sig: pd.DataFrame) -> pd.DataFrame:
    """Per group: messages, weeks with a message, and likes (index = group)."""
    week = pd.to_datetime(sig["rated_at"]).dt.to_period("W")
    frame = pd.DataFrame({"group": sig["group"], "week": week,
                          "likes": pd.to_numeric(sig["votes_up"], errors="coerce").fillna(0)})
    return frame.groupby("group").agg(n=("week", "size"), weeks=("week", "nunique"), likes=("likes", "sum"))


def group_title(anchor: str | None, subject: str, keywords: list[str], n: int, weeks: int, likes: float,
                limit: int = 80) -> str:
    """'丽发新城附近搅拌站噪音污染严重、灰尘（52 条，12 周，点赞 47）': the place, the central message's issue,
    up to two of the group's own keywords it does not already say, and the figures."""
    anchor = places.bare_anchor(anchor)
    issue = places.issue_phrase(subject, anchor)
    if anchor and issue and issue in anchor:
        issue = ""  # the subject only repeats the anchor: said once
    extra = [k for k in keywords if k != anchor and k not in issue and (not anchor or k not in anchor)
             and not (issue and issue in k)][:2]
    what = "、".join([issue, *extra]) if issue else "、".join(extra)
    head = f"{anchor}{what}" if anchor else (what or places.clean(subject))
    tail = f"（{n} 条，{weeks} 周" + (f"，点赞 {int(likes):,}）" if likes > 0 else "）")
    return head[: max(limit - len(tail), 10)] + tail
