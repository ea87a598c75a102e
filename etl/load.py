"""Load one transformed chunk atomically: records, rejects and the batch checkpoint in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from feedback.pii import keyed_hash, mask_text
from sqlalchemy import Engine

from etl.profiles import Profile
from etl.transform import TransformContext, transform
from feedback import repository

ERROR_COLUMN = "__error__"
ROW_COLUMN = "__row__"


@dataclass(frozen=True)
class ChunkCounts:
    read: int
    loaded: int
    duplicate: int
    rejected: int


def raw_rows_for(raw: pd.DataFrame, row_numbers: pd.Series, profile: Profile, ctx: TransformContext) -> list[dict]:
    """The raw rows behind rejects, de-identified: evaluator ids hashed, free text masked."""
    if row_numbers.empty:
        return []
    sub = raw.set_index(ROW_COLUMN).loc[row_numbers.to_numpy()]
    sub = sub.drop(columns=[c for c in (ERROR_COLUMN,) if c in sub.columns])
    id_headers = [h for h, f in profile.field_map.items() if f == "evaluator_id"]
    for col in sub.columns:
        s = sub[col]
        if col in id_headers:
            sub[col] = s.where(s.isna(), "hash:" + keyed_hash(s.fillna(""), ctx.hash_key))
        elif s.notna().any():
            sub[col] = mask_text(s.astype("string"))
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in sub.to_dict("records")]


def split_unreadable(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows the reader could not parse (wrong field count …) become rejects before the transform."""
    if ERROR_COLUMN not in raw.columns:
        return raw, pd.DataFrame(columns=["row_number", "column", "reason"])
    bad = raw[ERROR_COLUMN].notna()
    rejects = pd.DataFrame(
        {"row_number": raw.loc[bad, ROW_COLUMN].to_numpy(), "column": None, "reason": raw.loc[bad, ERROR_COLUMN]}
    )
    return raw.loc[~bad].drop(columns=[ERROR_COLUMN]), rejects


def load_chunk(engine: Engine, batch_id: int, raw: pd.DataFrame, profile: Profile, ctx: TransformContext) -> ChunkCounts:
    good, unreadable = split_unreadable(raw)
    result = transform(good, profile, ctx)
    records = result.records
    dup_in_chunk = records["record_key"].duplicated()
    records = records.loc[~dup_in_chunk]
    rejects = pd.concat([unreadable, result.rejects], ignore_index=True) if len(unreadable) else result.rejects
    rejects = rejects.sort_values("row_number", kind="stable").reset_index(drop=True)
    rejects["raw"] = raw_rows_for(raw, rejects["row_number"], profile, ctx)
    with engine.begin() as conn:
        loaded = repository.insert_records(conn, batch_id, records)
        repository.insert_rejects(conn, batch_id, ctx.file_name, rejects)
        counts = ChunkCounts(
            read=len(raw), loaded=loaded, duplicate=len(records) - loaded + int(dup_in_chunk.sum()),
            rejected=len(rejects),
        )
        if counts.read != counts.loaded + counts.duplicate + counts.rejected:
            raise RuntimeError(f"row accounting broken in batch {batch_id}: {counts}")
        repository.checkpoint_batch(conn, batch_id, read=counts.read, loaded=counts.loaded,
                                    duplicate=counts.duplicate, rejected=counts.rejected)
    return counts
