"""Topics by place × problem: documents whose anchors fall in one place of the alias graph, split by what they say
about it, then fragments merged when their text says they are the same problem (pure, deterministic)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from feedback.tasks import entities
from feedback.tasks.vectors import char_tfidf, cosine_distances


@dataclass
class PlacedGroup:
    """Positions of a group's documents, its place (the component's representative) and the anchors it names."""

    members: list[int]
    place: str
    anchors: Counter


def problem_vectors(docs: Sequence[str], doc_anchors: Sequence[set[str]]):
    """Character n-gram TF-IDF of what each document says, with the names of its anchors taken out (so two
    complaints about one place are compared on their problem, not on the shared name)."""
    masked = []
    for d, f in zip(docs, doc_anchors, strict=True):
        for a in sorted(f, key=lambda a: (-len(a), a)):
            d = d.replace(entities.label(a), "，")
        masked.append(d)
    n = len(masked)
    return char_tfidf(masked, min_df=2 if n >= 20 else 1, max_df=0.2 if n >= 200 else 1.0)


def _linkage(X, members: list[int], threshold: float) -> list[list[int]]:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(members) == 1:
        return [members]
    dist = cosine_distances(X[members])
    condensed = squareform(dist, checks=False).astype(np.float64)
    del dist
    labels = fcluster(linkage(condensed, method="average"), t=threshold, criterion="distance")
    out: dict[int, list[int]] = defaultdict(list)
    for pos, lab in zip(members, labels.tolist(), strict=True):
        out[lab].append(pos)
    return sorted(out.values(), key=lambda g: g[0])


def _core(anchor: str) -> str:
    return entities.label(anchor)


_FACILITY = ("company", "station")  # what is there (a plant, a depot), not where: it names no other place


def _kind(anchor: str) -> str:
    return anchor.split(":", 1)[0]


def _compatible(a: Counter, b: Counter) -> bool:
    """Whether group ``a`` may join group ``b``: they name one anchor in common and no anchor of ``a`` names a
    different place of a kind ``b`` names (两所学校, 两条线路, 两个小区), or ``a`` names only facilities (a plant,
    a station) and ``b`` names a facility too."""
    if all(_kind(x) in _FACILITY for x in a):
        return any(_kind(y) in _FACILITY for y in b)
    if not set(a) & set(b):
        return False
    kinds_b: dict[str, list[str]] = defaultdict(list)
    for y in b:
        kinds_b[_kind(y)].append(y)
    # a place ``a`` names only in passing (half as often as its most named one) does not make it another place
    main = max(a.values(), default=0)
    for x in a:
        if x in b or _kind(x) in _FACILITY or a[x] * 2 < main:
            continue
        same = kinds_b.get(_kind(x), [])
        if same and not any(len(set(_core(x)) & set(_core(y))) >= 3 for y in same):
            return False
    return True


def place_topics(docs: Sequence[str], *, max_docs: int = 6000, problem_distance: float = 0.9,
                 merge_similarity: float = 0.25) -> tuple[list[PlacedGroup], list[int]]:
    """Groups of two or more documents that name one place and one problem, and the positions left over (no
    anchor, or alone with their problem at their place)."""
    doc_anchors = entities.anchors_of(docs)
    places = entities.link(doc_anchors)
    where = entities.place_of(doc_anchors, places)
    X = problem_vectors(docs, doc_anchors)
    by_place: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(where):
        if p is not None:
            by_place[p].append(i)
    groups: list[PlacedGroup] = []
    left: list[int] = [i for i, p in enumerate(where) if p is None]
    for p in sorted(by_place):
        members = by_place[p]
        # a case (58车贷) is its own problem: what people say about it varies (进展, 保护伞, 退赔) but is one matter
        whole = len(members) > max_docs or p.startswith("case:")
        parts = [members] if whole else _linkage(X, members, problem_distance)
        for part in parts:
            if len(part) == 1:
                left.extend(part)
                continue
            groups.append(PlacedGroup(part, p, Counter(a for i in part for a in doc_anchors[i])))
    for _ in range(3):  # a merge moves a centroid, which may allow the next
        before = len(groups)
        groups = _merge_fragments(groups, X, merge_similarity)
        if len(groups) == before:
            break
    return groups, sorted(left)


def _centroids(X, groups: list[PlacedGroup]):
    from feedback.tasks.clusters import centroids

    return centroids(X, [g.members for g in groups])


def _merge_fragments(groups: list[PlacedGroup], X, min_sim: float) -> list[PlacedGroup]:
    """A smaller group joins the most similar bigger one when their problems read alike (centroid similarity at
    least ``min_sim``, a third of it within one place) and they may be one place (:func:`_compatible`). Only
    groups that share an anchor (or a facility) are compared, so the cost grows with the groups, not their
    square."""
    if len(groups) < 2:
        return groups
    order = sorted(range(len(groups)), key=lambda i: (-len(groups[i].members), groups[i].members[0]))
    rank = {i: pos for pos, i in enumerate(order)}
    C = _centroids(X, groups)
    naming: dict[str, list[int]] = defaultdict(list)
    facility: list[int] = []
    for i, g in enumerate(groups):
        for a in g.anchors:
            naming[a].append(i)
        if any(_kind(a) in _FACILITY for a in g.anchors):
            facility.append(i)
    into: dict[int, int] = {}
    for i in order:
        g = groups[i]
        only_facility = all(_kind(a) in _FACILITY for a in g.anchors)
        near = {j for a in g.anchors for j in naming[a]} | (set(facility) if only_facility else set())
        near = sorted(j for j in near if rank[j] < rank[i] and j not in into
                      and len(groups[j].members) >= len(g.members))
        if not near:
            continue
        sims = np.asarray((C[near] @ C[i].T).todense()).ravel()
        best, best_sim = None, 0.0
        for j, sim in zip(near, sims.tolist(), strict=True):
            # one place, or names of two kinds in common (月亮岛路 + 110kv高压 + 变电站): a third of the similarity
            shared = {_kind(a) for a in set(g.anchors) & set(groups[j].anchors)}
            need = min_sim / 3 if g.place == groups[j].place or len(shared) >= 2 else min_sim
            if sim >= need and sim > best_sim and _compatible(g.anchors, groups[j].anchors):
                best, best_sim = j, sim
        if best is not None:
            into[i] = best
    merged: dict[int, PlacedGroup] = {}
    for i in order:
        r = into.get(i, i)
        if r not in merged:
            merged[r] = PlacedGroup([], groups[r].place, Counter())
        merged[r].members.extend(groups[i].members)
        merged[r].anchors.update(groups[i].anchors)
    out = list(merged.values())
    for g in out:
        g.members.sort()
    return sorted(out, key=lambda g: g.members[0])


def display(group: PlacedGroup) -> str:
    """The group's most named anchor as people write it."""
    a = min(group.anchors, key=lambda a: (-group.anchors[a], a))
    return entities.label(a)
