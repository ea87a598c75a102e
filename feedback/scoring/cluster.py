"""Scoring on a Dask cluster (``haocha score --scheduler ADDRESS``, ``[scoring] scheduler``).

The client reads the unscored records in id ranges (``[scoring] batch_size`` each, exactly the batches of the
single-process run), sends each range to a worker and writes the returned score rows in its own transaction per
range, as the single-process run does. Workers never touch the database: they need no credentials, a worker lost
halfway only makes Dask run its range again, and the unique (record_id, model_version) key still guards every
write. Each worker process loads the version's models once, from the instance folder the client names (it must be
shared storage every worker sees at the same path), and keeps them for every later range of that version.

``ADDRESS`` is a scheduler address (``tcp://host:8786``), or ``local`` / ``local:N`` for a cluster of N worker
processes (default: one per core) started on this machine for the run (:func:`feedback.cluster.connect`).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from feedback.cluster import connect, worker_count
from feedback.scoring import repository as store
from feedback.scoring.scorer import Scorer
from feedback.scoring.sentiment import FusionParams

IN_FLIGHT_PER_WORKER = 2  # pieces queued per worker: keeps every worker busy while the client reads and writes
MIN_PART = 50  # records: a range is not cut into pieces smaller than this


@dataclass(frozen=True)
class ScorerSpec:
    """What a worker needs to load a version's scorer: the shared instance folder, the version (name and
    description, as stored in model_versions) and the fusion parameters of the settings."""

    instance_path: str
    version: str
    description_json: str
    fusion: FusionParams

    @property
    def key(self) -> tuple:
        return (self.instance_path, self.version, self.description_json, self.fusion)


def scorer_spec(instance_path: Path, version: dict, fusion: FusionParams) -> ScorerSpec:
    import json

    return ScorerSpec(str(Path(instance_path).resolve()), version["version"],
                      json.dumps(version["description"], sort_keys=True, ensure_ascii=False, default=str), fusion)


# One scorer per worker process, for the version it scores now (a new version replaces it).
_scorers: dict[tuple, Scorer] = {}
_loads = 0
_lock = threading.Lock()


def worker_scorer(spec: ScorerSpec) -> Scorer:
    """The spec's scorer, loaded from its model files on the first call in this process, then reused."""
    global _loads
    import json

    from feedback.scoring.score import scorer_from_files

    with _lock:
        scorer = _scorers.get(spec.key)
        if scorer is None:
            version = {"version": spec.version, "description": json.loads(spec.description_json)}
            scorer = scorer_from_files(Path(spec.instance_path), version, spec.fusion)
            _scorers.clear()
            _scorers[spec.key] = scorer
            _loads += 1
        return scorer


def score_range(spec: ScorerSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """A Dask task: the score rows of one range of records (the frame read by the client)."""
    return worker_scorer(spec).score(frame)


def model_loads() -> dict:
    """How often this process loaded a scorer, and its pid (``client.run(model_loads)`` asks every worker)."""
    return {"pid": os.getpid(), "loads": _loads}


def split_range(frame: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    """``frame`` cut into at most ``parts`` consecutive pieces of at least MIN_PART rows (at least one piece)."""
    n = max(1, min(parts, len(frame) // MIN_PART))
    bounds = [round(i * len(frame) / n) for i in range(n + 1)]
    return [frame.iloc[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def score_pending_on_cluster(engine: Engine, spec: ScorerSpec, batch_size: int, address: str,
                             progress: Callable[[int, int], None] | None = None) -> int:
    """Score every record without a score under ``spec.version`` on the cluster at ``address``: the client
    reads the unscored records in ranges of ``batch_size`` records, cuts each into one piece per worker (records cost unequal work:
    long 12345 messages cluster at some ids) and writes each range's rows in one committed transaction once its
    pieces are back (resumable, like the single-process run); returns how many records were scored."""
    from distributed import as_completed

    stream = store.unscored_records(engine, spec.version, batch_size)  # closed when this function returns or raises
    first = next(stream, None)
    if first is None:
        return 0
    total = first[1]
    pending_records = itertools.chain([first], stream)
    with connect(address) as client:
        workers = worker_count(client)
        window = IN_FLIGHT_PER_WORKER * workers  # pieces queued on the cluster at most
        state = {"in_flight": 0, "exhausted": False, "next": 0}
        ranges: dict[int, list] = {}  # range number → its pieces' rows (None until back)
        where: dict = {}  # future → (range number, piece number)

        def submit_more() -> list:
            futures = []
            while not state["exhausted"] and state["in_flight"] < window:
                records, _ = next(pending_records, (None, 0))
                if records is None:
                    state["exhausted"] = True
                    break
                with engine.connect() as conn:
                    batch = store.with_gold(conn, records)
                pieces = split_range(batch, workers)
                ranges[state["next"]] = [None] * len(pieces)
                for k, piece in enumerate(pieces):
                    future = client.submit(score_range, spec, piece, pure=False)
                    where[future] = (state["next"], k)
                    futures.append(future)
                state["next"] += 1
                state["in_flight"] += len(pieces)
            return futures

        done = 0
        try:
            pending = as_completed(submit_more(), loop=client.loop)
            for future in pending:
                number, k = where.pop(future)
                ranges[number][k] = future.result()
                state["in_flight"] -= 1
                if all(piece is not None for piece in ranges[number]):
                    rows = pd.concat(ranges.pop(number), ignore_index=True)
                    with engine.begin() as conn:
                        store.insert_scores(conn, spec.version, rows)
                    done += len(rows)
                    if progress:
                        progress(len(rows), total)
                for more in submit_more():
                    pending.add(more)
        finally:
            stream.close()  # the reading connection, also when a range fails
        return done
