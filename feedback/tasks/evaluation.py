"""How well grouping recovers known problems: per planted problem, the share of its messages in its biggest task,
the foreign messages in that task and the task's rank (pure functions; used by tests and ``bench.hot``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemScore:
    """One planted problem against a grouping."""

    problem: str
    messages: int  # messages of the problem
    biggest: int  # of them in its biggest task
    share: float  # biggest ÷ messages
    foreign: int  # messages of other problems or decoys in that task
    background: int  # unlabelled messages in that task
    rank: int | None  # that task's rank (1 = first), None when unranked
    tasks: int  # tasks its messages are spread over

    def ok(self, min_share: float = 0.6, top: int = 15) -> bool:
        """The target: one task holds at least ``min_share`` of it, nothing of another problem, in the top."""
        return self.share >= min_share and self.foreign == 0 and self.rank is not None and self.rank <= top


def score_problems(labels: Sequence[str | None], groups: Sequence[object],
                   ranks: Mapping[object, int], problems: Sequence[str] | None = None) -> list[ProblemScore]:
    """Score each problem. ``labels[i]`` is message i's problem (or decoy) name, None for background;
    ``groups[i]`` its task; ``ranks`` task → rank. ``problems`` selects which labels are scored (default: all);
    ties for the biggest task go to the better-ranked one."""
    if len(labels) != len(groups):
        raise ValueError("labels and groups differ in length")
    members: dict[object, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    wanted = problems if problems is not None else sorted({x for x in labels if x is not None})
    out = []
    for p in wanted:
        mine = [i for i, x in enumerate(labels) if x == p]
        if not mine:
            out.append(ProblemScore(p, 0, 0, 0.0, 0, 0, None, 0))
            continue
        per = Counter(groups[i] for i in mine)
        big, n = min(per.items(), key=lambda kv: (-kv[1], ranks.get(kv[0], 10**9), str(kv[0])))
        inside = [labels[i] for i in members[big]]
        foreign = sum(1 for x in inside if x is not None and x != p)
        background = sum(1 for x in inside if x is None)
        out.append(ProblemScore(p, len(mine), n, n / len(mine), foreign, background, ranks.get(big), len(per)))
    return out


def table(scores: Sequence[ProblemScore]) -> str:
    """A plain-text table of the scores (one line per problem)."""
    lines = [f"{'problem':<14}{'msgs':>5}{'in biggest':>11}{'share':>7}{'foreign':>8}{'bg':>4}{'rank':>6}{'tasks':>6}"]
    for s in scores:
        lines.append(f"{s.problem:<14}{s.messages:>5}{s.biggest:>11}{s.share:>7.0%}{s.foreign:>8}{s.background:>4}"
                     f"{s.rank if s.rank is not None else '-':>6}{s.tasks:>6}")
    return "\n".join(lines)


def grouped(signals, cfg=None):
    """Run grouping and ranking on a signal frame (no database): each record's group, each group's rank, the
    groups frame and the metrics, as ``(group_of: dict[record_id, group], ranks: dict[group, rank], groups,
    metrics)``."""
    import pandas as pd

    from feedback.tasks.build import build_candidates
    from feedback.tasks.config import TaskSettings
    from feedback.tasks.priority import components, group_metrics, score

    cfg = cfg or TaskSettings()
    cand = build_candidates(signals, cfg)
    as_of = pd.to_datetime(signals["rated_at"]).max().to_pydatetime()
    metrics = group_metrics(cand.signals, cand.groups, pd.DataFrame(), as_of, cfg)
    g = cand.groups.set_index("group")
    ranked = score(metrics, components(metrics, cfg), g["task_key"], cfg, g["kind"])
    group_of = dict(zip(cand.signals["record_id"].tolist(), cand.signals["group"].tolist(), strict=True))
    return group_of, ranked["rank"].astype(int).to_dict(), cand.groups, metrics
