"""优化任务, 预警 and 模型: screens whose modules are still being built say so, in Chinese."""

from __future__ import annotations

from flask import Blueprint, render_template

from dashboards import auth

bp = Blueprint("soon", __name__)

SCREENS = {
    "tasks": ("优化任务", "按优先级排序的优化任务：得分构成与公式、证据、趋势、状态变更（负责人、期限、备注）与导出。"),
    "alerts": ("预警", "按 config.toml 中的规则（部门差评率超阈值、某类问题激增、隐性投诉翻倍等）在每次导入后生成的预警。"),
    "models": ("模型", "情感与分类模型的版本、留出集指标、按人工标注计算的各类精确率与召回率、“其他”类占比与类别分布漂移。"),
}


def _page(key: str):
    title, text = SCREENS[key]
    return render_template("pages/placeholder.html", title=title, text=text, active=key)


@bp.get("/tasks")
@auth.require("read")
def tasks():
    return _page("tasks")


@bp.get("/alerts")
@auth.require("read")
def alerts():
    return _page("alerts")


@bp.get("/models")
@auth.require("read")
def models():
    return _page("models")
