"""One rebuild of the task list: read signals, group, score, gather evidence, keep identities, check impact."""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine

from feedback.cluster import connect
from feedback.regions import region_names
from feedback.scoring.taxonomy import taxonomy_of
from feedback.tasks import queries, repository
from feedback.tasks.build import build_candidates
from feedback.tasks.config import TaskSettings, task_settings
from feedback.tasks.evidence import build_evidence
from feedback.tasks.heat import heat_records
from feedback.tasks.impact import compare
from feedback.tasks.lifecycle import OPEN
from feedback.tasks.priority import components, group_metrics, score, weekly_table
from feedback.tasks.units import Mapper, group_on


@dataclass(frozen=True)
class BuildSummary:
    build_id: int
    as_of: datetime | None
    model_version: str | None
    signals: int
    tasks: int
    new_tasks: int
    seconds: float
    impact_changes: list[tuple[int, str, str]]  # (task id, from, to)


def _adopt_topic_keys(groups: pd.DataFrame, sig: pd.DataFrame, old: pd.DataFrame, known: set[str]) -> pd.DataFrame:
    """A topic whose key is new but that holds most of an earlier topic's records keeps the earlier key, so its
    state and notes follow it when its anchor or first record changes."""
    if old.empty:
        return groups
    old_sets = old.groupby("task_key")["record_id"].apply(set).to_dict()
    claimed = set(groups["task_key"]) & set(old_sets)
    owner = {rid: k for k, ids in old_sets.items() for rid in ids}
    topics = groups[groups["kind"].eq("topic") & ~groups["task_key"].isin(known)]
    members = sig.groupby("group")["record_id"].apply(list)
    order = sorted(topics.itertuples(), key=lambda t: (-len(members.get(t.group, [])), t.task_key))
    keys = groups.set_index("group")["task_key"].copy()
    for t in order:
        ids = members.get(t.group, [])
        counts = pd.Series([owner[r] for r in ids if r in owner]).value_counts()
        for key, overlap in counts.items():
            if key in claimed:
                continue
            if overlap >= 0.5 * min(len(ids), len(old_sets[key])):
                keys[t.group] = key
                claimed.add(key)
            break
    return groups.assign(task_key=groups["group"].map(keys))


def _rows(groups, metrics, comps, ranked, evidence, sig, heat=None) -> list[dict]:
    m = metrics.join(ranked)
    comp_dicts = {g: {c: (None if v != v else round(float(v), 4)) for c, v in d.items()}
                  for g, d in comps.to_dict(orient="index").items()}
    rows = []
    for g in groups.itertuples():
        if g.group not in m.index:
            continue
        r = m.loc[g.group]
        ev = evidence.get(g.group, {})
        seg = ({"service": g.seg_service} if g.kind == "service" else
               {"dept": g.seg_dept} if g.kind == "hall" else None)
        rows.append({
            **{k: getattr(g, k) for k in ("task_key", "kind", "source", "title", "category", "subcategory",
                                          "service_code", "service_name", "dept_code", "dept_name",
                                          "region_code", "anchor")},
            "rank": int(r["rank"]), "score": float(r["score"]), "signals": int(r["signals"]),
            "first_seen": r["first_seen"], "last_seen": r["last_seen"],
            "components": comp_dicts[g.group],
            "metrics": {
                "segment": seg, "volume": round(float(r["volume"]), 3), "excess": round(float(r["excess"]), 3),
                "reach": int(r["reach"]),
                "support": int(r["support"]), "rated": None if pd.isna(r["rated"]) else int(r["rated"]),
                "rate_smoothed": None if pd.isna(r["rate_smoothed"]) else float(r["rate_smoothed"]),
                "rate_baseline": None if pd.isna(r["rate_prior"]) else float(r["rate_prior"]),
                "rate_low": None if pd.isna(r["rate_low"]) else float(r["rate_low"]),
                "recent": round(float(r["recent"]), 3), "previous": round(float(r["previous"]), 3),
                "burst_z": round(float(r["burst_z"]), 3),
                "burst_week": None if pd.isna(r["burst_week"]) else pd.Timestamp(r["burst_week"]).strftime("%Y-%m-%d"),
                "active_weeks": int(r["active_weeks"]), "messages": int(r["messages"]),
                "age_days": round(float(r["age_days"]), 1),
                **({"heat": heat[g.group]} if heat and g.group in heat else {}),
            },
            "keywords": ev.get("keywords", []), "evidence": ev.get("evidence", []),
            "breakdown": ev.get("breakdown", {}), "series": ev.get("series", []),
        })
    return rows


def rebuild_tasks(engine: Engine, settings=None, *, cfg: TaskSettings | None = None,
                  scheduler: str | None = None) -> BuildSummary:
    """Rebuild every task from the current records and scores; state, owner, notes and history survive.
    ``scheduler`` (else ``[tasks] scheduler``): a Dask scheduler address (or ``local:N``) to group the topic
    units on (feedback.tasks.units); the tasks are the same as here. Only this process touches the database,
    and it connects to the cluster before writing anything (feedback.cluster.ClusterError when it cannot)."""
    cfg = cfg or task_settings(settings)
    scheduler = scheduler or cfg.scheduler or None
    with connect(scheduler) if scheduler else nullcontext() as client:
        return _rebuild(engine, settings, cfg, group_on(client) if client is not None else None)


def _rebuild(engine: Engine, settings, cfg: TaskSettings, mapper: Mapper | None) -> BuildSummary:
    started = time.perf_counter()
    with engine.connect() as conn:
        as_of = queries.data_as_of(conn)
        version = queries.active_model_version(conn)
        since = as_of - timedelta(days=cfg.horizon_days) if (as_of and cfg.horizon_days > 0) else None
        sig = queries.load_signals(conn, version, since)
        denominators = queries.load_denominators(conn, since)
        old = queries.existing_tasks(conn)
        old_members = queries.topic_members(conn)
    with engine.begin() as conn:
        build_id = repository.insert_build(conn, as_of=as_of, model_version=version, settings_hash=cfg.digest(),
                                           settings=cfg.recorded())
    rows: list[dict] = []
    members = pd.DataFrame(columns=["task_key", "record_id", "weight"])
    if not sig.empty:
        cand = build_candidates(sig, cfg, region_names(settings) if settings is not None else None,
                                taxonomy_of(settings) if settings is not None else None, mapper)
        groups = _adopt_topic_keys(cand.groups, cand.signals, old_members, set(old["task_key"]))
        metrics = group_metrics(cand.signals, groups, denominators, as_of, cfg)
        comps = components(metrics, cfg)
        by_group = groups.set_index("group")
        ranked = score(metrics, comps, by_group["task_key"], cfg, by_group["kind"])
        heat = heat_records(metrics, cfg, groups.loc[groups["kind"].eq("topic"), "group"])
        worked = set(old.loc[~old["status"].eq("new"), "task_key"])
        detail = set(ranked.index[ranked["rank"] <= cfg.detail_top]) | set(
            groups.loc[groups["task_key"].isin(worked), "group"])
        start = since or cand.signals["rated_at"].min()
        weekly = weekly_table(cand.signals, as_of, max(start, cand.signals["rated_at"].min()))
        anchors = groups.set_index("group")["anchor"].dropna().to_dict()
        evidence = build_evidence(cand.signals, detail, weekly, cfg, anchors)
        rows = _rows(groups, metrics, comps, ranked, evidence, cand.signals, heat)
        members = cand.signals[["group", "record_id", "weight"]].merge(groups[["group", "task_key"]], on="group")
    with engine.begin() as conn:
        ids = repository.save_tasks(conn, rows, build_id)
        members = members.assign(task_id=members["task_key"].map(ids))
        repository.replace_members(conn, members)
    changes = check_impacts(engine, as_of, version, cfg)
    seconds = time.perf_counter() - started
    with engine.begin() as conn:
        repository.finish_build(conn, build_id, signals=len(sig), tasks=len(rows), seconds=seconds)
    new = len(set(r["task_key"] for r in rows) - set(old["task_key"]))
    return BuildSummary(build_id, as_of, version, len(sig), len(rows), new, seconds, changes)


def check_impacts(engine: Engine, as_of: datetime | None, version: str | None,
                  cfg: TaskSettings) -> list[tuple[int, str, str]]:
    """Impact checks of shipped and verified tasks: verified on a significant drop, reopened when the complaints
    come back (significantly more than after the fix)."""
    if as_of is None:
        return []
    changes = []
    w = timedelta(days=cfg.impact_window_days)
    with engine.begin() as conn:
        for t in queries.list_tasks(conn, statuses=("shipped", "verified"), include_inactive=True):
            if not t.get("shipped_at"):
                continue
            shipped = datetime.fromisoformat(t["shipped_at"])
            bk, bn = queries.segment_counts(conn, t, shipped - w, shipped, version)
            ak, an = queries.segment_counts(conn, t, shipped, shipped + w, version)
            result = compare(bk, bn, ak, an, window_days=cfg.impact_window_days, confidence=cfg.impact_confidence,
                             min_signals=cfg.impact_min_signals, complete=as_of >= shipped + w)
            target = None
            if t["status"] == "shipped" and result.verdict == "improved":
                target = "verified"
            elif t["status"] == "shipped" and result.verdict == "worse":
                target = "reopened"
            elif t["status"] == "verified" and as_of >= shipped + 2 * w:
                rk, rn = queries.segment_counts(conn, t, as_of - w, as_of + timedelta(seconds=1), version)
                back = compare(ak, an, rk, rn, window_days=cfg.impact_window_days,
                               confidence=cfg.impact_confidence, min_signals=cfg.impact_min_signals)
                if back.verdict == "worse" and rk >= cfg.impact_min_signals:
                    target, result = "reopened", back
            repository.record_impact(conn, t["id"], result.as_dict(), new_status=target, current=t["status"],
                                     summary=result.summary())
            if target:
                changes.append((t["id"], t["status"], target))
    return changes


__all__ = ["BuildSummary", "OPEN", "rebuild_tasks", "check_impacts"]
