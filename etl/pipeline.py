"""The one public ingestion entry point: read → profile → transform → load, one resumable batch per input."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from etl.load import ChunkCounts, load_chunks
from etl.profiles import (
    INPUT_FIELDS,
    Profile,
    ProfileError,
    ProfileNotFound,
    all_profiles,
    detect_profile,
    saved_profile_tables,
)
from etl.sources.detect import InputError, open_source
from etl.sources.raw import ROW
from etl.transform.chunk import TransformContext
from etl.transform.names import NameCodes
from feedback.records import repository
from feedback.settings import Settings
from feedback.text.pii import load_hash_key

__all__ = [
    "INPUT_FIELDS", "BatchKeyReused", "IngestResult", "InputError", "ProfileError", "ProfileNotFound", "ingest_file", "ingest_records",
    "ingest_sql", "inspect_upload", "known_profiles", "preview_file", "save_mapping", "push_key", "resolve_profile",
]

Progress = Callable[[int], None]


class BatchKeyReused(ValueError):
    """A pushed batch's idempotency key (account + batch_id) was used before for other records."""


class BatchInProgress(RuntimeError):
    """A pushed batch's idempotency key (account + batch_id) is being loaded by another request right now, in
    any process or on any host that shares the database (PostgreSQL) or the instance folder (SQLite)."""


@dataclass
class IngestResult:
    batch_id: int
    file: str
    profile: str
    source_system: str
    read: int
    loaded: int
    duplicate: int
    rejected: int
    resumed_from: int = 0
    first_rejects: list[dict] = field(default_factory=list)
    unknown_tags: dict[str, int] = field(default_factory=dict)  # tag codes in neither dictionary (kept out of tags)

    def as_json(self) -> dict:
        return {
            "file": self.file, "profile": self.profile, "source": self.source_system, "batch_id": self.batch_id,
            "read": self.read, "loaded": self.loaded, "duplicate": self.duplicate, "rejected": self.rejected,
            "resumed_from_row": self.resumed_from, "first_rejects": self.first_rejects,
            "unknown_tags": self.unknown_tags,
        }


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def known_profiles(settings: Settings) -> dict[str, Profile]:
    """Built-ins, the profiles saved from the upload preview (instance/profiles.json) and config.toml's
    ``[profiles.*]`` (config wins over a saved profile of the same name)."""
    return all_profiles({**saved_profile_tables(settings.instance_path), **(settings.profiles or {})})


def resolve_profile(headers: list[str], name: str, settings: Settings) -> Profile:
    """The named profile, or the best match for ``headers`` when ``name`` is ``auto``."""
    profiles = known_profiles(settings)
    if name == "auto":
        return detect_profile(headers, profiles)
    if name not in profiles:
        raise ProfileNotFound(f"没有名为“{name}”的来源配置（已有：{'、'.join(sorted(profiles))}）")
    return detect_profile(headers, {name: profiles[name]})


def transform_context(settings: Settings, source_system: str, file_name: str, only_dept: str | None = None
             ) -> TransformContext:
    key = load_hash_key(
        settings.env, settings.instance_path, env_name=settings.security.hash_key_env,
        allow_dev_file=settings.security.dev_key_file,
    )
    ing = settings.ingest
    return TransformContext(
        source_system=source_system, hash_key=key, region_width=ing.region_code_width, timezone=ing.timezone,
        max_text_chars=ing.max_text_chars, file_name=file_name, only_dept=only_dept,
    )


_context = transform_context  # its former private name, still imported by tests and other branches


def _after(chunks: Iterator[pd.DataFrame], skip: int) -> Iterator[pd.DataFrame]:
    """``chunks`` without their first ``skip`` rows (those a resumed batch has already committed)."""
    for chunk in chunks:
        if skip:
            if len(chunk) <= skip:
                skip -= len(chunk)
                continue
            chunk, skip = chunk.iloc[skip:], 0
        yield chunk


def _run_batch(
    engine: Engine, settings: Settings, chunks: Iterator[pd.DataFrame], *, profile: Profile, source_system: str,
    file_name: str, sha256: str, resume: bool, progress: Progress | None, only_dept: str | None = None,
    all_rejects: bool = False, content_sha256: str | None = None,
) -> IngestResult:
    ctx = transform_context(settings, source_system, file_name, only_dept)
    with engine.begin() as conn:
        unfinished = repository.find_unfinished_batch(conn, source_system=source_system, sha256=sha256)
        if unfinished and resume:
            batch_id, skip = unfinished.id, unfinished.rows_done
        else:
            if unfinished:
                repository.mark_batch(conn, unfinished.id, status="failed", error="导入中断，已由重新导入取代")
            batch_id, skip = repository.create_batch(
                conn, source_system=source_system, profile=profile.name, file_name=file_name, sha256=sha256,
                content_sha256=content_sha256,
            ), 0
        names = NameCodes.from_pairs(repository.code_names(conn))  # rows with names only get the known codes
    resumed_from = skip
    unknown_tags: dict[str, int] = {}

    def written(counts: ChunkCounts) -> None:
        for code, n in counts.unknown_tags.items():
            unknown_tags[code] = unknown_tags.get(code, 0) + n
        if progress:
            progress(counts.read)

    try:
        load_chunks(engine, batch_id, _after(chunks, skip), profile, ctx, written, names)
    except Exception as exc:
        with engine.begin() as conn:
            repository.mark_batch(conn, batch_id, status="failed", error=f"导入失败：{exc}")
        raise
    with engine.begin() as conn:
        repository.mark_batch(conn, batch_id, status="done")
        row = repository.get_batch(conn, batch_id)
        first = repository.batch_rejects(conn, batch_id, limit=None if all_rejects else settings.ingest.reject_preview)
    return IngestResult(
        batch_id=batch_id, file=file_name, profile=profile.name, source_system=source_system, read=row.read,
        loaded=row.loaded, duplicate=row.duplicate, rejected=row.rejected, resumed_from=resumed_from,
        first_rejects=first, unknown_tags=unknown_tags,
    )


def inspect_upload(settings: Settings, path: str | Path, chosen_profile: str = "auto",
                   mapping_override: dict[str, str] | None = None):
    """The upload preview of ``path`` (``etl.preview.UploadInspection``): one call, plain data, nothing written."""
    from etl.preview import inspect_upload as inspect

    return inspect(settings, path, chosen_profile, mapping_override)


def save_mapping(settings: Settings, path: str | Path, name: str, chosen_profile: str,
                 mapping_override: dict[str, str]) -> str:
    """Save the preview's column mapping as a named profile (instance/profiles.json)."""
    from etl.preview import save_mapping as save

    return save(settings, path, name, chosen_profile, mapping_override)


def preview_file(path: str | Path, settings: Settings, *, sheet: str | None = None) -> list[str]:
    """The headers of a file as the readers see them (for a preview before loading)."""
    return list(open_source(Path(path), sheet=sheet, chunk_size=settings.ingest.chunk_size,
                            limits=settings.ingest.workbook_limits()).headers)


def ingest_file(
    engine: Engine, settings: Settings, path: str | Path, *, profile: str = "auto", source: str | None = None,
    sheet: str | None = None, progress: Progress | None = None,
) -> IngestResult:
    """Ingest one file. Raises InputError / ProfileNotFound before writing anything when it is unusable.

    A batch interrupted earlier (crash, kill) for the same content and source resumes at its checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}：文件不存在")
    raw = open_source(path, sheet=sheet, chunk_size=settings.ingest.chunk_size,
                      limits=settings.ingest.workbook_limits())
    prof = resolve_profile(raw.headers, profile, settings)
    sha256, source_system = sha256_file(path), source or prof.name
    with _input_lock(engine, settings, source_system, sha256):  # one load of this file at a time
        return _run_batch(
            engine, settings, raw.chunks(), profile=prof, source_system=source_system, file_name=str(path),
            sha256=sha256, resume=True, progress=progress,
        )


def _input_lock(engine: Engine, settings: Settings, source_system: str, sha256: str, *, wait: bool = True):
    return repository.input_lock(engine, f"{source_system}\0{sha256}", settings.instance_path / "locks", wait=wait)


def ingest_sql(
    engine: Engine, settings: Settings, url: str, *, watermark_column: str, table: str | None = None,
    query: str | None = None, profile: str = "auto", source: str | None = None, progress: Progress | None = None,
) -> IngestResult:
    """Pull new rows (watermark column greater than the last pull's maximum) from a SQL source."""
    from sqlalchemy.engine import make_url

    from etl.sources.sql import read_sql_source

    label = f"sql:{make_url(url).render_as_string(hide_password=True)}/{table or 'query'}"
    with engine.connect() as conn:
        after = repository.get_watermark(conn, label)
    raw = read_sql_source(
        url, table=table, query=query, watermark_column=watermark_column, after=after,
        chunk_size=settings.ingest.chunk_size,
    )
    prof = resolve_profile(raw.headers, profile, settings)
    digest = hashlib.sha256(f"{label}|{query}|{watermark_column}|{after}".encode()).hexdigest()
    result = _run_batch(
        engine, settings, raw.chunks(), profile=prof, source_system=source or prof.name, file_name=label,
        sha256=digest, resume=False, progress=progress,
    )
    if raw.max_watermark is not None:
        with engine.begin() as conn:
            repository.set_watermark(conn, label, watermark_column, str(raw.max_watermark))
    return result


class SourceNotAllowed(PermissionError):
    """A push names (or defaults to) a source system its account is not registered for ([push] sources)."""


def _without_claimed(engine: Engine, chunks: Iterator[pd.DataFrame], profile: Profile, ctx: TransformContext,
                     owner: str, claimed: list[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Push only: ``chunks`` without the rows whose record key another account's push or a file already holds in
    the same source (they go to ``claimed`` as rejects with the reason) - never a silent "duplicate"."""
    from etl.transform.chunk import transform

    for raw in chunks:
        records = transform(raw, profile, ctx).records
        with engine.connect() as conn:
            owners = repository.key_owners(conn, records["id"].tolist(), records["record_key"].tolist())
        foreign = {k: f for k, f in owners.items() if not f.startswith(owner)}
        hit = records[records["record_key"].isin(list(foreign))]
        if hit.empty:
            yield raw
            continue
        claimed.append(pd.DataFrame({
            "row_number": hit["row_number"].astype("int64").to_numpy(), "column": None,
            "reason": [f"记录键 {k} 在来源 {ctx.source_system} 中已由{_holder(foreign[k])}写入：推送不能占用或覆盖"
                       "其他账号、其他文件的记录（不计为重复）" for k in hit["record_key"]],
            "raw": [json.dumps({"record_key": k}, ensure_ascii=False) for k in hit["record_key"]]}))
        yield raw[~raw[ROW].isin(set(hit["row_number"].tolist()))].reset_index(drop=True)


def _holder(file_name: str) -> str:
    if file_name.startswith("push:"):
        return f"账号 {file_name.split(':')[1]} 的推送"
    return "导入的文件" if not file_name.startswith("sql:") else "数据库抽取"


def push_key(username: str, client_batch_id: str) -> str:
    """The batch hash of a pushed batch: one per account and client batch id (the idempotency key)."""
    return hashlib.sha256(f"push\0{username}\0{client_batch_id}".encode()).hexdigest()


def records_digest(records: list) -> str:
    """sha256 of pushed records as canonical JSON (key order and spacing do not matter)."""
    canonical = json.dumps(records, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def ingest_records(
    engine: Engine, settings: Settings, records: list, *, profile: str, username: str, client_batch_id: str,
    source: str | None = None, only_dept: str | None = None, allowed_sources: frozenset[str] | None = None,
) -> tuple[IngestResult, bool]:
    """Load records pushed over the API (a list of JSON objects) through the same transform, rejects and
    de-duplication as a file; returns the result and whether it is a replay.

    ``client_batch_id`` is the idempotency key: a batch already finished under the same account and key is
    answered as it was (nothing is loaded again), an interrupted one resumes. ``only_dept``: records of any other
    department (or of none) are rejected. Row numbers are the 1-based positions in ``records``; every reject is
    returned in ``first_rejects``. Raises BatchKeyReused when the key was used before for other records (their
    digest is kept with the batch), InputError / ProfileNotFound before writing anything."""
    sha256 = push_key(username, client_batch_id)
    digest = records_digest(records)
    label = f"push:{username}:{client_batch_id}"
    try:  # the database's lock, so every web process and host agrees (the push holds no process-local lock)
        with _input_lock(engine, settings, "push", sha256, wait=False):
            return _ingest_records_locked(engine, settings, records, profile=profile, sha256=sha256, digest=digest,
                                          label=label, client_batch_id=client_batch_id, source=source,
                                          only_dept=only_dept, username=username, allowed_sources=allowed_sources)
    except repository.InputBusy:  # a parallel send of the same batch is loading it: this one is told to resend
        raise BatchInProgress(client_batch_id) from None


def _ingest_records_locked(
    engine: Engine, settings: Settings, records: list, *, profile: str, sha256: str, digest: str, label: str,
    client_batch_id: str, source: str | None, only_dept: str | None, username: str,
    allowed_sources: frozenset[str] | None,
) -> tuple[IngestResult, bool]:
    from etl.sources.records import RecordsSource

    with engine.connect() as conn:
        if repository.batch_contents(conn, sha256=sha256) - {digest}:
            raise BatchKeyReused(
                f"batch_id {client_batch_id} 已用于另一批内容不同的记录（同一批次重发时内容必须相同）；"
                "新的一批请换一个 batch_id")
        done = repository.find_done_batch(conn, sha256=sha256)
        if done is not None:
            rejects = repository.batch_rejects(conn, done.id)
    if done is not None:
        return IngestResult(
            batch_id=done.id, file=label, profile=done.profile, source_system=done.source_system, read=done.read,
            loaded=done.loaded, duplicate=done.duplicate, rejected=done.rejected, first_rejects=rejects,
        ), True
    raw = RecordsSource(records, label=label, chunk_size=settings.ingest.chunk_size)
    prof = resolve_profile(raw.headers, profile, settings)
    if allowed_sources is not None and (source or prof.name) not in allowed_sources:  # push: sources per account
        raise SourceNotAllowed(source or prof.name)
    claimed: list[pd.DataFrame] = []
    chunks = _without_claimed(engine, raw.chunks(), prof, transform_context(settings, source or prof.name, label, only_dept),
                              f"push:{username}:", claimed)
    result = _run_batch(
        engine, settings, chunks, profile=prof, source_system=source or prof.name, file_name=label,
        sha256=sha256, resume=True, progress=None, only_dept=only_dept, all_rejects=True, content_sha256=digest,
    )
    if claimed:  # the claimed rows join the batch as rejects: read = loaded + duplicate + rejected still holds
        rejects = pd.concat(claimed, ignore_index=True)
        with engine.begin() as conn:
            repository.insert_rejects(conn, result.batch_id, label, rejects)
            repository.checkpoint_batch(conn, result.batch_id, read=len(rejects), loaded=0, duplicate=0,
                                        rejected=len(rejects))
            repository.mark_batch(conn, result.batch_id, status="done")
            first = repository.batch_rejects(conn, result.batch_id)
        result = dataclasses.replace(result, read=result.read + len(rejects),
                                     rejected=result.rejected + len(rejects), first_rejects=first)
    return result, False
