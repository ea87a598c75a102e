"""One alert run: read the frames, evaluate the [alerts] rules, store new alerts once, post them to the webhook."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine

from feedback.alerts import queries, repository
from feedback.alerts.rules import evaluate, webhook_text
from feedback.alerts.webhook import WebhookError, post_text
from feedback.scoring.taxonomy import taxonomy_of

log = logging.getLogger("haocha.alerts")


@dataclass(frozen=True)
class CheckResult:
    as_of: str | None  # day of the latest record: the end of the checked weeks
    fired: int  # alerts the rules raised over the checked weeks (stored before or now)
    new: list[dict[str, Any]]  # the alerts stored by this run
    refreshed: int  # open alerts whose figures changed (a running week)
    open: int  # open alerts in all
    posted: int = 0  # messages the webhook accepted
    errors: list[str] = field(default_factory=list)  # webhook failures (logged, never raised)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def records_link(base_url: str, link: list | tuple) -> str | None:
    """The 评价明细 URL of an alert's records, when the dashboard's address is configured."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/records?{urlencode([tuple(p) for p in link])}"


SECRET_ENV = "HAOCHA_ALERTS_WEBHOOK_SECRET"  # the bot's signing secret (加签 / 签名校验): never in config.toml


@dataclass
class Delivery:
    """What happened to the messages of one run: per alert, the attempts used and the error of a failed post."""

    posted: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    accepted: int = 0
    attempts: dict[int, int] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)


def deliver(cfg: Any, alerts: list[dict[str, Any]], secret: str = "") -> Delivery:
    """Post each alert (at most ``webhook_max_posts``, then one summary), each message retried up to
    ``webhook_attempts`` times with exponential back-off; nothing here raises."""
    out = Delivery()
    if not cfg.webhook_url or not alerts:
        return out
    shown = alerts[:max(cfg.webhook_max_posts, 0)]
    messages = [([a["id"]], webhook_text(a, records_link(cfg.link_base_url, a["link"]))) for a in shown]
    rest = alerts[len(shown):]
    if rest:
        messages.append(([a["id"] for a in rest],
                         f"好差评预警：另有 {len(rest)} 条新预警未逐条推送，请在“预警”页面查看。"))
    for ids, text in messages:
        try:
            used = post_text(cfg.webhook_url, text, timeout=cfg.webhook_timeout_seconds, kind=cfg.webhook_kind,
                             secret=secret, attempts=cfg.webhook_attempts, backoff=cfg.webhook_backoff_seconds)
        except WebhookError as exc:
            log.warning("alert webhook failed: %s", exc)
            error, used = str(exc), cfg.webhook_attempts
        except Exception as exc:  # noqa: BLE001 - a notice must never break an ingest
            log.exception("alert webhook crashed")
            error, used = f"{type(exc).__name__}: {exc}", 1
        else:
            out.posted.extend(ids)
            out.accepted += 1
            out.attempts.update(dict.fromkeys(ids, used))
            continue
        out.errors.append(error)
        out.attempts.update(dict.fromkeys(ids, used))
        out.failed.update(dict.fromkeys(ids, error))
    return out


def notify(cfg: Any, alerts: list[dict[str, Any]], secret: str = "") -> tuple[list[int], list[str], int]:
    """Post the alerts; returns the ids posted, the errors and the number of messages the bot accepted."""
    d = deliver(cfg, alerts, secret)
    return d.posted, d.errors, d.accepted


def fire(engine: Engine, settings: Any, cfg: Any, as_of: date | None = None) -> tuple[Any, list]:
    """The rules' inputs and the alerts they raise over the weeks of ``cfg`` (nothing stored)."""
    with engine.connect() as conn:
        inputs = queries.load_inputs(conn, cfg, as_of)
    taxonomy = taxonomy_of(settings)
    names = {slug: taxonomy.name(slug) for slug in
             (inputs.complaints["category"].unique() if not inputs.complaints.empty else [])}
    return inputs, evaluate(inputs, cfg, names=names, good_includes_basic=settings.kpi.good_includes_basic)


def check_alerts(engine: Engine, settings: Any, *, lookback_weeks: int | None = None,
                 post: bool = True, as_of: date | None = None) -> CheckResult:
    """Evaluate every rule over the checked weeks (ending with the latest record, or ``as_of`` when earlier);
    new alerts are stored and (``post``) sent to the webhook."""
    cfg = settings.alerts
    if lookback_weeks is not None:
        cfg = dataclasses.replace(cfg, lookback_weeks=max(1, lookback_weeks))
    inputs, fired = fire(engine, settings, cfg, as_of)
    with engine.begin() as conn:
        new_ids, refreshed = repository.store(conn, fired)
        new = [queries.get_alert(conn, i) for i in new_ids]
    d = deliver(cfg, new, settings.env.get(SECRET_ENV, "")) if post else Delivery()
    with engine.begin() as conn:
        repository.record_delivery(conn, d.attempts, d.failed)
        open_ = queries.count_alerts(conn, statuses=("open",))
    return CheckResult(inputs.as_of.isoformat() if inputs.as_of else None, len(fired), new, refreshed, open_,
                       d.accepted, d.errors)
