"""Optimisation tasks: complaints grouped, ranked with visible components, evidenced, tracked and checked.

Public API (import from the submodules; nothing heavy loads on import):
``rebuild.rebuild_tasks(engine, settings)``, ``queries.list_tasks / get_task / task_history``,
``repository.change_task``, ``priority.priority_formula``, ``export.export_tasks``, ``config.TaskSettings``.
"""
