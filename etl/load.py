"""Load one transformed chunk atomically: records, rejects and the batch checkpoint in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from etl.dbwrite import insert_records
from etl.profiles import Profile
from etl.transform import TransformContext, transform
from feedback import repository


@dataclass(frozen=True)
class ChunkCounts:
    read: int
    loaded: int
    duplicate: int
    rejected: int
    unknown_tags: dict


def load_chunk(engine: Engine, batch_id: int, raw: pd.DataFrame, profile: Profile, ctx: TransformContext) -> ChunkCounts:
    """Transform a raw chunk and commit its records, its rejects (raw rows de-identified by the transform) and
    the batch counts together, so a crash leaves whole chunks only."""
    result = transform(raw, profile, ctx)
    records = result.records
    dup_in_chunk = records["record_key"].duplicated()
    records = records.loc[~dup_in_chunk]
    rejects = result.rejects.sort_values("row_number", kind="stable")
    with engine.begin() as conn:
        loaded = insert_records(conn, batch_id, records)
        repository.insert_rejects(conn, batch_id, ctx.file_name, rejects)
        counts = ChunkCounts(
            read=len(raw), loaded=loaded, duplicate=len(records) - loaded + int(dup_in_chunk.sum()),
            rejected=len(rejects), unknown_tags=dict(result.unknown_tags),
        )
        if counts.read != counts.loaded + counts.duplicate + counts.rejected:
            raise RuntimeError(f"row accounting broken in batch {batch_id}: {counts}")
        repository.checkpoint_batch(conn, batch_id, read=counts.read, loaded=counts.loaded,
                                    duplicate=counts.duplicate, rejected=counts.rejected)
    return counts
