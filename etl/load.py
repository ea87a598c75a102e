"""Load chunks atomically: transform it (``prepare_chunk``, no database), then commit its records, its rejects
and the batch checkpoint in one transaction (``write_chunk``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine

from etl import stage
from etl.dbwrite import PG_STAGE_SCHEMA, insert_records, pg_uri, stage_postgres, write_path
from etl.profiles import Profile
from etl.transform.chunk import TransformContext, transform
from etl.transform.names import NameCodes
from feedback.isolate import address_space_left
from feedback.records import repository
from feedback.records.partitions import months_of
from feedback.records.partitions import repository as partitions

# What write_chunk reads of a chunk's records once they are staged: the months to make sure of and, when fewer
# were stored than given, what tells an id collision from a duplicate. A staged chunk waiting for the writer keeps
# only these, not its text and every other column (one chunk less of memory in flight).
WRITER_ROOM = 64 << 20  # address space left under the cap for a writer thread (its stack) and its first work
WRITE_COLUMNS = ("id", "source_system", "record_key", "row_number", "rated_at")


@dataclass(frozen=True)
class ChunkCounts:
    read: int
    loaded: int
    duplicate: int
    rejected: int
    unknown_tags: dict


@dataclass(frozen=True)
class PreparedChunk:
    """A transformed chunk, ready to write: records without in-chunk duplicates, rejects in row order."""

    read: int
    records: pd.DataFrame
    in_chunk_duplicates: int
    rejects: pd.DataFrame
    unknown_tags: dict
    staged: str | None = None  # PostgreSQL + ADBC: the stage already holding ``records`` (see load_chunks)


def prepare_chunk(raw: pd.DataFrame, profile: Profile, ctx: TransformContext,
                  names: NameCodes | None = None) -> PreparedChunk:
    """Transform a raw chunk (pure: touches no database). With ``names``, a 事项 or department given only by
    name gets the code known for that name (after the keys are made: they do not change)."""
    result = transform(raw, profile, ctx)
    records = result.records
    if names is not None:
        records, _ = names.fill(records)
    dup_in_chunk = records["record_key"].duplicated()
    return PreparedChunk(
        read=len(raw), records=records.loc[~dup_in_chunk], in_chunk_duplicates=int(dup_in_chunk.sum()),
        rejects=result.rejects.sort_values("row_number", kind="stable"), unknown_tags=dict(result.unknown_tags),
    )


def collision_rejects(records: pd.DataFrame) -> pd.DataFrame:
    """Rejects for records whose id another stored record with a different key holds (see ``id_collisions``):
    recorded with their key, never counted as duplicates."""
    return pd.DataFrame({
        "row_number": records["row_number"].astype("int64").to_numpy(), "column": None,
        "reason": [f"记录编号 {i}（由来源与记录键算出）已属于另一条记录：两个记录键的哈希相同，未载入，请联系管理员"
                   for i in records["id"]],
        "raw": [json.dumps({"source_system": s, "record_key": k}, ensure_ascii=False)
                for s, k in zip(records["source_system"], records["record_key"], strict=True)]})


def write_chunk(engine: Engine, batch_id: int, file_name: str, chunk: PreparedChunk) -> ChunkCounts:
    """Commit a prepared chunk's records, its rejects (raw rows de-identified by the transform) and the batch
    counts together, so a crash leaves whole chunks only."""
    if len(chunk.records):
        partitions.ensure_months(engine, months_of(chunk.records["rated_at"]))
    with engine.begin() as conn:
        loaded = insert_records(conn, batch_id, chunk.records, chunk.staged)
        rejects = chunk.rejects
        if loaded < len(chunk.records):
            clashing = chunk.records.loc[repository.id_collisions(conn, chunk.records)]
            if len(clashing):
                rejects = pd.concat([rejects, collision_rejects(clashing)], ignore_index=True)
        repository.insert_rejects(conn, batch_id, file_name, rejects)
        counts = ChunkCounts(
            read=chunk.read, loaded=loaded,
            duplicate=len(chunk.records) - loaded - (len(rejects) - len(chunk.rejects)) + chunk.in_chunk_duplicates,
            rejected=len(rejects), unknown_tags=chunk.unknown_tags,
        )
        if counts.read != counts.loaded + counts.duplicate + counts.rejected:
            raise RuntimeError(f"row accounting broken in batch {batch_id}: {counts}")
        repository.checkpoint_batch(conn, batch_id, read=counts.read, loaded=counts.loaded,
                                    duplicate=counts.duplicate, rejected=counts.rejected)
    return counts


def _pipelined(engine: Engine) -> bool:
    """Only a database in another process gains from a writer thread. SQLite's C code releases the GIL for every
    row's step and takes it back for the next row's parameters: with a transforming thread beside it, each row
    waits for the GIL (measured: twice the wall time for the same CPU time), and an in-memory SQLite database is
    one per connection (SQLAlchemy gives each thread its own).

    Nor under a tight address-space cap (``[security] import_memory_mb``): a thread's stack is mapped at once
    (8 MB by default), and with less than WRITER_ROOM left the thread could not start ("can't start new thread",
    measured at 16 MB), so the chunks are written in the calling thread as on SQLite."""
    left = address_space_left()
    return engine.dialect.name != "sqlite" and (left is None or left >= WRITER_ROOM)


def load_chunks(engine: Engine, batch_id: int, chunks: Iterable[pd.DataFrame], profile: Profile,
                ctx: TransformContext, on_written: Callable[[ChunkCounts], None],
                names: NameCodes | None = None) -> None:
    """Transform and commit ``chunks`` in order, transforming chunk k+1 while chunk k is written.

    On PostgreSQL, one writer thread with at most one chunk waiting for it: the server's work overlaps the next
    chunk's transform. On SQLite, chunks are transformed and written in turn in the calling thread.
    ``on_written`` gets each chunk's counts after its commit, in order. An error on either side ends the loop
    once the write in flight has committed or rolled back (the executor waits for it), so the batch checkpoint
    stays exact.

    PostgreSQL through ADBC: the loading thread also fills chunk k+1's stage (binary COPY in a session of its
    own) while the writer's transaction copies chunk k from the other stage into ``records``; two stages
    alternate, and chunk k+1 goes into the one chunk k-1 used, whose write has finished by then."""
    if not _pipelined(engine):
        for raw in chunks:
            on_written(write_chunk(engine, batch_id, ctx.file_name, prepare_chunk(raw, profile, ctx, names)))
        return
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=1, thread_name_prefix="haocha-write") as writer:
        adbc = write_path(engine.dialect.name) == "adbc"
        stages: list[stage.PgStage] = []
        pending: Future[ChunkCounts] | None = None
        for k, raw in enumerate(chunks):
            prepared = prepare_chunk(raw, profile, ctx, names)
            # The first chunk is staged inside its write (the pooled connection's own stage): a one-chunk load
            # (a push, a small upload) opens no ADBC sessions of its own.
            if adbc and k > 0 and len(prepared.records):
                if not stages:
                    for _ in range(2):
                        stages.append(stage.PgStage(pg_uri(engine), PG_STAGE_SCHEMA))
                        stack.callback(stages[-1].close)  # after the writer has finished (ExitStack unwinds last)
                staged = stage_postgres(stages[k % 2], batch_id, prepared.records)
                prepared = replace(prepared, records=prepared.records[list(WRITE_COLUMNS)], staged=staged)
            if pending is not None:
                on_written(pending.result())
            pending = writer.submit(write_chunk, engine, batch_id, ctx.file_name, prepared)
        if pending is not None:
            on_written(pending.result())
