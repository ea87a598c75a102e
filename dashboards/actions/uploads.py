"""Uploaded files waiting for confirmation: store, preview (headers and detected profile), import, discard."""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from werkzeug.datastructures import FileStorage

from feedback import files
from feedback.clock import local_now
from feedback.isolate import LimitExceeded, run_isolated
from feedback.settings import Settings

ALLOWED_SUFFIXES = files.known_suffixes()  # the reader is chosen by content (feedback.files.sniff_format)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^\w.\-()（）\[\]【】 ]+")


class UploadError(ValueError):
    """An upload that cannot be stored or previewed; the message is shown to the user (Chinese)."""


@dataclass(frozen=True)
class Preview:
    token: str
    file_name: str
    size: int
    uploaded_by: str
    uploaded_at: str
    headers: list[str]
    profile: str | None  # the profile it would be loaded with, None when none fits or the mapping is unsaved
    mapping: list[tuple[str, str | None]]  # (source header, canonical field or None when unused)
    error: str | None  # why the file cannot be imported as it is
    inspection: dict = field(default_factory=dict)  # etl.preview.UploadInspection.as_dict(): checks, samples
    chosen_profile: str = "auto"


def upload_root(settings: Settings) -> Path:
    return Path(settings.instance_path) / "uploads"


def safe_name(name: str) -> str:
    """The base name with path parts and odd characters removed (Chinese characters are kept)."""
    base = re.split(r"[\\/]", name or "")[-1].strip().lstrip(".")
    base = _UNSAFE.sub("_", base)[-120:]
    return base or "upload"


def _folder(settings: Settings, token: str) -> Path:
    if not _TOKEN.match(token or ""):
        raise UploadError("上传记录不存在或已过期，请重新上传")
    folder = upload_root(settings) / token
    if not (folder / "meta.json").is_file():
        raise UploadError("上传记录不存在或已过期，请重新上传")
    return folder


def _inspect(settings: Settings, path: Path, chosen_profile: str = "auto",
             mapping_override: dict[str, str] | None = None) -> dict:
    """The preview of ``path`` through the ETL's public entry point (``etl.pipeline.inspect_upload``), as a dict."""
    try:
        from etl import pipeline
    except ImportError as exc:  # the ETL is incomplete in this installation
        return {"headers": [], "profile": None, "mapping": [], "error": f"数据导入模块不可用：{exc}"}
    try:  # the untrusted file is read in a child process under the [security] import_* limits
        return run_isolated(pipeline.inspect_upload, settings, path, chosen_profile, mapping_override,
                            limits=settings.security.import_limits()).as_dict()
    except LimitExceeded as exc:
        return {"headers": [], "profile": None, "mapping": [], "error": f"无法读取文件：{exc}"}


def _preview(base: dict, found: dict, chosen_profile: str) -> Preview:
    return Preview(**base, headers=list(found.get("headers", [])), profile=found.get("profile"),
                   mapping=[tuple(m) for m in found.get("mapping", [])], error=found.get("error"), inspection=found,
                   chosen_profile=chosen_profile)


def _write(folder: Path, preview: Preview) -> None:
    (folder / "meta.json").write_text(json.dumps(asdict(preview), ensure_ascii=False), encoding="utf-8")


def save_upload(settings: Settings, storage: FileStorage, username: str) -> str:
    """Store the file in its own folder and record its preview; returns the upload token."""
    name = safe_name(storage.filename or "")
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise UploadError(f"不支持的文件类型：{name}（支持 {', '.join(ALLOWED_SUFFIXES)}）")
    token = uuid.uuid4().hex
    folder = upload_root(settings) / token
    folder.mkdir(parents=True, exist_ok=False)
    path = folder / name
    storage.save(path)
    size = path.stat().st_size
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise UploadError("文件是空的")
    base = {"token": token, "file_name": name, "size": size, "uploaded_by": username,
            "uploaded_at": local_now().isoformat(sep=" ")}
    preview = _preview(base, _inspect(settings, path), "auto")
    if preview.error and not preview.headers:  # an unreadable file is not kept: only its preview (the reason)
        # remains; a readable one without a matching profile stays for the column mapping by hand
        path.unlink(missing_ok=True)
    _write(folder, preview)
    return token


def remap(settings: Settings, token: str, chosen_profile: str, mapping_override: dict[str, str] | None) -> Preview:
    """Inspect the upload again with another profile and/or the person's per-column mapping."""
    preview = load_preview(settings, token)
    folder = _folder(settings, token)
    found = _inspect(settings, folder / preview.file_name, chosen_profile, mapping_override)
    updated = _preview({k: getattr(preview, k) for k in ("token", "file_name", "size", "uploaded_by", "uploaded_at")},
                       found, chosen_profile)
    _write(folder, updated)
    return updated


def save_mapping(settings: Settings, token: str, name: str, chosen_profile: str,
                 mapping_override: dict[str, str]) -> Preview:
    """Save the mapping as a named source profile, then preview the upload with it."""
    from etl import pipeline

    preview = load_preview(settings, token)
    try:
        saved = pipeline.save_mapping(settings, _folder(settings, token) / preview.file_name, name, chosen_profile,
                                      mapping_override)
    except (pipeline.ProfileError, pipeline.InputError) as exc:
        raise UploadError(str(exc)) from None
    return remap(settings, token, saved, None)


def load_preview(settings: Settings, token: str) -> Preview:
    meta: dict[str, Any] = json.loads((_folder(settings, token) / "meta.json").read_text(encoding="utf-8"))
    meta["mapping"] = [tuple(m) for m in meta["mapping"]]
    return Preview(**{k: v for k, v in meta.items() if k in Preview.__dataclass_fields__})


def ingest_with_url(database_url: str, settings: Settings, path: Path, profile: str):
    """``etl.pipeline.ingest_file`` with an engine of its own (what a child process is given)."""
    from etl.pipeline import ingest_file
    from feedback.db import make_engine

    engine = make_engine(database_url)
    try:
        return ingest_file(engine, settings, path, profile=profile)
    finally:
        engine.dispose()


def import_upload(engine: Engine, settings: Settings, token: str):
    """Load the previewed file with its detected profile in a child process under the [security] import_*
    limits; removes it after. A child stopped by a limit leaves its batch unfinished (resumable), never done."""
    preview = load_preview(settings, token)
    if preview.error or not preview.profile:
        raise UploadError(preview.error or "没有检测到来源配置，无法导入")
    folder = _folder(settings, token)
    try:
        result = run_isolated(ingest_with_url, engine.url.render_as_string(hide_password=False), settings,
                              folder / preview.file_name, preview.profile, limits=settings.security.import_limits())
    except LimitExceeded as exc:
        raise UploadError(str(exc)) from None
    shutil.rmtree(folder, ignore_errors=True)
    return result


def discard(settings: Settings, token: str) -> None:
    shutil.rmtree(_folder(settings, token), ignore_errors=True)


def clean_stale(settings: Settings, hours: int) -> int:
    """Remove unconfirmed uploads older than ``hours``; returns how many were removed."""
    root, removed = upload_root(settings), 0
    if not root.is_dir():
        return 0
    cutoff = time.time() - hours * 3600
    for folder in root.iterdir():
        if folder.is_dir() and _TOKEN.match(folder.name) and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def profile_choices(settings: Settings) -> list[tuple[str, str]]:
    """(name, Chinese name) of every source profile an upload may be read with."""
    from etl import pipeline
    from feedback.codes import profile_name

    return [(name, profile_name(name)) for name in pipeline.known_profiles(settings)]


def field_choices() -> list[tuple[str, str]]:
    """(field, Chinese name) of every field a column may be mapped to, in name order."""
    from etl import pipeline
    from feedback.codes import field_label

    return sorted(((f, field_label(f)) for f in pipeline.INPUT_FIELDS), key=lambda x: x[1])
