"""The Flask application factory: settings and engine in, blueprints, security and templates wired."""

from __future__ import annotations

from functools import partial

from flask import Flask
from sqlalchemy import Engine

from dashboards import assets, auth, context, display, errors, security
from dashboards.actions import jobs
from dashboards.api import routes as api
from dashboards.cache import ResultCache
from dashboards.context import EXTENSION, AppState
from dashboards.pages import alerts, explorer, ingest, ledger, models, overview, reports, tasks
from dashboards.queries.ledger import overdue_count
from dashboards.queries.tasks import TaskFilters
from feedback.clock import display_time
from feedback.regions import region_name, region_names
from feedback.scoring.repository import STAMP_TZ as SCORING_STAMP_TZ
from feedback.settings import DashboardSettings, Settings
from feedback.tasks.queries import count_tasks

NAV = (  # (endpoint, label, capability)
    ("overview.index", "总览", "read"),
    ("explorer.index", "评价明细", "read"),
    ("tasks.index", "优化任务", "read"),
    ("reports.index", "月度通报", "read"),
    ("ingest.index", "数据导入", "import"),
    ("alerts.index", "预警", "read"),
    ("models.index", "模型", "read"),
    ("ledger.index", "整改台账", "read"),
)


def create_app(settings: Settings | None = None, engine: Engine | None = None, *,
               options: DashboardSettings | None = None, read_engine: Engine | None = None) -> Flask:
    """Build the app; settings come from config.toml and the engine from them when not given; ``options``
    replace the settings' [dashboard] section. Reads go to ``read_engine``, by default the replica of
    ``[database] read_url`` when one is configured, else to the primary."""
    if settings is None:
        from feedback.settings import load_settings

        settings = load_settings()
    if engine is None:
        from feedback.db import make_engine

        engine = make_engine(settings.database_url, echo=settings.database.echo)
    if read_engine is None and settings.database_read_url:
        from feedback.db import make_engine

        read_engine = make_engine(settings.database_read_url, echo=settings.database.echo)
    options = options or settings.dashboard

    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    cache = ResultCache(options.cache_seconds, stale_seconds=options.stale_seconds,
                        refresh_seconds=options.refresh_seconds)
    app.extensions[EXTENSION] = AppState(settings=settings, engine=engine, options=options, cache=cache,
                                         read_engine=read_engine)
    app.config.update(SEND_FILE_MAX_AGE_DEFAULT=3600, JSON_AS_ASCII=False)
    # /tasks/ as well as /tasks: a typed or pasted address with or without its last slash finds the page (rules
    # added below; Werkzeug matches either form instead of answering 404 or redirecting)
    app.url_map.strict_slashes = False
    app.json.ensure_ascii = False
    app.jinja_env.autoescape = True  # every template, whatever its file name
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["region_name"] = lambda code: region_name(code, region_names(settings))  # macros too
    # every time a template shows goes through this one filter: stored wall-clock time → [display] timezone
    app.jinja_env.filters["localtime"] = partial(display_time, storage_tz=settings.ingest.timezone,
                                                 display_tz=settings.display.timezone)
    # the scoring tables' stamps (model versions, gold labels) are UTC, not the storage time zone
    app.jinja_env.filters["scoring_time"] = partial(display_time, storage_tz=SCORING_STAMP_TZ,
                                                    display_tz=settings.display.timezone)
    security.install(app, settings, options)
    assets.install(app, compress=options.compress_static)
    for blueprint in (auth.bp, assets.bp, overview.bp, explorer.bp, ingest.bp, tasks.bp,
                      alerts.bp, models.bp, api.bp, reports.bp, ledger.bp):
        app.register_blueprint(blueprint)
    errors.install(app)
    jobs.install(app, engine, settings, on_done=cache.clear)

    @app.context_processor
    def _globals():
        user = auth.current_user()
        nav = [(ep, label) for ep, label, cap in NAV if auth.can(user, cap) and not (
            ep == "ingest.index" and user is not None and user.dept_code)]
        return {"current_user": user, "can": auth.can, "nav": nav, "role_names": auth.ROLE_NAMES,
                "display": display, "plotly_url": assets.plotly_url, "static_url": assets.static_url,
                "plotly_locale_url": assets.plotly_locale_url, "nav_badges": _nav_badges(user)}

    if settings.security.proxies > 0:  # the client address behind trusted proxies only
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = settings.security.proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app


def _nav_badges(user) -> dict[str, tuple[int, str]]:
    """Counts shown beside nav entries, with their tooltip: the user's department's overdue ledger cases and
    overdue optimisation tasks (past their due date with the work pending)."""
    if user is None:
        return {}
    today = context.today()
    with context.engine().connect() as conn:
        late = overdue_count(conn, user.dept_code, today)
        tasks = count_tasks(conn, TaskFilters(task_type="all", overdue=True, as_of=today).scoped(user.dept_code))
    badges = {"ledger.index": (late, f"超期工单 {late} 件"), "tasks.index": (tasks, f"逾期任务 {tasks} 项")}
    return {ep: b for ep, b in badges.items() if b[0]}
