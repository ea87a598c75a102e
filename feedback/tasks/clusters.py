"""Concrete topic discovery: complaints about one problem at one place grouped together (pure functions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from feedback.tasks import places
from feedback.tasks.vectors import char_tfidf, cosine_distances

_TIGHT = 0.6  # cosine distance used to split a group that names no common place


@dataclass
class TopicGroup:
    """Positions (into the input sequences) of one topic's documents and the anchor they share."""

    members: list[int]
    anchor: str | None = None
    coverage: float = 0.0
    also: tuple[str, ...] = ()  # further entity n-grams most members name
    label: str | None = None  # the anchor as people write it (grown to whole words)


def _tokenizer():
    import jieba

    jieba.setLogLevel(60)
    return lambda s: jieba.lcut(s, HMM=False)


def topic_documents(titles: Sequence[str | None], texts: Sequence[str | None]) -> list[str]:
    """The text each topic document is compared on: its subject twice, then the first 300 characters."""
    docs = []
    for t, x in zip(titles, texts, strict=True):
        t, x = places.clean(t), places.clean(x)[:300]
        docs.append(f"{t}。{t}。{x}" if t else x)
    return docs


def vectorise(docs: Sequence[str]):
    n = len(docs)
    max_df = 0.05 if n >= 400 else max(0.05, min(1.0, 20 / max(n, 1)))
    return char_tfidf(docs, min_df=2 if n >= 50 else 1, max_df=max_df)


def _average_linkage(X, threshold: float) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    n = X.shape[0]
    if n == 1:
        return np.zeros(1, dtype=int)
    dist = cosine_distances(X)
    condensed = squareform(dist, checks=False).astype(np.float64)
    del dist
    return fcluster(linkage(condensed, method="average"), t=threshold, criterion="distance") - 1


def _groups(labels: np.ndarray, index: Sequence[int]) -> list[list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for pos, lab in zip(list(index), labels.tolist(), strict=True):
        out[lab].append(int(pos))
    return list(out.values())


def centroids(X, groups: Sequence[Sequence[int]]):
    """Sparse L2-normalised centroid rows, one per group of row positions of ``X``."""
    from scipy import sparse

    rows = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    cols = np.fromiter((i for g in groups for i in g), dtype=np.int64, count=len(rows))
    M = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(groups), X.shape[0]))
    C = sparse.csr_matrix(M @ X)
    norms = np.sqrt(np.asarray(C.multiply(C).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms).astype(np.float32) @ C)


def cluster_topics(
    titles: Sequence[str | None],
    texts: Sequence[str | None],
    *,
    recency: Sequence[float] | None = None,
    threshold: float = 0.85,
    merge_similarity: float = 0.25,
    max_docs: int = 6000,
    vectors=None,
) -> list[TopicGroup]:
    """Group documents into concrete topics: first by place × problem (the anchors they name, linked into places
    by the alias graph, see :mod:`feedback.tasks.placed`), then the rest by shared n-gram anchors and text.
    ``vectors``: :func:`vectorise` of all the documents when the caller has it (else computed when needed)."""
    from feedback.tasks.placed import display, place_topics

    n = len(titles)
    if n == 0:
        return []
    placed, left = place_topics(topic_documents(titles, texts), max_docs=max_docs)
    groups = [TopicGroup(list(g.members), anchor=g.place, coverage=1.0, label=display(g)) for g in placed]
    if left:
        rest = _text_topics([titles[i] for i in left], [texts[i] for i in left],
                            recency=None if recency is None else [recency[i] for i in left],
                            threshold=threshold, merge_similarity=merge_similarity, max_docs=max_docs)
        for g in rest:
            g.members = [left[i] for i in g.members]
            groups.append(g)
        groups = _join_placed(groups, len(placed), titles, texts, merge_similarity, vectors)
    groups.sort(key=lambda g: g.members[0])
    return groups


def _join_placed(groups: list[TopicGroup], n_placed: int, titles, texts, min_sim: float,
                 vectors=None) -> list[TopicGroup]:
    """A text topic (of the documents the place grouping left over) whose anchor holds the name of a place group
    ('建议208路城乡公交增加班次' next to 208路) joins the most similar such group when their texts are at least
    ``min_sim`` alike and it is the smaller one. ``groups``: the ``n_placed`` place groups, then the text topics."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for k in range(n_placed):
        if groups[k].label:
            by_label[groups[k].label].append(k)

    def named(t: int) -> set[int]:
        """Place groups whose name is in the text topic's anchor ('208路' in '建议208路城乡公交增加班次')."""
        a = groups[t].label or groups[t].anchor or ""
        return {k for i in range(len(a)) for j in range(i + 3, len(a) + 1) for k in by_label.get(a[i:j], ())}

    pairs = [(t, k) for t in range(n_placed, len(groups)) if groups[t].anchor for k in sorted(named(t))
             if len(groups[k].members) >= len(groups[t].members)]
    if not pairs:
        return groups
    # the vectors of all documents (not of the ones involved: a pair's similarity must not depend on the others)
    X = vectors if vectors is not None else vectorise(topic_documents(titles, texts))
    ids = sorted({g for pair in pairs for g in pair})
    C = centroids(X, [groups[g].members for g in ids])
    row = {g: n for n, g in enumerate(ids)}
    best: dict[int, tuple[float, int]] = {}
    for t, k in pairs:
        sim = float(C[row[t]].multiply(C[row[k]]).sum())
        if sim >= min_sim and sim > best.get(t, (0.0, -1))[0]:
            best[t] = (sim, k)
    for t, (_, k) in best.items():
        groups[k].members.extend(groups[t].members)
        groups[k].members.sort()
    return [g for n, g in enumerate(groups) if n not in best]


def _text_topics(
    titles: Sequence[str | None],
    texts: Sequence[str | None],
    *,
    recency: Sequence[float] | None = None,
    threshold: float = 0.85,
    merge_similarity: float = 0.25,
    max_docs: int = 6000,
) -> list[TopicGroup]:
    """Group documents into concrete topics; a group of two or more always shares an anchor (place or case).

    The ``max_docs`` most recent documents (by ``recency``, larger = newer) are clustered with average linkage
    on cosine distance of character n-gram TF-IDF; older ones join the nearest group or stay alone. A group
    whose members name no common place or case is split; groups (and single documents) that name another
    group's anchor and resemble it join that group."""
    n = len(titles)
    if n == 0:
        return []
    docs = topic_documents(titles, texts)
    X = vectorise(docs)
    leads = [places.lead(t, x) for t, x in zip(titles, texts, strict=True)]
    df = places.document_frequency(leads)
    tokenize = _tokenizer()
    order = np.argsort(-np.asarray(recency, dtype=float), kind="stable") if recency is not None else np.arange(n)
    core = np.sort(order[:max_docs])
    rest = np.sort(order[max_docs:])

    def anchored(members: list[int]) -> TopicGroup:
        found = places.find_anchors([leads[i] for i in members], df, n, tokenize=tokenize) if len(members) > 1 else []
        if not found:
            return TopicGroup(members)
        return TopicGroup(members, found[0][0], found[0][1], tuple(a for a, _ in found[1:]))

    groups: list[TopicGroup] = []
    for members in _groups(_average_linkage(X[core], threshold), core):
        group = anchored(members)
        if group.anchor or len(members) == 1:
            groups.append(group)
            continue
        for part in _groups(_average_linkage(X[members], _TIGHT), members):
            sub = anchored(part)
            groups.extend([sub] if sub.anchor else [TopicGroup([i]) for i in part])
    for _ in range(2):  # a merge can reveal a shared anchor that allows the next one
        groups = _merge(groups, X, leads, merge_similarity)
        groups = [anchored(g.members) if len(g.members) > 1 else g for g in groups]
    groups = _prune(groups, docs, anchored)
    if len(rest):
        groups = _attach(groups, rest, X, 1.0 - threshold)
    for g in groups:
        g.members.sort()
        if g.anchor:
            g.label = places.display_anchor(g.anchor, [leads[i] for i in g.members])
    groups.sort(key=lambda g: g.members[0])
    return groups


def _merge(groups: list[TopicGroup], X, leads: list[str], min_sim: float) -> list[TopicGroup]:
    """A group (or single document) joins an anchored group when at least half of its documents name that
    anchor and their centroids are at least ``min_sim`` similar; the larger group absorbs the smaller."""
    order = sorted(range(len(groups)), key=lambda i: (-len(groups[i].members), groups[i].members[0]))
    hosts = [i for i in order if groups[i].anchor]
    if not hosts:
        return groups
    cents = centroids(X, [g.members for g in groups])
    owner = {pos: i for i, g in enumerate(groups) for pos in g.members}
    wanted = {a for h in hosts for a in (groups[h].anchor, *groups[h].also)}
    naming_docs: dict[str, list[int]] = defaultdict(list)
    for pos, s in enumerate(leads):  # anchors are n-grams of leads, so a lead names one iff it holds the gram
        for a in places.grams(s, lo=3) & wanted:
            naming_docs[a].append(pos)
    absorbed: dict[int, int] = {}

    def root(i: int) -> int:
        while i in absorbed:
            i = absorbed[i]
        return i

    for h in hosts:
        if h in absorbed:
            continue
        naming: dict[int, int] = defaultdict(int)
        for pos in sorted({p for a in (groups[h].anchor, *groups[h].also) for p in naming_docs.get(a, ())}):
            naming[owner[pos]] += 1
        for other, k in sorted(naming.items()):
            other_root = root(other)
            if other_root == h or other in absorbed or k < 0.5 * len(groups[other].members):
                continue
            if len(groups[other].members) > len(groups[h].members):
                continue
            # a name no other group's documents use is this one matter: a third of the similarity will do
            need = min_sim / 3 if set(naming) <= {h, other} else min_sim
            if float(cents[h].multiply(cents[other]).sum()) >= need:
                absorbed[other] = h
    merged: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        merged[root(i)].extend(g.members)
    return [TopicGroup(sorted(members), groups[r].anchor, groups[r].coverage, groups[r].also)
            for r, members in merged.items()]


def _prune(groups: list[TopicGroup], docs: list[str], anchored) -> list[TopicGroup]:
    """Members that never name their group's anchor (nor its other shared names) leave it: a group about one
    estate must not carry a similar complaint about another. Those who leave form a group of their own when
    they share an anchor, else stay alone."""
    out: list[TopicGroup] = []
    for g in groups:
        if not g.anchor:
            out.append(g)
            continue
        primary = [i for i in g.members if g.anchor in docs[i]]
        # another shared name counts only when it goes with the anchor (丽发新城 + 搅拌站), not when it names a
        # second place with the same complaint (翠湖湾小区 vs 锦江花园)
        names = [g.anchor] + [a for a in g.also
                              if sum(a in docs[i] for i in primary) >= 0.5 * max(len(primary), 1)]
        keep = [i for i in g.members if any(a in docs[i] for a in names)]
        gone = [i for i in g.members if i not in set(keep)]
        if not gone:
            out.append(g)
            continue
        out.append(anchored(keep) if len(keep) > 1 else TopicGroup(keep))
        rest = anchored(gone) if len(gone) > 1 else TopicGroup(gone)
        out.extend([rest] if rest.anchor else [TopicGroup([i]) for i in gone])
    return [g for g in out if g.members]


def _attach(groups: list[TopicGroup], rest: np.ndarray, X, min_sim: float) -> list[TopicGroup]:
    """Older documents join the most similar anchored group's centroid when close enough, else stay alone."""
    anchored = [g for g in groups if g.anchor]
    if not anchored:
        return groups + [TopicGroup([int(pos)]) for pos in rest]
    C = centroids(X, [g.members for g in anchored])
    sims = (X[rest] @ C.T).toarray()
    best = sims.argmax(axis=1)
    for pos, b, s in zip(rest.tolist(), best.tolist(), sims[np.arange(len(rest)), best].tolist(), strict=True):
        if s >= min_sim:
            anchored[b].members.append(pos)
        else:
            groups.append(TopicGroup([pos]))
    return groups
