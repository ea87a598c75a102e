"""The topic grouping's independent units (a pool's documents of one 地市), grouped here or on Dask workers.

Topic grouping (place × problem, then text topics; :func:`feedback.tasks.clusters.cluster_topics`) is the
rebuild's quadratic step: average linkage over up to ``topic_max_docs`` documents per pool. Its documents are cut
into units: per pool (12345 messages; ratings with text but no category), and within a pool per 地市 (the first
four digits of the region code) once the pool names two or more — a topic is local (人民路, 1路公交 and 阳光小区
exist in every city), and every city gets its own alias graph and its own ``topic_max_docs``. Documents without a
region code are then a unit of their own; with one 地市 (a city's deployment) the pool is one unit, as before.

:func:`group_unit` is a pure function of one unit and the settings. :func:`group_here` maps it over the units in
this process; :func:`group_on` maps the same function over the units on a Dask cluster (largest first, each
worker keeping its jieba dictionary loaded between units) and returns the results in the units' order, so both
give the same groups. Everything that spans units (titles' keywords, evidence, ranking) stays with the caller.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feedback.tasks.clusters import TopicGroup, centroids, cluster_topics, topic_documents, vectorise

CITY_DIGITS = 4  # a region code's 省 (2) and 地市 (2) digits


@dataclass(frozen=True)
class TopicUnit:
    """One unit's documents: ``positions`` into the signal frame, with their subjects, texts and times."""

    pool: str  # "message" or "rating"
    city: str | None  # the 地市 (4 digits, "" = no region code) when the pool is split, else None
    positions: np.ndarray
    titles: list[str]
    texts: list[str]
    recency: list[int]  # rated_at as nanoseconds (newer = larger)


@dataclass(frozen=True)
class UnitTopics:
    """The topics of one unit (members are positions into the unit) and each topic's central member."""

    topics: list[TopicGroup]
    centres: list[int]


def city_of(region_codes: pd.Series) -> pd.Series:
    """The 地市 of each region code (its first four digits; "" when it has none)."""
    code = region_codes.astype("string").fillna("").str.strip()
    return code.str.slice(0, CITY_DIGITS).where(code.str.len() >= CITY_DIGITS, "").astype(object)


def topic_units(sig: pd.DataFrame, title: pd.Series, text: pd.Series,
                pools: Sequence[tuple[str, pd.Series]]) -> list[TopicUnit]:
    """The units of each pool (``(name, mask over sig)`` in the given order), its 地市 in code order."""
    recency = pd.to_datetime(sig["rated_at"]).astype("int64")
    city = city_of(sig["region_code"])
    units = []
    for pool, mask in pools:
        idx = np.flatnonzero(mask.to_numpy())
        if len(idx) == 0:
            continue
        cities = city.iloc[idx]
        known = sorted(set(cities) - {""})
        parts = ([(None, idx)] if len(known) <= 1 else
                 [(c, idx[(cities == c).to_numpy()]) for c in sorted(set(cities))])
        for c, pos in parts:
            if len(pos):
                units.append(TopicUnit(pool, c, pos, title.iloc[pos].tolist(), text.iloc[pos].tolist(),
                                       recency.iloc[pos].tolist()))
    return units


def centres(X, topics: list[TopicGroup]) -> list[int]:
    """The member of each topic nearest its centroid (its subject names the topic best); ``X``: the unit's
    :func:`feedback.tasks.clusters.vectorise` rows."""
    if not topics:
        return []
    C = centroids(X, [t.members for t in topics])
    out = []
    for k, t in enumerate(topics):
        if len(t.members) == 1:
            out.append(t.members[0])
            continue
        sims = np.asarray((X[t.members] @ C[k].T).todense()).ravel()
        out.append(t.members[int(np.argmax(sims))])
    return out


def group_unit(unit: TopicUnit, threshold: float, merge_similarity: float, max_docs: int) -> UnitTopics:
    """The topics of one unit (pure: the same unit and parameters give the same topics in any process)."""
    vectors = vectorise(topic_documents(unit.titles, unit.texts))
    topics = cluster_topics(unit.titles, unit.texts, recency=unit.recency, threshold=threshold,
                            merge_similarity=merge_similarity, max_docs=max_docs, vectors=vectors)
    return UnitTopics(topics, centres(vectors, topics))


# What a mapper does: the topics of every unit, in the units' order.
Mapper = Callable[[list[TopicUnit], float, float, int], list[UnitTopics]]


def group_here(units: list[TopicUnit], threshold: float, merge_similarity: float, max_docs: int) -> list[UnitTopics]:
    """Every unit grouped in this process, one after the other."""
    return [group_unit(u, threshold, merge_similarity, max_docs) for u in units]


_grouped = 0  # units this process grouped for a Dask client (grouped_here() tells the client)


def _group_on_worker(unit: TopicUnit, threshold: float, merge_similarity: float, max_docs: int) -> UnitTopics:
    global _grouped
    result = group_unit(unit, threshold, merge_similarity, max_docs)
    _grouped += 1
    return result


def units_grouped() -> dict:
    """How many units this process grouped as a Dask worker, and its pid (``client.run(units_grouped)``)."""
    return {"pid": os.getpid(), "units": _grouped}


def group_on(client) -> Mapper:
    """A mapper that groups the units on the cluster of ``client``: each unit is one task, the largest submitted
    first (they cost about the square of their size), the results gathered back in the units' order."""

    def run(units: list[TopicUnit], threshold: float, merge_similarity: float, max_docs: int) -> list[UnitTopics]:
        order = sorted(range(len(units)), key=lambda i: (-len(units[i].positions), i))
        futures = {i: client.submit(_group_on_worker, units[i], threshold, merge_similarity, max_docs, pure=False)
                   for i in order}
        return client.gather([futures[i] for i in range(len(units))])

    return run
