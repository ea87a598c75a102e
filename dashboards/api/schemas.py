"""The component schemas of the /api/v1 OpenAPI document (dashboards.api.openapi): records, batches, pushes,
labels, tasks, alerts, the 总览 (its KPI properties built from the KPI spec) and the ledger."""

from __future__ import annotations

from typing import Any

from feedback.codes import SCORE_10
from feedback.filters import KINDS, SENTIMENTS
from feedback.stats import spec
from feedback.tasks.lifecycle import STATUSES as TASK_STATUSES


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}



_STR, _INT, _NUM = {"type": "string"}, {"type": "integer"}, {"type": "number"}
_TASK: dict[str, Any] = {
    "rank": _nullable("integer", description="1 = highest priority; null for tasks the latest rebuild did not find"),
    "id": _INT, "key": {"type": "string", "description": "stable task key (survives rebuilds)"}, "title": _STR,
    "score": {"type": "number", "minimum": 0, "maximum": 100}, "status": {"enum": list(TASK_STATUSES)},
    "status_name": _STR, "owner": _nullable("string"), "due_date": _nullable("string", format="date"),
    "overdue_days": {"type": ["integer", "null"], "minimum": 1,
                     "description": "days past the due date while the work is pending (新建, 已受理, 整改中, 已重开); "
                                    "null: not overdue"},
    "kind": {"enum": ["service", "hall", "topic"]}, "kind_name": _STR,
    "source": {"enum": ["rating", "message", "mixed"]},
    "category": _nullable("string"), "category_name": _nullable("string"), "service": _nullable("string"),
    "dept_code": _nullable("string", description="the department the task belongs to (scoping)"),
    "department": _nullable("string"), "anchor": _nullable("string"), "signals": _INT,
    "first_seen": _nullable("string"), "last_seen": _nullable("string"), "active": {"type": "boolean"},
    "keywords": {"type": "array", "items": _STR},
    "components": {"type": "object", "additionalProperties": {"type": ["number", "null"]},
                   "description": "component name → value in [0, 1] (null: does not apply)"},
    "position": _nullable("integer", description="place in the filtered list of the chosen type (1 = first); in a "
                          "detail, the place among the active tasks of its type; null when not ranked"),
    "type": {"enum": ["gov", "topic"], "description": "gov = 政务服务 (service, hall), topic = 12345 话题"},
    "type_name": _STR,
}
_TASK_DETAIL: dict[str, Any] = {
    "subcategory": _nullable("string"), "region_code": _nullable("string"), "source_name": _STR,
    "dismissed_reason": _nullable("string"), "shipped_at": _nullable("string"),
    "formula": {"type": "string", "description": "the priority formula with the weights of the task's build"},
    "component_rows": {"type": "array", "items": {
        "type": "object", "additionalProperties": False,
        "required": ["name", "label", "value", "weight", "share", "points"],
        "properties": {"name": _STR, "label": _STR, "value": {"type": ["number", "null"]}, "weight": _NUM,
                       "share": {"type": ["number", "null"],
                                 "description": "part of the 100 points the component can earn (points = 100 × "
                                                "value × share); the points add up to the score"},
                       "points": {"type": ["number", "null"], "description": "points added to the score"}}}},
    "explanation": {"type": "string", "description": "why the task ranks where it does, one sentence"},
    "heat": {"type": ["object", "null"], "description": "a topic's heat index and its components, null when none"},
    "build": {"type": "object", "properties": {"build": _INT, "built_at": _STR, "model_version": _nullable("string"),
                                               "settings_hash": _STR}},
    "metrics": {"type": "object"},
    "evidence": {"type": "array", "items": {
        "type": "object", "required": ["record_id", "text", "rated_at"],
        "properties": {"record_id": _INT, "title": _nullable("string"), "text": {"type": "string",
                                                                              "description": "PII masked"},
                       "rated_at": _STR, "level": _nullable("integer"), "hidden": {"type": "boolean"},
                       "votes": _nullable("integer"), "channel": _nullable("string"), "similarity": _NUM,
                       "clause": {"type": "string", "description": (
                           "a hidden complaint's clause after a turn word that made it (PII masked); absent where "
                           "the whole text did, and in tasks built before migration 0021")}}}},
    "breakdown": {"type": "object", "additionalProperties": {"type": "array", "items": {
        "type": "object", "required": ["name", "signals"], "properties": {"name": _STR, "signals": _NUM}}}},
    "series": {"type": "array", "items": {"type": "array", "prefixItems": [_STR, _NUM], "minItems": 2, "maxItems": 2,
                                          "items": {"anyOf": [_STR, _NUM]}},  # OpenAPI 3.0 tools need items
               "description": "[week's Monday, weighted complaints]"},
    "impact": {"type": ["object", "null"], "description": "latest impact check: windows, counts, rates, interval"},
    "history": {"type": "array", "items": {
        "type": "object", "required": ["at", "actor", "action", "action_name"],
        "properties": {"at": _STR, "actor": _STR, "action": _STR, "action_name": _STR,
                       "from_status": _nullable("string"), "to_status": _nullable("string"),
                       "from_name": _nullable("string"), "to_name": _nullable("string"), "note": _nullable("string"),
                       "data": {"type": ["object", "null"]}}}},
    "transitions": {"type": "array", "items": {"enum": list(TASK_STATUSES)}},
    "impact_window_days": _INT,
}
_ALERT: dict[str, Any] = {
    "id": _INT, "rule": {"enum": ["dept_bad_rate", "category_burst", "hidden_doubling"]}, "rule_name": _STR,
    "subject": _STR, "subject_name": _nullable("string"), "period": {"type": "string", "format": "date"},
    "period_start": {"type": "string", "format": "date"}, "period_end": {"type": "string", "format": "date"},
    "dept_code": _nullable("string"), "dept_name": _nullable("string"), "value": _NUM,
    "baseline": _nullable("number"), "threshold": _NUM, "count": _INT, "volume": _nullable("integer"),
    "message": _STR, "status": {"enum": ["open", "closed"]}, "status_name": _STR, "created_at": _STR,
    "updated_at": _STR, "closed_at": _nullable("string"), "closed_by": _nullable("string"),
    "notified_at": _nullable("string"),
    "notify_failed_at": {"type": ["string", "null"], "description": "the last webhook post failed at"},
    "notify_error": {"type": ["string", "null"], "description": "why the last webhook post failed"},
    "notify_attempts": {"type": ["integer", "null"], "description": "attempts the last webhook delivery used"},
    "figures": {"type": "string", "description": "the figures in one line"},
    "records_query": {"type": "string", "description": "query string of /records showing the records behind it"},
}
_PUSH_RESULT: dict[str, Any] = {
    "batch_id": {"type": "integer", "description": "Haocha's batch number (batch history, rejects CSV)"},
    "client_batch_id": _STR, "profile": _STR, "source": _STR,
    "replayed": {"type": "boolean", "description": "true: this batch_id was loaded before; its result is answered "
                                                   "again and nothing was loaded"},
    "read": _INT, "loaded": _INT, "duplicate": _INT, "rejected": _INT,
    "rejects": {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["index", "column", "reason"],
        "properties": {"index": {"type": "integer", "minimum": 0, "description": "position in `records` (0-based)"},
                       "column": _nullable("string"), "reason": _STR}}},
    "stages": {"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/StageRun"}]},
}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"],
              "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
    "Me": {"type": "object", "required": ["username", "role", "dept_code"], "additionalProperties": False,
           "properties": {"username": {"type": "string"}, "role": {"enum": ["admin", "ops", "pm", "viewer"]},
                          "dept_code": _nullable("string")}},
    "Record": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "kind", "rated_at", "level", "level_name", "is_default", "channel", "channel_name",
                     "service_code", "service_name", "dept_code", "dept_name", "region_code", "tags", "title",
                     "text", "votes_up", "sentiment", "category", "category_name", "category_conf",
                     "category_corrected", "voided", "hidden_complaint", "hidden_clause"],
        "properties": {
            "id": {"type": "integer"}, "kind": {"enum": list(KINDS)},
            "rated_at": {"type": "string", "description": "Asia/Shanghai wall-clock time, YYYY-MM-DD HH:MM:SS"},
            "level": _nullable("integer", minimum=1, maximum=5), "level_name": _nullable("string"),
            "is_default": {"type": "boolean", "description": "系统默认评价 (excluded from active-rating KPIs)"},
            "channel": _nullable("string"), "channel_name": _nullable("string"),
            "service_code": _nullable("string"), "service_name": _nullable("string"),
            "dept_code": _nullable("string"), "dept_name": _nullable("string"), "region_code": _nullable("string"),
            "tags": {"type": "array", "items": {"type": "string"}, "description": "tag code and its wording"},
            "title": _nullable("string"), "text": _nullable("string", description="cleaned, PII masked"),
            "votes_up": _nullable("integer"), "sentiment": {"enum": [*SENTIMENTS, None]},
            "category": _nullable("string", description=(
                "first-level slug (the person's where corrected); not_complaint where a person said the text is no "
                "complaint (不是投诉)")), "category_name": _nullable("string"),
            "category_conf": _nullable("number"),
            "category_corrected": {"type": "boolean",
                                   "description": "true: category is a person's correction (gold label, 人工校正)"},
            "voided": {"type": "boolean",
                       "description": "true: a 差评 voided on appeal (申诉复核); kept as a record, left out of KPIs"},
            "hidden_complaint": {"type": "boolean", "description": (
                "true: a 基本满意-or-better rating whose text complains (隐性投诉), under the active scoring version")},
            "hidden_clause": _nullable("string", description=(
                "the clause after a turn word (但/不过/就是 …, normalised, PII masked) that made the hidden complaint; "
                "null when the whole text did, for other records, and for scores made before migration 0021")),
        },
    },
    "RecordPage": {
        "type": "object", "additionalProperties": False,
        "required": ["page", "per_page", "has_next", "total", "total_capped", "items"],
        "properties": {
            "page": {"type": "integer"}, "per_page": {"type": "integer", "maximum": 200},
            "has_next": {"type": "boolean"},
            "total": {"type": "integer", "description": "matching records, counted up to 10000"},
            "total_capped": {"type": "boolean", "description": "true: there are more than `total`"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
        },
    },
    "Batch": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "source_system", "profile", "file_name", "status", "read", "loaded", "duplicate",
                     "rejected", "started_at", "finished_at", "error"],
        "properties": {
            "id": {"type": "integer"}, "source_system": {"type": "string"}, "profile": {"type": "string"},
            "file_name": {"type": "string"}, "status": {"enum": ["running", "done", "failed"]},
            "read": {"type": "integer"}, "loaded": {"type": "integer"}, "duplicate": {"type": "integer"},
            "rejected": {"type": "integer"}, "started_at": {"type": "string"}, "finished_at": _nullable("string"),
            "error": _nullable("string"),
            "stages": {"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/StageRun"}],
                       "description": "the later stages after this batch (kept in memory; null when none was asked "
                                      "for since the server started)"},
        },
    },
    "BatchPage": {
        "type": "object", "additionalProperties": False, "required": ["page", "per_page", "has_next", "items"],
        "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer"}, "has_next": {"type": "boolean"},
                       "items": {"type": "array", "items": {"$ref": "#/components/schemas/Batch"}}},
    },
    "StageRun": {
        "type": "object", "additionalProperties": False, "required": ["status", "queued_at", "finished_at", "errors"],
        "properties": {"status": {"enum": ["queued", "running", "done", "failed"]}, "queued_at": _STR,
                       "finished_at": _nullable("string"), "errors": {"type": "array", "items": _STR}},
    },
    "PushRequest": {
        "type": "object", "additionalProperties": False, "required": ["profile", "batch_id", "records"],
        "properties": {
            "profile": {"type": "string", "description": "source profile (national, zhejiang, xian, gbt39046, "
                                                         "message, a [profiles] entry) or auto"},
            "batch_id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:\\-]{0,99}$",
                         "description": "the client's idempotency key: resend a batch with the same batch_id"},
            "source": {"type": "string", "description": "source system name (default: the profile name)"},
            "records": {"type": "array", "minItems": 1, "items": {"type": "object"},
                        "description": "records with the profile's fields, e.g. projectNo, pf, satisfaction, "
                                       "evalDetail, writingEvaluation, assessTime, assessNumber, deptCode"},
        },
    },
    "PushResult": {"type": "object", "additionalProperties": False, "required": list(_PUSH_RESULT),
                   "properties": _PUSH_RESULT},
    "LabelRequest": {
        "type": "object", "required": ["category"],
        "properties": {"category": {"type": "string", "description": (
            "first-level slug of the taxonomy, or other; or not_complaint (不是投诉: the text is praise or a neutral "
            "remark — a rating above 差评 only; it clears the record's category and hidden-complaint flag)")},
                       "note": _nullable("string", maxLength=500),
                       "subcategory": _nullable("string", description="second-level slug of that category")},
    },
    "Label": {
        "type": "object", "additionalProperties": False,
        "required": ["record_id", "label_id", "category", "category_name", "labelled_by", "note", "model_version"],
        "properties": {"record_id": _INT, "label_id": {"type": "integer", "description": "the gold label stored"},
                       "category": _STR, "category_name": _STR, "labelled_by": _STR,
                       "note": _nullable("string"),
                       "model_version": _nullable("string", description="active scoring version it overrode"),
                       "subcategory": _nullable("string"), "subcategory_name": _nullable("string")},
    },
    "TaskSummary": {"type": "object", "additionalProperties": False, "required": list(_TASK), "properties": _TASK},
    "TaskPage": {
        "type": "object", "additionalProperties": False,
        "required": ["page", "per_page", "has_next", "total", "items"],
        "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer", "maximum": 200},
                       "has_next": {"type": "boolean"}, "total": {"type": "integer"},
                       "items": {"type": "array", "items": {"$ref": "#/components/schemas/TaskSummary"}}},
    },
    "TaskDetail": {"type": "object", "additionalProperties": False,
                   "required": [*_TASK, *_TASK_DETAIL], "properties": {**_TASK, **_TASK_DETAIL}},
    "Alert": {"type": "object", "additionalProperties": False, "required": list(_ALERT), "properties": _ALERT},
    "AlertPage": {
        "type": "object", "additionalProperties": False,
        "required": ["page", "per_page", "has_next", "total", "items"],
        "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer", "maximum": 200},
                       "has_next": {"type": "boolean"}, "total": {"type": "integer"},
                       "items": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}}},
    },
}


# --- 总览 Overview ---------------------------------------------------------------------------------------------


# --- 总览 Overview ---------------------------------------------------------------------------------------------
_RATE, _COUNT = _nullable("number", description="%"), {"type": "integer", "minimum": 0}
_LINK = _nullable("string", description="query string of /records showing the records behind this row")
# a KPI's schema by its kind (feedback.stats.spec); 平均分 runs from 0 to the top of the 10-point scale
_KPI_KINDS = {"count": _COUNT, "rate": _RATE,
              "score": _nullable("number", minimum=0, maximum=max(SCORE_10.values()))}
ROW_KPIS = ("total", "active_total", "active_rate", "good_rate", "bad", "bad_rate", "avg_score_10",
            "hidden_complaints")  # the KPI columns every 总览 row carries (channels, services, trend, kpis)
_KPI_ROW = {k: _KPI_KINDS[spec.kind_of(k)] for k in ROW_KPIS}


def _rows(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "object", "required": required or list(props),
                                       "properties": props}}


_RANK_ROW = {"rank": _nullable("integer"), "key": _nullable("string"), "name": _STR, "total": _COUNT,
             "active_rate": _RATE, "good_rate": _RATE, "bad": _COUNT, "bad_rate": _RATE,
             "expected": _nullable("number"), "oe_ratio": _nullable("number"), "adjusted_bad_rate": _RATE,
             "on_time_rate": _RATE, "avg_score_10": _nullable("number"), "avg_score_10_mom": _nullable("number"),
             "bad_rate_mom": _nullable("number"), "total_mom": _nullable("number"), "eligible": {"type": "boolean"},
             "good_rate_mom": _nullable("number", description="环比, percentage points"),
             "good_rate_yoy": _nullable("number", description="同比, percentage points"),
             "bad_rate_yoy": _nullable("number", description="同比, percentage points"),
             "records_query": _LINK,
             "bad_records_query": _nullable("string", description="query string of /records showing the unit's "
                                                                  "差评 (levels 1-2); null without 差评"),
             "small": {"type": "boolean", "description": "评价数 under [kpi] chart_min_volume (样本少)"}}
_RANKING = {"type": ["object", "null"], "required": ["unit", "table", "red", "black", "min_volume", "metric",
                                                     "caption"],
            "properties": {"unit": {"enum": ["region", "dept"]}, "table": _rows(_RANK_ROW),
                           "red": _rows(_RANK_ROW, ["rank", "key", "name"]),
                           "black": _rows(_RANK_ROW, ["rank", "key", "name", "bad"]), "min_volume": _INT,
                           "metric": {"enum": ["adjusted_bad_rate", "bad_rate", "mean_score"]},
                           "caption": {"type": "string", "description": "the ranking rule in Chinese "
                                                                        "(rankings.rule_caption)"}},
            "description": "rankings.unit_ranking of the bulletin under [kpi]'s rule: 红榜 best first, 黑榜 worst "
                           "first (with black_requires_bad only units with 差评; with black_requires_excess none "
                           "whose 实际/预期 is at most 1)"}
SCHEMAS["Overview"] = {
    "type": "object", "additionalProperties": False,
    "required": ["total", "levels", "freshness", "kpis", "period", "grain", "trend", "channels", "regions",
                 "depts", "categories", "services", "tags", "filters"],
    "properties": {
        "total": {"type": "integer", "description": "records (ratings and messages) in the period"},
        "period": {"type": ["object", "null"], "required": ["start", "end"],
                   "properties": {"start": {"type": "string", "format": "date"},
                                  "end": {"type": "string", "format": "date"}},
                   "description": "the filters' dates; open end = latest rating day, open start = its month's 1st"},
        "grain": {"enum": ["day", "week", "month"]},
        "kpis": {"type": ["object", "null"], "required": ["month", *_KPI_ROW, "mom", "yoy"],
                 "description": "the period's KPIs with 环比 / 同比 of the same span a month / a year earlier; for a "
                                "whole calendar month the rating KPIs of `haocha kpi --month M --json`, the ledger "
                                "KPIs (cases … overdue_cases) live, as of now, where `haocha kpi` and the bulletin "
                                "freeze them at the month's end (other spans: month null, start / end and "
                                "mom_start … yoy_end name the spans)",
                 "properties": {"month": _nullable("string"), **_KPI_ROW, "mom": {"type": "object"},
                                "yoy": {"type": "object"}}},
        "freshness": {"type": ["object", "null"], "description": "last finished batch (rows read, loaded, rejected)"},
        "levels": _rows({"level": {"type": "integer", "minimum": 1, "maximum": 5}, "level_name": _STR,
                         "active": _COUNT, "default": _COUNT, "count": _COUNT, "records_query": _LINK}),
        "trend": _rows({"period": {"type": "string", "format": "date"}, "period_end": {"type": "string",
                                                                                       "format": "date"},
                        **{k: v for k, v in _KPI_ROW.items() if k != "active_rate"}, "baseline_rate": _RATE, "expected_bad": _nullable("number"),
                        "z": _nullable("number"), "anomaly": {"enum": ["high", "low", None]},
                        "reason": _nullable("string"), "records_query": _LINK, "bad_records_query": _LINK,
                        "small": {"type": "boolean"}}),
        "channels": _rows({"channel": _STR, "channel_name": _STR, **_KPI_ROW, "share": _RATE,
                           "records_query": _LINK, "bad_records_query": _LINK, "small": {"type": "boolean"}}),
        "regions": _RANKING, "depts": _RANKING,
        "categories": _rows({"category": _STR, "name": _STR, "bad": _COUNT, "hidden": _COUNT, "messages": _COUNT,
                             "total": _COUNT, "share": _RATE, "residual": {"type": "boolean"},
                             "records_query": _LINK}),
        "services": _rows({"service_key": _STR, "service_name": _nullable("string"), **_KPI_ROW, "bad_prev": _COUNT,
                           "records_query": _LINK}),
        "tags": _rows({"tag": _STR, "text": _nullable("string"), "n": _COUNT, "share": _RATE}),
        "filters": {"type": "array", "items": {"type": "array", "items": _STR, "minItems": 2, "maxItems": 2},
                    "description": "the filters applied (scoped, with the period) as URL parameter pairs"},
    },
}
LEDGER_STATUSES = ["pending_verify", "rectifying", "rectified", "replied", "revisited", "closed", "cannot_fix",
                    "voided"]
_DATE_N, _TS_N = _nullable("string", format="date"), _nullable("string")
_CASE: dict[str, Any] = {
    "id": _INT, "record_id": _INT, "origin": {"enum": ["bad_rating", "escalated"]},
    "status": {"enum": LEDGER_STATUSES}, "status_name": _STR, "service_name": _nullable("string"),
    "dept_code": _nullable("string"), "dept_name": _nullable("string"), "region_code": _nullable("string"),
    "level": _nullable("integer"), "level_name": _nullable("string"), "rated_at": _STR,
    "verify_due": {"type": "string", "format": "date"}, "rectify_due": {"type": "string", "format": "date"},
    "extended_days": _INT, "overdue": {"enum": ["核实超期", "整改超期", None]},
    "overdue_days": {"type": "integer", "minimum": 0, "description": "calendar days past the binding deadline"},
    "ruling": _nullable("string", description="the approved 无法整改 / 差评无效 decision, kept visible"),
    "satisfaction": _nullable("integer", minimum=1, maximum=5),
}
_CASE_ROW = {**_CASE, "excerpt": _nullable("string", description="start of the comment, PII masked"),
             "pending_requests": _nullable("string")}
_REQUEST = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "case_id", "type", "type_name", "status", "status_name", "reason", "extra_days",
                 "requested_by", "requested_at", "decided_by", "decided_at", "decision_note"],
    "properties": {"id": _INT, "case_id": _INT, "type": {"enum": ["extend", "cannot_fix", "void"]}, "type_name": _STR,
                   "status": {"enum": ["pending", "approved", "rejected"]}, "status_name": _STR, "reason": _STR,
                   "extra_days": _nullable("integer"), "requested_by": _STR, "requested_at": _STR,
                   "decided_by": _nullable("string"), "decided_at": _TS_N, "decision_note": _nullable("string")},
}
_EVENT = {
    "type": "object", "additionalProperties": False,
    "required": ["at", "actor", "action", "action_name", "from_status", "to_status", "from_name", "to_name", "note",
                 "request_id"],
    "properties": {"at": _STR, "actor": _STR, "action": {"enum": ["open", "transition", "request", "approve",
                                                                   "reject"]},
                   "action_name": _STR, "from_status": _nullable("string"), "to_status": _nullable("string"),
                   "from_name": _nullable("string"), "to_name": _nullable("string"), "note": _nullable("string"),
                   "request_id": _nullable("integer")},
}
_CODE_NAME = {"type": "object", "additionalProperties": False, "required": ["code", "name"],
              "properties": {"code": _STR, "name": _STR}}
_CASE_DETAIL = {
    "outcome": {"enum": ["rectified", "cannot_fix", "voided", None]}, "rule": _STR, "opened_at": _STR,
    "verified_at": _TS_N, "rectified_at": _TS_N, "replied_at": _TS_N, "revisited_at": _TS_N, "closed_at": _TS_N,
    "satisfaction_name": _nullable("string"),
    "next_statuses": {"type": "array", "items": _CODE_NAME, "description": "moves the ledger allows from here"},
    "requestable": {"type": "array", "items": _CODE_NAME, "description": "requests that may be filed now"},
    "record": {"type": "object", "additionalProperties": False,
               "required": ["id", "kind", "rated_at", "channel_name", "tags", "title", "text", "level_name"],
               "properties": {"id": _INT, "kind": _STR, "rated_at": _STR, "channel_name": _nullable("string"),
                              "tags": {"type": "array", "items": _STR}, "title": _nullable("string"),
                              "text": _nullable("string", description="PII masked"),
                              "level_name": _nullable("string")}},
    "requests": {"type": "array", "items": _REQUEST},
    "pending_requests": {"type": "array", "items": _REQUEST},
    "history": {"type": "array", "items": _EVENT},
}
SCHEMAS.update({
    "LedgerCase": {"type": "object", "additionalProperties": False, "required": list(_CASE_ROW),
                   "properties": _CASE_ROW},
    "LedgerPage": {
        "type": "object", "additionalProperties": False,
        "required": ["page", "per_page", "has_next", "total", "counts", "items"],
        "properties": {"page": _INT, "per_page": {"type": "integer", "maximum": 200}, "has_next": {"type": "boolean"},
                       "total": _INT,
                       "counts": {"type": "object", "additionalProperties": False,
                                  "required": ["open", "overdue", "closed_this_month", "voided", "all"],
                                  "properties": {k: _INT for k in ("open", "overdue", "closed_this_month", "voided",
                                                                   "all")},
                                  "description": "in scope and period, whatever the status / overdue selection"},
                       "items": {"type": "array", "items": {"$ref": "#/components/schemas/LedgerCase"}}},
    },
    "LedgerCaseDetail": {"type": "object", "additionalProperties": False,
                         "required": [*_CASE, *_CASE_DETAIL], "properties": {**_CASE, **_CASE_DETAIL}},
})

