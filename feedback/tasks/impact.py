"""Impact check of a shipped fix: equal windows before and after, difference with a confidence interval."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy import stats


def wilson(k: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def newcomb_difference(k1: float, n1: float, k2: float, n2: float, z: float) -> tuple[float, float, float]:
    """Difference p2 − p1 with Newcomb's hybrid score interval (method 10)."""
    p1, p2 = (k1 / n1 if n1 else 0.0), (k2 / n2 if n2 else 0.0)
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p2 - p1
    lower = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    upper = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return d, lower, upper


def rate_ratio(k1: int, k2: int, confidence: float) -> tuple[float, float, float]:
    """Ratio k2/k1 of two Poisson counts over equal windows, with an exact (Clopper-Pearson) interval."""
    n = k1 + k2
    if n == 0:
        return 1.0, 0.0, math.inf
    a = 1 - confidence
    lo = stats.beta.ppf(a / 2, k2, k1 + 1) if k2 > 0 else 0.0
    hi = stats.beta.ppf(1 - a / 2, k2 + 1, k1) if k1 > 0 else 1.0
    to_ratio = lambda p: p / (1 - p) if p < 1 else math.inf  # noqa: E731
    return (k2 / k1 if k1 else math.inf), to_ratio(lo), to_ratio(hi)


@dataclass(frozen=True)
class Impact:
    """Complaints before and after shipping in equal windows, and the verdict."""

    window_days: int
    before_complaints: int
    before_total: int | None  # ratings of the segment (None: messages, compared as counts)
    after_complaints: int
    after_total: int | None
    change: float  # after − before (rate difference), or after/before (count ratio)
    lower: float
    upper: float
    measure: str  # rate_difference | count_ratio
    verdict: str  # improved | worse | no_change | too_early | too_little_data

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        words = {"improved": "显著改善", "worse": "显著变差", "no_change": "无显著变化", "too_early": "观察期未满",
                 "too_little_data": "数据不足"}
        if self.measure == "rate_difference":
            fig = f"投诉率 {self.change * 100:+.3f} 个百分点（95% 置信区间 {self.lower * 100:+.3f} ~ {self.upper * 100:+.3f}）"
        else:
            fig = f"投诉量为上线前的 {self.change:.2f} 倍（置信区间 {self.lower:.2f} ~ {self.upper:.2f}）"
        return f"上线前后各 {self.window_days} 天：{self.before_complaints} → {self.after_complaints}，{fig}，{words[self.verdict]}"


def compare(before_k: int, before_n: int | None, after_k: int, after_n: int | None, *, window_days: int,
            confidence: float = 0.95, min_signals: int = 5, complete: bool = True) -> Impact:
    """Verdict on equal windows: 'improved' when the whole interval lies below no change, 'worse' above."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    if before_n is not None and after_n is not None:
        d, lo, hi = newcomb_difference(before_k, before_n, after_k, after_n, z)
        measure, null = "rate_difference", 0.0
    else:
        d, lo, hi = rate_ratio(before_k, after_k, confidence)
        measure, null = "count_ratio", 1.0
    if not complete:
        verdict = "too_early"
    elif before_k < min_signals and after_k < min_signals:
        verdict = "too_little_data"
    elif hi < null:
        verdict = "improved"
    elif lo > null:
        verdict = "worse"
    else:
        verdict = "no_change"
    return Impact(window_days, int(before_k), before_n, int(after_k), after_n, float(d), float(lo), float(hi),
                  measure, verdict)
