"""The OpenAPI 3.1 document of /api/v1 (tests validate every response against it): paths and parameters here,
component schemas in dashboards.api.schemas."""

from __future__ import annotations

from typing import Any

from dashboards.api.schemas import LEDGER_STATUSES, SCHEMAS
from feedback.codes import CHANNELS
from feedback.filters import KINDS, SENTIMENTS
from feedback.tasks.lifecycle import STATUSES as TASK_STATUSES

_ERROR = {"$ref": "#/components/schemas/Error"}
_FILTER_PARAMS = [
    {"name": "start", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "评价时间起（含），YYYY-MM-DD"},
    {"name": "end", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "评价时间止（含），YYYY-MM-DD"},
    *({"name": n, "in": "query", "schema": {"type": "array", "items": {"type": "string"}}, "style": "form",
       "explode": True, "description": d}
      for n, d in (("dept", "部门编码（可重复或逗号分隔）；绑定部门的账号总是只看本部门"), ("region", "行政区划代码"),
                   ("channel", "渠道编码（" + "、".join(CHANNELS) + "）或页面上的渠道名称；其他取值为 400"), ("service", "事项编码或名称"), ("category", "问题分类"))),
    {"name": "level", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 5}},
     "description": "满意度等级，5 = 非常满意 … 1 = 非常不满意"},
    {"name": "sentiment", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"enum": list(SENTIMENTS)}}},
    {"name": "kind", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"enum": list(KINDS)}}},
]
_PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
]


def _errors(*codes: int) -> dict[str, Any]:
    names = {400: "筛选条件或参数无效", 401: "未登录且没有有效的 Bearer 令牌", 403: "角色或部门绑定不允许",
             404: "不存在", 409: "同一 batch_id 正在导入（稍后重发取得结果），或已用于内容不同的另一批记录",
             413: "请求体超过上限（[dashboard] push_max_kb）"}
    return {str(c): {"description": names[c], "content": {"application/json": {"schema": _ERROR}}} for c in codes}


_TASK_PARAMS = [
    {"name": "type", "in": "query", "schema": {"enum": ["gov", "topic", "all"], "default": "gov"},
     "description": "任务类型：gov = 政务服务（事项、窗口），topic = 12345 话题，all = 全部；其他值返回 400"},
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100},
     "description": "在标题、事项、地点、部门和关键词中查找"},
    {"name": "status", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"enum": list(TASK_STATUSES)}}},
    {"name": "category", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"type": "string"}}, "description": "问题类别；none = 未分类（话题）"},
    {"name": "dept", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"type": "string"}},
     "description": "任务所属部门编码；绑定部门的账号总是只看本部门"},
    {"name": "inactive", "in": "query", "schema": {"enum": ["0", "1"]},
     "description": "1 = 含最近一次重建未再出现的任务"},
    {"name": "overdue", "in": "query", "schema": {"enum": ["1", "true", "on"]},
     "description": "只看逾期任务：已过截止日期、仍为新建、已受理、整改中或已重开"},
]
_ALERT_PARAMS = [
    {"name": "status", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"enum": ["open", "closed"]}}},
    {"name": "rule", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"enum": ["dept_bad_rate", "category_burst", "hidden_doubling"]}}},
]
_OVERVIEW_PARAMS = [
    *_FILTER_PARAMS,
    {"name": "grain", "in": "query", "schema": {"enum": ["day", "week", "month"], "default": "week"},
     "description": "趋势粒度"},
]
_LEDGER_PARAMS = [
    {"name": "status", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"type": "string"}},
     "description": "工单状态（编码或中文名，可重复）：" + "、".join(LEDGER_STATUSES)},
    {"name": "overdue", "in": "query", "schema": {"enum": ["1", "true", "on"]}, "description": "只看超期工单"},
    {"name": "dept", "in": "query", "style": "form", "explode": True,
     "schema": {"type": "array", "items": {"type": "string"}}, "description": "部门编码；绑定部门的账号总是只看本部门"},
    {"name": "start", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "评价日期起（含）"},
    {"name": "end", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "评价日期止（含）"},
]


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Haocha 好差评数据分析 API", "version": "1",
                 "description": "Every route needs a dashboard session or `Authorization: Bearer <token>` "
                                "(`haocha users token NAME`). Department-bound users only ever see their department."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/me": {"get": {"summary": "当前账号", "responses": {"200": _json("Me", "当前账号"), **_errors(401)}}},
            "/records": {"get": {
                "summary": "检索评价与留言（最新在前，文本已脱敏）",
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100},
                                "description": "文本或标题中包含的词（空格分隔，全部匹配）"}, *_FILTER_PARAMS, *_PAGING],
                "responses": {"200": _json("RecordPage", "一页记录"), **_errors(400, 401)},
            }},
            "/batches": {"get": {
                "summary": "导入批次历史（运营与管理员；未绑定部门的账号）", "parameters": _PAGING,
                "responses": {"200": _json("BatchPage", "一页批次"), **_errors(400, 401, 403)},
            }},
            "/batches/{batch_id}/rejects.csv": {"get": {
                "summary": "批次的拒收行（CSV，公式字符已中和）",
                "parameters": [{"name": "batch_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "UTF-8 CSV with BOM",
                                      "content": {"text/csv": {"schema": {"type": "string"}}}},
                              **_errors(401, 403, 404)},
            }},
            "/tasks": {"get": {
                "summary": "优化任务（按优先级，页面同一查询；绑定部门的账号只看本部门的任务）",
                "parameters": [*_TASK_PARAMS, *_PAGING],
                "responses": {"200": _json("TaskPage", "一页任务"), **_errors(400, 401)},
            }},
            "/tasks/{task_id}": {"get": {
                "summary": "任务详情：得分构成与公式、证据（已脱敏）、趋势、效果检查、处理历史",
                "parameters": [{"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _json("TaskDetail", "任务"), **_errors(401, 404)},
            }},
            "/alerts": {"get": {
                "summary": "预警（最近的周次在前；绑定部门的账号只看本部门的预警）",
                "parameters": [*_ALERT_PARAMS, *_PAGING],
                "responses": {"200": _json("AlertPage", "一页预警"), **_errors(400, 401)},
            }},
            "/push": {"post": {
                "summary": "平台批量推送评价（运营与管理员；绑定部门的账号只能推送本部门的记录）",
                "description": "Records go through the same validation, reject rules and de-duplication as a file "
                               "import. Resending a batch_id answers the first result with 200 and "
                               "`replayed: true`; records already stored count as duplicates. When records were "
                               "added the later stages (scoring, rollups, tasks, ledger, alerts) run in the "
                               "background. Bearer tokens need no CSRF token; a session needs X-CSRFToken.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/PushRequest"}}}},
                "responses": {"201": _json("PushResult", "新批次已导入（含拒收明细）"),
                              "200": _json("PushResult", "重复的 batch_id：返回首次导入的结果"),
                              **_errors(400, 401, 403, 409, 413)},
            }},
            "/records/{record_id}/label": {"post": {
                "summary": "校正记录的问题分类（人工校正，作为金标准；产品经理、运营与管理员）",
                "parameters": [{"name": "record_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/LabelRequest"}}}},
                "responses": {"201": _json("Label", "已保存"), **_errors(400, 401, 403, 404)},
            }},
            "/overview": {"get": {
                "summary": "总览：月度指标（同 haocha kpi）、趋势与异常点、渠道、五级分布、排名与红黑榜、问题分类、差评事项",
                "parameters": _OVERVIEW_PARAMS,
                "responses": {"200": _json("Overview", "总览数据（与页面同一查询）"), **_errors(400, 401)},
            }},
            "/ledger": {"get": {
                "summary": "整改台账（超期在前，再按整改期限；绑定部门的账号只看本部门的工单）",
                "parameters": [*_LEDGER_PARAMS, *_PAGING],
                "responses": {"200": _json("LedgerPage", "一页工单与统计"), **_errors(400, 401)},
            }},
            "/ledger/{case_id}": {"get": {
                "summary": "工单详情：差评原文（已脱敏）、期限、申请与审批、处理记录、可办理的下一步",
                "parameters": [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _json("LedgerCaseDetail", "工单"), **_errors(401, 404)},
            }},
            "/openapi.json": {"get": {"summary": "本文档",
                                      "responses": {"200": {"description": "OpenAPI 3.1",
                                                            "content": {"application/json": {"schema": {
                                                                "type": "object"}}}},
                                                    **_errors(401)}}},
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "haocha_session"}},
        },
    }
