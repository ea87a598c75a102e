"""Run the later stages (scoring, rollups, tasks, ledger, alerts …) outside the command line, e.g. after a push.

The stages are the ``haocha.stages`` entry points that ``haocha ingest`` and ``haocha demo`` run; each is called
with an AppContext holding the given settings and engine. A stage that fails (also by ``sys.exit`` through the
command-line ``fail``) is recorded and the next one still runs, as on the command line.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from sqlalchemy import Engine

from feedback.settings import Settings

Stage = Callable[..., None]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageOutcome:
    name: str
    ok: bool
    seconds: float
    error: str | None = None


def later_stages() -> list[tuple[str, Stage | None, str | None]]:
    """(name, stage function or None, why it is unavailable) in name order."""
    out = []
    for ep in sorted(entry_points(group="haocha.stages"), key=lambda e: e.name):
        try:
            out.append((ep.name, ep.load(), None))
        except (ImportError, AttributeError) as exc:  # a stage not installed in this build
            out.append((ep.name, None, f"unavailable: {exc}"))
    return out


def run_later_stages(engine: Engine, settings: Settings,
                     stages: list[tuple[str, Stage | None, str | None]] | None = None) -> list[StageOutcome]:
    """Run every stage once and never raise. What the stages print (their command-line summaries) goes to this
    module's logger at DEBUG level, not to the server's stdout."""
    from feedback.cli.context import AppContext

    app = AppContext(_settings=settings, _engine=engine)
    outcomes = []
    for name, stage, unavailable in stages if stages is not None else later_stages():
        t0 = time.perf_counter()
        if stage is None:
            outcomes.append(StageOutcome(name, False, 0.0, unavailable))
            continue
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                stage(app, True)
        except SystemExit as exc:  # the command-line `fail` of a stage: its message is on stderr
            why = err.getvalue().strip()[-500:] or f"exited with code {exc.code}"
            outcomes.append(StageOutcome(name, False, time.perf_counter() - t0, why))
        except Exception as exc:  # noqa: BLE001 - one stage must not stop the others
            outcomes.append(StageOutcome(name, False, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"))
        else:
            outcomes.append(StageOutcome(name, True, time.perf_counter() - t0))
        finally:
            log.debug("stage %s: %s %s", name, out.getvalue()[:2000], err.getvalue()[:2000])
    return outcomes
