"""POST /api/v1/push: platforms send ratings in batches through the ETL pipeline (idempotent per batch_id).

The body is ``{"profile": NAME, "batch_id": KEY, "records": [{...}, ...]}``; each record carries the fields of the
source profile (e.g. the national interface's projectNo, pf, satisfaction, assessTime …). Records go through
``etl.pipeline.ingest_records``: the same transform, reject reasons and de-duplication as a file.

Sources belong to accounts: an account writes only the source systems [push] sources lists for it (by default its
own ``push-ACCOUNT``), so no account can claim an official feed's record keys before the official file arrives.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import Engine

from dashboards.users import UserRow
from feedback.settings import Settings

BODY_KEYS = ("profile", "batch_id", "records")
OPTIONAL_KEYS = ("source",)
BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}$")
SOURCE = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")


class PushError(ValueError):
    """A push request that cannot be used as it is (answered 400 with this message)."""


class PushForbidden(PermissionError):
    """The account may not write the source system the push names or defaults to (answered 403)."""


class PushInProgress(RuntimeError):
    """The same account's batch_id is being loaded by another request right now, in any web process (answered
    409). The database decides (etl.pipeline.BatchInProgress), not a lock of this process."""


class PushConflict(RuntimeError):
    """The account's batch_id was used before for other records (answered 409; nothing is loaded)."""


def parse_body(raw: bytes) -> dict[str, Any]:
    """The checked body: profile, batch_id, records (a non-empty list), source (or None)."""
    try:
        body = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PushError("请求体不是 UTF-8 编码的 JSON") from None
    except json.JSONDecodeError as exc:
        raise PushError(f"请求体不是有效的 JSON：{exc.msg}（第 {exc.lineno} 行第 {exc.colno} 列）") from None
    except RecursionError:  # thousands of nested [ or {: the parser's recursion limit, not a server error
        raise PushError("请求体的 JSON 嵌套层数过多：每条记录应是字段到值的扁平对象") from None
    if not isinstance(body, dict):
        raise PushError('请求体必须是 JSON 对象：{"profile": …, "batch_id": …, "records": [...]}')
    missing = [k for k in BODY_KEYS if k not in body]
    if missing:
        raise PushError(f"缺少字段：{', '.join(missing)}（需要 profile、batch_id、records）")
    unknown = sorted(set(body) - set(BODY_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise PushError(f"未知字段：{', '.join(unknown)}（允许 {', '.join(BODY_KEYS + OPTIONAL_KEYS)}）")
    profile, batch_id, records, source = body["profile"], body["batch_id"], body["records"], body.get("source")
    if not isinstance(profile, str) or not profile.strip():
        raise PushError("profile 必须是来源配置名称（如 national、zhejiang），或 auto")
    if not isinstance(batch_id, str) or not BATCH_ID.match(batch_id):
        raise PushError("batch_id 必须是 1–100 个字母、数字或 . _ : - 组成的字符串（同一批次重发时保持不变）")
    if not isinstance(records, list) or not records:
        raise PushError("records 必须是非空的 JSON 数组，每个元素是一条记录")
    if source is not None and (not isinstance(source, str) or not SOURCE.match(source)):
        raise PushError("source 必须是小写字母开头的来源系统名称（字母、数字、_ -，最多 64 个字符）")
    return {"profile": profile.strip(), "batch_id": batch_id, "records": records, "source": source}


def own_source(username: str) -> str:
    """The source system an account not listed in [push] sources writes: ``push-`` and its name (lower case,
    other characters as ``_``); no official feed is named like that."""
    return "push-" + re.sub(r"[^a-z0-9_\-]", "_", username.lower())[:58]


def allowed_sources(settings: Settings, username: str) -> frozenset[str]:
    """The source systems the account may write: those [push] sources lists for it, else its own source."""
    listed = settings.push.sources.get(username)
    return frozenset(listed) if listed else frozenset({own_source(username)})


def _source_for(settings: Settings, username: str, requested: str | None) -> str | None:
    """The source to load into (None: the profile's name, checked by the pipeline against the account's)."""
    allowed = allowed_sources(settings, username)
    if requested is not None:
        if requested not in allowed:
            raise PushForbidden(_forbidden(username, requested, allowed))
        return requested
    return next(iter(allowed)) if len(allowed) == 1 else None


def _forbidden(username: str, source: str, allowed: frozenset[str]) -> str:
    return (f"账号 {username} 未登记为来源系统 {source} 的推送方，不能写入该来源；可写入的来源：{'、'.join(sorted(allowed))}"
            "（由管理员在 config.toml 的 [push] sources 中登记）")


def push_records(engine: Engine, settings: Settings, user: UserRow, body: dict[str, Any]) -> tuple[dict, bool]:
    """Load the checked body; returns the answer (counts, every reject with its index) and whether it replays
    an earlier batch. A department-bound user's records of other departments are rejected."""
    from etl.pipeline import (
        BatchInProgress,
        BatchKeyReused,
        InputError,
        ProfileError,
        ProfileNotFound,
        SourceNotAllowed,
        ingest_records,
    )

    allowed = allowed_sources(settings, user.username)
    source = _source_for(settings, user.username, body["source"])  # before anything is loaded or locked

    try:
        result, replayed = ingest_records(
            engine, settings, body["records"], profile=body["profile"], username=user.username,
            client_batch_id=body["batch_id"], source=source, only_dept=user.dept_code, allowed_sources=allowed,
        )
    except BatchInProgress:  # a client retrying while its first request still loads must not load twice
        raise PushInProgress(f"批次 {body['batch_id']} 正在导入，请稍后重发以取得结果") from None
    except SourceNotAllowed as exc:
        raise PushForbidden(_forbidden(user.username, str(exc), allowed)) from None
    except BatchKeyReused as exc:
        raise PushConflict(str(exc)) from None
    except ProfileNotFound as exc:
        raise PushError(f"来源配置不匹配：{exc}") from None
    except (InputError, ProfileError) as exc:
        raise PushError(str(exc)) from None
    answer = {
        "batch_id": result.batch_id, "client_batch_id": body["batch_id"], "profile": result.profile,
        "source": result.source_system, "replayed": replayed, "read": result.read, "loaded": result.loaded,
        "duplicate": result.duplicate, "rejected": result.rejected,
        "rejects": [{"index": int(r["row_number"]) - 1, "column": r["column"], "reason": r["reason"]}
                    for r in result.first_rejects],
    }
    return answer, replayed
