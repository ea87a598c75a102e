"""Priority of candidate tasks: visible components, empirical-Bayes rates, trend, burst (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

from feedback.tasks.config import COMPONENT_LABELS, COMPONENTS, TaskSettings


def priority_formula(cfg: TaskSettings | None = None) -> str:
    """The formula as shown in the product, with the configured weights."""
    cfg = cfg or TaskSettings()
    w = cfg.weights()
    terms = " + ".join(f"{w[c]:g}·{COMPONENT_LABELS[c]}" for c in COMPONENTS)
    return (
        f"优先级 = 100 × ({terms}) ÷ Σ(适用分项的权重)\n"
        "规模 = ln(1+加权投诉量) ÷ ln(1+最大值)；有评价数的事项/大厅只计超出同类基准的部分"
        "（加权投诉量 × (1 − 基准率 ÷ 平滑差评率)）\n"
        f"加权：非常不满意 {cfg.severity_very_bad:g}、"
        f"不满意 {cfg.severity_bad:g}、隐性投诉 {cfg.severity_hidden:g}、留言 {cfg.severity_message:g}\n"
        "覆盖面 = ln(1+涉及办件/群众数，留言另加点赞人数) ÷ ln(1+最大值)\n"
        "差评率 = ln(差评率下限 ÷ 同类基准率) ÷ ln(" + f"{cfg.rate_lift_cap:g}" + ")，截断到 0–1；"
        "差评率下限 = 后验分布 Beta(加权投诉 + α, 评价数 − 加权投诉 + β) 的第 " + f"{100 * cfg.rate_quantile:g}"
        + " 百分位数（样本少时有把握的差评率，一两条投诉不足以说明差评率偏高）；"
        "平滑差评率 = (加权投诉 + α) ÷ (评价数 + α + β)，α、β 由同类问题在各事项间的分布按经验贝叶斯估计（仅适用于有评价数的事项/大厅）\n"
        f"趋势 = log₂((近{cfg.trend_window_days}天 + {cfg.trend_prior:g}) ÷ (前{cfg.trend_window_days}天 + "
        f"{cfg.trend_prior:g})) ÷ log₂({cfg.trend_cap:g})，截断到 0–1\n"
        f"突发 = 最大周 z 值 ÷ {cfg.burst_z_cap:g}，z = (周投诉 − 周中位数) ÷ √(周中位数 + 1)\n"
        f"持续性 = 有投诉的周数 ÷ {cfg.persistence_full_weeks}（封顶 1）\n"
        "支持度 = ln(1+Σ(点赞 − 反对)) ÷ ln(1+最大值)（仅适用于留言）\n"
        f"时效 = 0.5^(距最近一条的天数 ÷ {cfg.recency_half_life_days:g})\n"
        "同分时依次比较：加权投诉量、支持度、最近时间、任务键。\n"
        f"话题类任务（留言）的优先级 = {1 - cfg.heat_share:g} × 上式 + {cfg.heat_share:g} × 热度（见热度公式）"
    )


def beta_prior(k: np.ndarray, n: np.ndarray, cfg: TaskSettings) -> tuple[float, float]:
    """Method-of-moments Beta(α, β) prior of complaint rates k/n across groups of one category."""
    ok = n > 0
    k, n = k[ok], n[ok]
    if len(n) == 0 or n.sum() <= 0:
        return 0.0, 0.0
    m = float(np.clip(k.sum() / n.sum(), 1e-9, 1 - 1e-9))
    strength = cfg.rate_prior_strength_min
    if len(n) >= 3:
        p = k / n
        var = float(np.average((p - m) ** 2, weights=n))
        between = var - m * (1 - m) * float(np.mean(1.0 / n))
        if between > 0:
            strength = m * (1 - m) / between - 1
        else:
            strength = cfg.rate_prior_strength_max
    strength = float(np.clip(strength, cfg.rate_prior_strength_min, cfg.rate_prior_strength_max))
    return m * strength, (1 - m) * strength


def smoothed_rates(k: pd.Series, n: pd.Series, category: pd.Series, cfg: TaskSettings) -> pd.DataFrame:
    """Posterior mean rate and its lift over the category baseline, per group (NaN where n is unknown), and the
    lift of the posterior's ``cfg.rate_quantile`` quantile (``rate_lift_low``): the lift the data are sure of.
    With complaints as rare as 0.1 % of ratings, a prior of ~100 pseudo-ratings holds 0.1 pseudo-complaints, so
    the mean still puts one complaint in 166 ratings at 3.8 times the baseline; its 10 % quantile is under it."""
    out = pd.DataFrame({"k": k.astype(float), "n": n.astype(float), "cat": category.fillna("other")})
    out["rate_prior"] = np.nan
    out["rate_smoothed"] = np.nan
    out["rate_low"] = np.nan
    known = out["n"].notna() & (out["n"] > 0)
    pooled = beta_prior(out.loc[known, "k"].to_numpy(), out.loc[known, "n"].to_numpy(), cfg)
    for _cat, idx in out[known].groupby("cat").groups.items():
        part = out.loc[idx]
        a, b = beta_prior(part["k"].to_numpy(), part["n"].to_numpy(), cfg) if len(part) >= 3 else pooled
        if a + b <= 0:
            a, b = pooled
        out.loc[idx, "rate_prior"] = a / (a + b) if a + b > 0 else np.nan
        out.loc[idx, "rate_smoothed"] = (part["k"] + a) / (part["n"] + a + b)
        k_post = (part["k"] + a).clip(lower=1e-9).to_numpy()
        out.loc[idx, "rate_low"] = beta_dist.ppf(cfg.rate_quantile, k_post,
                                                 (part["n"] - part["k"] + b).clip(lower=1e-9).to_numpy())
    out["rate_lift"] = out["rate_smoothed"] / out["rate_prior"]
    out["rate_lift_low"] = out["rate_low"] / out["rate_prior"]
    return out[["rate_prior", "rate_smoothed", "rate_lift", "rate_low", "rate_lift_low"]]


def week_start(ts: pd.Series) -> pd.Series:
    d = pd.to_datetime(ts).dt.normalize()
    return d - pd.to_timedelta(d.dt.day_of_week, unit="D")


def weekly_table(signals: pd.DataFrame, as_of: datetime, horizon_start: datetime) -> pd.DataFrame:
    """Weighted complaints per group (rows) and week (columns, Monday dates), zero-filled."""
    weeks = pd.date_range(week_start(pd.Series([horizon_start])).iloc[0], as_of, freq="W-MON")
    if len(weeks) == 0:
        weeks = pd.DatetimeIndex([week_start(pd.Series([as_of])).iloc[0]])
    wk = week_start(signals["rated_at"])
    table = signals.assign(week=wk).pivot_table(index="group", columns="week", values="weight",
                                               aggfunc="sum", fill_value=0.0)
    return table.reindex(columns=weeks, fill_value=0.0)


def group_metrics(signals: pd.DataFrame, groups: pd.DataFrame, denominators: pd.DataFrame,
                  as_of: datetime, cfg: TaskSettings) -> pd.DataFrame:
    """Raw figures behind the components, one row per group (index = group number)."""
    sig = signals.copy()
    sig["rated_at"] = pd.to_datetime(sig["rated_at"])
    who = sig["evaluator_hash"].astype("string").fillna(sig["project_no"].astype("string"))
    sig["who"] = who.fillna("r" + sig["record_id"].astype(str))
    sig["support"] = (sig["votes_up"].fillna(0).astype(float) - sig["votes_down"].fillna(0).astype(float)).clip(lower=0)
    sig["supporters"] = sig["support"].where(sig["kind"].eq("message"), 0.0)
    win = timedelta(days=cfg.trend_window_days)
    sig["recent"] = np.where(sig["rated_at"] > as_of - win, sig["weight"], 0.0)
    sig["previous"] = np.where((sig["rated_at"] > as_of - 2 * win) & (sig["rated_at"] <= as_of - win),
                               sig["weight"], 0.0)
    sig["is_message"] = sig["kind"].eq("message").astype(np.int64)
    by = sig.groupby("group")
    m = by.agg(signals=("record_id", "size"), volume=("weight", "sum"), reach=("who", "nunique"),
               support=("support", "sum"), supporters=("supporters", "sum"), recent=("recent", "sum"), previous=("previous", "sum"),
               first_seen=("rated_at", "min"), last_seen=("rated_at", "max"), messages=("is_message", "sum"))
    start = sig["rated_at"].min() if cfg.horizon_days <= 0 else as_of - timedelta(days=cfg.horizon_days)
    table = weekly_table(sig, as_of, max(start, sig["rated_at"].min()))
    counts = table.to_numpy()
    med = np.median(counts, axis=1, keepdims=True)
    z = (counts - med) / np.sqrt(med + 1.0)
    burst = pd.Series(z.max(axis=1), index=table.index)
    peak = pd.Series(table.columns[z.argmax(axis=1)], index=table.index)
    m["burst_z"] = burst.reindex(m.index).fillna(0.0)
    m["burst_week"] = peak.reindex(m.index)
    m["active_weeks"] = pd.Series((counts > 0).sum(axis=1), index=table.index).reindex(m.index).fillna(0)
    m["age_days"] = (as_of - m["last_seen"]).dt.total_seconds() / 86400.0
    # people reached: distinct raters / writers, plus those who backed a message ("me too" votes)
    m["citizens"] = m["reach"]
    m["reach"] = m["reach"] + m["supporters"]
    g = groups.set_index("group")
    n = pd.Series(np.nan, index=g.index)
    if not denominators.empty:
        svc = denominators.groupby("service_key")["n"].sum()
        hall = denominators.groupby("dept_key")["n"].sum()
        is_svc = g["kind"].eq("service")
        n[is_svc] = g.loc[is_svc, "seg_service"].map(svc).to_numpy()
        is_hall = g["kind"].eq("hall")
        if is_hall.any():
            n[is_hall] = g.loc[is_hall, "seg_dept"].map(hall).to_numpy()
    m["rated"] = n.reindex(m.index)
    m = m.join(smoothed_rates(m["volume"], m["rated"], g["category"].reindex(m.index), cfg))
    # where a rate is known, only complaints above the category baseline count as size: a big service at the
    # normal rate does not rank by its size alone (excess = volume × (1 − baseline ÷ smoothed rate))
    share = (1.0 - 1.0 / m["rate_lift"]).clip(lower=0.0)
    m["excess"] = (m["volume"] * share).where(m["rate_lift"].notna(), m["volume"])
    return m


def _log_share(x: pd.Series) -> pd.Series:
    top = float(x.max()) if len(x) else 0.0
    return np.log1p(x) / np.log1p(top) if top > 0 else x * 0.0


def components(m: pd.DataFrame, cfg: TaskSettings) -> pd.DataFrame:
    """Each component in [0, 1]; NaN where it does not apply (rate without a denominator, support without
    messages)."""
    c = pd.DataFrame(index=m.index)
    c["volume"] = _log_share(m["excess"])
    c["reach"] = _log_share(m["reach"].astype(float))
    c["rate"] = (np.log(m["rate_lift_low"].clip(lower=1.0)) / np.log(cfg.rate_lift_cap)).clip(0, 1)
    growth = (m["recent"] + cfg.trend_prior) / (m["previous"] + cfg.trend_prior)
    c["trend"] = (np.log2(growth) / np.log2(cfg.trend_cap)).clip(0, 1)
    c["burst"] = (m["burst_z"] / cfg.burst_z_cap).clip(0, 1)
    c["persistence"] = (m["active_weeks"] / max(cfg.persistence_full_weeks, 1)).clip(0, 1)
    support = _log_share(m["support"])
    c["support"] = support.where(m["messages"] > 0)
    c["recency"] = np.power(0.5, m["age_days"].clip(lower=0) / cfg.recency_half_life_days)
    return c[list(COMPONENTS)]


def _values(comps: pd.DataFrame, cfg: TaskSettings) -> tuple[dict[str, float], dict[str, np.ndarray], np.ndarray]:
    """The weights, the components (NaN where one does not apply) and each task's divisor, Σ(weights of the
    components that apply) in COMPONENTS order, NaN where none applies."""
    w = cfg.weights()
    values = {c: comps[c].to_numpy(dtype=float) for c in COMPONENTS}
    den = np.zeros(len(comps))
    for c, v in values.items():
        den = den + np.where(np.isnan(v), 0.0, w[c])
    return w, values, np.where(den > 0, den, np.nan)


def priority(comps: pd.DataFrame, cfg: TaskSettings) -> pd.Series:
    """The priority formula: 100 × Σ(weight · component) ÷ Σ(weights of the applicable components), 0..100 per
    task (one column per component, NaN where one does not apply: it leaves the divisor too)."""
    w, values, den = _values(comps, cfg)
    num = np.zeros(len(comps))
    for c, v in values.items():
        num = num + np.nan_to_num(v * w[c], nan=0.0)
    return pd.Series(100.0 * num / den, index=comps.index).fillna(0.0)


def points(comps: pd.DataFrame, cfg: TaskSettings) -> pd.DataFrame:
    """What each component adds to the priority, 100 · weight · component ÷ the same divisor (NaN where it does
    not apply): a task's points sum to its priority."""
    w, values, den = _values(comps, cfg)
    return pd.DataFrame({c: 100.0 * w[c] * v / den for c, v in values.items()}, index=comps.index)


def component_points(components: Mapping[str, float | None], cfg: TaskSettings) -> dict[str, float | None]:
    """:func:`points` of one task from its stored components (None where one does not apply)."""
    comps = pd.DataFrame([[components.get(c) for c in COMPONENTS]], columns=list(COMPONENTS), dtype=float)
    row = points(comps, cfg).iloc[0]
    return {c: None if pd.isna(row[c]) else float(row[c]) for c in COMPONENTS}


def score(m: pd.DataFrame, comps: pd.DataFrame, keys: pd.Series, cfg: TaskSettings,
          kinds: pd.Series | None = None) -> pd.DataFrame:
    """Score 0..100 and rank (1 = best), ties broken by volume, support, recency of the last signal, key. With
    ``kinds`` (group → task kind) a topic's score blends in its heat index (:func:`feedback.tasks.heat.blend`)."""
    from feedback.tasks.heat import blend, heat_scores

    base = priority(comps, cfg)
    if kinds is not None:
        base = blend(base, heat_scores(m, cfg), kinds.reindex(m.index).eq("topic"), cfg)
    out = pd.DataFrame({"score": base.round(6)}, index=m.index)
    order = pd.DataFrame({
        "score": out["score"], "volume": m["volume"].round(9), "support": m["support"].round(9),
        "last": m["last_seen"], "key": keys.reindex(m.index),
    })
    order = order.sort_values(["score", "volume", "support", "last", "key"],
                              ascending=[False, False, False, False, True], kind="mergesort")
    out["rank"] = pd.Series(np.arange(1, len(order) + 1), index=order.index)
    return out
