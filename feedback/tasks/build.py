"""Complaint signals grouped into candidate tasks: category × 事项, hall × category, or a concrete topic."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feedback.regions import region_name
from feedback.scoring.taxonomy import Taxonomy
from feedback.tasks import places, titles
from feedback.tasks.config import TaskSettings
from feedback.tasks.labels import Labels, labels
from feedback.tasks.units import Mapper, group_here, topic_units

# Columns of a signal frame (one row per complaint signal; see queries.load_signals).
SIGNAL_COLUMNS = (
    "record_id", "kind", "level", "hidden", "hidden_clause", "category", "service_code", "service_name", "dept_code",
    "dept_name", "region_code", "channel", "tags", "title", "text", "votes_up", "votes_down", "rated_at",
    "project_no", "evaluator_hash",
)
UNSORTED = ("other", "", None)


@dataclass
class Candidates:
    """Groups (one row per candidate task) and the signal rows with their group number and weight."""

    groups: pd.DataFrame  # group, task_key, kind, source, title, category, subcategory, service_*, dept_*, ...
    signals: pd.DataFrame  # the input signals plus columns group, weight


def task_key(*parts: object) -> str:
    """A stable identity for a group definition (40 hex characters)."""
    raw = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def severity(signals: pd.DataFrame, cfg: TaskSettings) -> pd.Series:
    """Weight of each signal: 非常不满意 > 不满意 > hidden complaint; a message has its own weight."""
    level = pd.to_numeric(signals["level"], errors="coerce")
    w = np.where(signals["kind"].eq("message"), cfg.severity_message,
                 np.where(level.eq(1), cfg.severity_very_bad,
                          np.where(level.eq(2), cfg.severity_bad, cfg.severity_hidden)))
    return pd.Series(w.astype(float), index=signals.index)


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("").str.strip()


def subcategories(sig: pd.DataFrame, text: pd.Series, lab: Labels) -> list[str | None]:
    """Second-level category of each signal: the model's (column ``subcategory``), else the seed phrases in its
    text, else its tag codes."""
    model = sig["subcategory"].tolist() if "subcategory" in sig else [None] * len(sig)
    out = []
    for m, c, t, tg in zip(model, sig["category"].tolist(), text.tolist(), sig["tags"].tolist(), strict=True):
        c = c if isinstance(c, str) else None
        sub = m if isinstance(m, str) and m and c else (lab.subcategory(c, t) if c and t else None)
        out.append(sub if sub is not None else lab.tag_subcategory(c, tg))
    return out


def leading_subcategories(sig: pd.DataFrame, share: float = 0.25, most: int = 2) -> dict[int, list[str]]:
    """group → its second-level categories with at least ``share`` of the group's classified signals (best
    first, at most ``most``): they name the task; the split stays at the first level so that one problem
    described two ways (超承诺时限 / 超法定时限) stays one task."""
    s = sig[sig["subcategory"].notna()]
    if s.empty:
        return {}
    n = s.groupby(["group", "subcategory"]).size().rename("n").reset_index()
    n["share"] = n["n"] / n.groupby("group")["n"].transform("sum")
    n = n[n["share"] >= share].sort_values(["group", "n", "subcategory"], ascending=[True, False, True])
    return {int(g): list(v["subcategory"])[:most] for g, v in n.groupby("group")}


def build_candidates(signals: pd.DataFrame, cfg: TaskSettings, region_names: Mapping[str, str] | None = None,
                     taxonomy: Taxonomy | None = None, mapper: Mapper | None = None) -> Candidates:
    """Assign every signal to one candidate task (pure: a frame in, frames out); ``region_names`` name the
    region of a local hall's title (feedback.regions), else its code is shown; ``taxonomy`` names the categories
    (default: the packaged one); ``mapper`` groups the topic units (feedback.tasks.units: here by default, or
    on a Dask cluster, with the same result)."""
    lab = labels(taxonomy)
    sig = signals.reset_index(drop=True).copy()
    sig["weight"] = severity(sig, cfg)
    text = _text(sig["text"])
    title = _text(sig["title"])
    cat = sig["category"].astype("string")
    missing = cat.isna() | cat.isin(["", "other"])
    if missing.any():
        from_tags = sig.loc[missing, "tags"].map(lab.tag_category).astype("string")
        cat = cat.mask(missing & from_tags.notna(), from_tags)
    sig["category"] = cat.where(~cat.isin(["", "other"]), pd.NA)
    sig["subcategory"] = subcategories(sig, text, lab)
    is_msg = sig["kind"].eq("message")
    has_text = (text.str.len() > 0) | (title.str.len() > 0)
    no_cat = sig["category"].isna()
    onsite = sig["category"].isin(list(cfg.onsite())) & ~is_msg
    service = sig["service_code"].astype("string").fillna(sig["service_name"].astype("string"))
    dept = sig["dept_code"].astype("string").fillna(sig["dept_name"].astype("string"))

    rows: list[dict] = []
    group_of = np.full(len(sig), -1, dtype=np.int64)

    def add(mask: pd.Series, kind: str, keys: list[str]) -> None:
        sub = sig.loc[mask, keys].astype("string").fillna("")
        if sub.empty:
            return
        codes, uniques = pd.factorize(pd.MultiIndex.from_frame(sub), sort=True)
        base = len(rows)
        group_of[np.flatnonzero(mask.to_numpy())] = codes + base
        for values in uniques:
            rows.append({"kind": kind, **dict(zip(keys, values, strict=True))})

    rated = ~is_msg
    sig["_service"] = service.fillna("")
    sig["_dept"] = dept.fillna("")
    sig["_cat"] = sig["category"].fillna("other")
    add(rated & ~onsite & (~no_cat | ~has_text), "service", ["_service", "_cat"])
    # on-site problems are the department's halls together: a department-wide queue problem is one task, not one
    # per district hall; a problem at one hall still shows as that hall (the dominant region, see _describe)
    add(rated & onsite, "hall", ["_dept", "_cat"])
    units = topic_units(sig, title, text, [("message", is_msg), ("rating", rated & no_cat & has_text)])
    found = (mapper or group_here)(units, cfg.topic_threshold, cfg.topic_merge_similarity, cfg.topic_max_docs)
    for unit, result in zip(units, found, strict=True):
        idx = unit.positions
        for t, c in zip(result.topics, result.centres, strict=True):
            group_of[idx[t.members]] = len(rows)
            rows.append({"kind": "topic", "_pool": unit.pool, "_city": unit.city, "anchor": t.label,
                         "_anchor_key": t.anchor, "_first": int(sig["record_id"].iloc[idx[t.members[0]]]),
                         "_centre": int(idx[c])})
    sig["group"] = group_of
    sig = sig[sig["group"] >= 0].drop(columns=["_service", "_dept", "_cat"])
    groups = pd.DataFrame(rows)
    groups.insert(0, "group", np.arange(len(groups)))
    return Candidates(_describe(groups, sig, title, text, region_names or {}, lab), sig)


def _topic_keywords(g: pd.DataFrame, sig: pd.DataFrame, title: pd.Series, text: pd.Series) -> dict:
    """Keywords of message topics big enough for a group title (their subjects, else their texts' start)."""
    from feedback.tasks.evidence import keywords_for

    if "_pool" not in g:
        return {}
    big = g.index[g["kind"].eq("topic") & g["_pool"].eq("message") & (g["n"] >= titles.MIN_MESSAGES)]
    if len(big) == 0:
        return {}
    part = sig[sig["group"].isin(set(big))]
    docs = [t or x[:60] for t, x in zip(title.loc[part.index].tolist(), text.loc[part.index].tolist(), strict=True)]
    texts: dict[int, list[str]] = {}
    for grp, d in zip(part["group"].tolist(), docs, strict=True):
        texts.setdefault(int(grp), []).append(d)
    anchors = {int(k): v for k, v in g.loc[big, "anchor"].items() if isinstance(v, str)}
    return keywords_for(texts, 4, anchors)


def _region_share(sig: pd.DataFrame) -> pd.DataFrame:
    """Per group: how many regions its signals come from and the share of the most frequent one."""
    v = sig.loc[sig["region_code"].notna() & (sig["region_code"].astype("string") != ""), ["group", "region_code"]]
    counts = v.groupby(["group", "region_code"]).size()
    if counts.empty:
        return pd.DataFrame({"regions": pd.Series(dtype=int), "region_share": pd.Series(dtype=float)})
    per = counts.groupby(level="group")
    return pd.DataFrame({"regions": per.size(), "region_share": per.max() / per.sum()})


def _modes(sig: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The most frequent non-empty value of each column per group (ties: the smallest value)."""
    out = pd.DataFrame(index=pd.Index(sorted(sig["group"].unique()), name="group"))
    for col in columns:
        v = sig[["group", col]].copy()
        v[col] = v[col].astype("string")
        v = v[v[col].notna() & (v[col] != "")]
        if v.empty:
            out[col] = None
            continue
        counts = v.groupby(["group", col]).size().rename("n").reset_index()
        counts = counts.sort_values(["group", "n", col], ascending=[True, False, True], kind="mergesort")
        first = counts.drop_duplicates("group").set_index("group")[col]
        out[col] = first.reindex(out.index).astype(object).where(first.reindex(out.index).notna(), None)
    return out


# a hall task whose signals come this much from one region is that region's hall (title and region_code)
HALL_LOCAL_SHARE = 0.6


def _describe(groups: pd.DataFrame, sig: pd.DataFrame, title: pd.Series, text: pd.Series,
              region_names: Mapping[str, str], lab: Labels) -> pd.DataFrame:
    """Titles, identity keys and the descriptive columns of each group."""
    leading = leading_subcategories(sig)
    first = _modes(sig, ["service_code", "service_name", "dept_code", "dept_name", "region_code"])
    counts = sig.assign(msg=sig["kind"].eq("message")).groupby("group").agg(n_msg=("msg", "sum"),
                                                                             n=("kind", "size"))
    first = first.join(counts).join(_region_share(sig))
    g = groups.set_index("group").join(first)
    named = _topic_keywords(g, sig, title, text)
    figs = titles.figures(sig)
    # a topic's category: the one most of its signals carry (12345 messages: the office's own category, or the
    # taxonomy's where they fit; None when they carry none, as a topic of uncategorised ratings)
    topic_cat = _modes(sig, ["category"])["category"]
    out = []
    for gid, r in g.iterrows():
        kind = r["kind"]
        cat = r.get("_cat") if kind != "topic" else topic_cat.get(gid)
        cat = None if cat in ("", None) or pd.isna(cat) else cat
        subs = leading.get(int(gid), []) if kind != "topic" and cat else []
        sub = subs[0] if subs else None
        source = "message" if r["n_msg"] == r["n"] else ("rating" if r["n_msg"] == 0 else "mixed")
        what = lab.name(cat or "other") + (f"：{'、'.join(lab.name(x) for x in subs)}" if subs else "")
        if kind == "service":
            svc = r["service_name"] or r["service_code"] or "未知事项"
            title_ = f"{svc} — {what}"
            key = task_key("service", r["_service"], cat or "other", None)
        elif kind == "hall":
            where = r["dept_name"] or r["dept_code"] or "未知部门"
            region = r["region_code"] if isinstance(r["region_code"], str) and r["region_code"] else None
            local = region is not None and r["region_share"] >= HALL_LOCAL_SHARE
            place = (region_name(region, region_names) or f"区划 {region}") if local else None
            title_ = (f"{where}（{place}）窗口 — {what}" if local else
                      f"{where}各办事窗口（{int(r['regions'])} 个区划）— {what}" if r["regions"] > 1 else
                      f"{where}窗口 — {what}")
            key = task_key("hall", r["_dept"], cat or "other", None)
        else:
            c = int(r["_centre"])
            subject = title.iloc[c] or text.iloc[c]
            anchor = r["anchor"] if isinstance(r["anchor"], str) else None
            issue = places.issue_phrase(subject, anchor)
            if r["_pool"] == "rating":
                svc = r["service_name"] or "多个事项"
                title_ = f"{svc} — {issue or places.clean(subject)[:24]}"
            elif gid in named:
                f = figs.loc[gid]
                title_ = titles.group_title(anchor, subject, named[gid], int(f["n"]), int(f["weeks"]), f["likes"])
            else:
                title_ = places.topic_title(subject, anchor)
            # a pool split by 地市 has a topic per city (1路 in two cities): the city is part of its identity
            city = r.get("_city")
            key = task_key("topic", r["_pool"], *([city] if isinstance(city, str) else []),
                           r["_anchor_key"] if anchor else f"#{int(r['_first'])}")
        out.append({
            "group": gid, "task_key": key, "kind": kind, "source": source, "title": title_[:300],
            "category": cat, "subcategory": sub,
            "service_code": r["service_code"] if kind != "hall" else None,
            "service_name": r["service_name"] if kind != "hall" else None,
            "dept_code": r["dept_code"], "dept_name": r["dept_name"],
            "region_code": r["region_code"] if kind == "hall" and local else None,
            "anchor": r.get("anchor") if kind == "topic" and isinstance(r.get("anchor"), str) else None,
            "pool": r.get("_pool") if kind == "topic" else None,
            "first_record": int(r["_first"]) if kind == "topic" else None,
            # the segment whose complaint rate this task is about (service, or the department's halls)
            "seg_service": r["_service"] if kind == "service" else None,
            "seg_dept": r["_dept"] if kind == "hall" else None,
        })
    frame = pd.DataFrame(out)
    # two groups must never share a key (e.g. two topics with the same anchor): later ones get a suffix
    dup = frame.duplicated("task_key", keep="first")
    if dup.any():
        frame.loc[dup, "task_key"] = [task_key(k, "dup", f) for k, f in
                                      zip(frame.loc[dup, "task_key"], frame.loc[dup, "first_record"], strict=True)]
    return frame
