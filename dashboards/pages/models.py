"""模型 Model quality: versions in use, held-out figures, agreement with gold labels, "other" share and drift."""

from __future__ import annotations

from flask import Blueprint, render_template

from dashboards import auth, context
from dashboards.figures import models as figures_models
from dashboards.figures import style as figures
from dashboards.pages.common import request_filters
from dashboards.queries.models import category_shares, drift, models_data, month_totals, version_numbers

bp = Blueprint("models", __name__)


@bp.get("/models")
@auth.require("read")
def index():
    from feedback.scoring import trust
    from feedback.scoring.score import ScoringError, gold_agreement, load_scorer, models_dir
    from feedback.scoring.taxonomy import taxonomy_of

    filters, error = request_filters()
    user = auth.current_user()
    settings = context.settings()
    with context.engine().connect() as conn:
        data = models_data(conn, filters)
    try:
        labels, agreement = gold_agreement(context.engine(), settings, [user.dept_code] if user.dept_code else None)
    except ScoringError as exc:
        labels, agreement, error = [], None, str(exc)
    taxonomy = taxonomy_of(settings)
    names = taxonomy.names()
    held_out, measuring = None, False
    if data.active is not None:  # the frozen test part of the shipped corpus, measured once per version
        active = data.active
        held_out, measuring = trust.held_out_or_start(
            models_dir(settings), active["version"], lambda: trust.held_out_report(load_scorer(settings, active)))
    panel = trust.trust_panel(held_out, agreement, len(labels), taxonomy.other_name, settings.scoring.other_below)
    shares = category_shares(data.categories)
    drifts = (drift(shares, totals=month_totals(data.categories), min_volume=settings.kpi.chart_min_volume)
              if not shares.empty else None)
    charts = {}
    if drifts is not None:
        charts = {"mix": figures.to_json(figures_models.category_mix(shares, names, drifts)),
                  "drift": figures.to_json(figures_models.drift_lines(drifts))}
    latest = drifts.iloc[-1].to_dict() if drifts is not None and len(drifts) else None
    return render_template("pages/models.html", data=data, agreement=agreement, n_labels=len(labels), names=names,
                           min_volume=settings.kpi.chart_min_volume,
                           trust=panel, measuring=measuring, min_gold=trust.MIN_GOLD, taxonomy_size=len(taxonomy.slugs), numbers=version_numbers(data.versions),
                           charts=charts, latest=latest, error=error, filters=filters,
                           active="models"), (400 if error else 200)
