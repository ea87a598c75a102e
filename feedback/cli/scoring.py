"""``haocha score`` and ``haocha label``: score the store, and store people's category corrections (gold labels)."""

from __future__ import annotations

import json

import click

from feedback.cli.context import AppContext, fail, pass_app


def progress_bar(enabled: bool):
    """A tqdm progress callback (on stderr, only on a terminal) and the bar to close."""
    if not enabled:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="rec", desc="scoring", disable=None, leave=False)

    def advance(n: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(n)

    return advance, bar


def run_scoring(app: AppContext, *, rescore_all: bool = False, engine_name: str | None = None,
                show_progress: bool = True, scheduler: str | None = None):
    """Score, then refresh the rollups when anything changed (hidden complaints live in them)."""
    from feedback.scoring.score import ScoringError, score_store
    from feedback.stats.rollups import refresh_rollups

    advance, bar = progress_bar(show_progress)
    try:
        run = score_store(app.engine(), app.settings(), rescore_all=rescore_all, engine_name=engine_name,
                          progress=advance, scheduler=scheduler)
    except ScoringError as exc:
        fail(str(exc))
    finally:
        if bar is not None:
            bar.close()
    if run.scored or run.replaced:
        refresh_rollups(app.engine())
    return run


def _summary(run) -> dict:
    return {"version": run.version, "scored": run.scored, "new_version": run.new_version,
            "replaced": run.replaced, "deleted_old_scores": run.deleted_old, "seconds": round(run.seconds, 2),
            "docs_per_s": round(run.docs_per_s), "classifier_trained_on": run.classifier_trained_on or None,
            "gold_gain": run.gold_gain}


@click.command("score")
@click.option("--all", "rescore_all", is_flag=True,
              help="Build a new version from the current data and gold labels and rescore every record with it.")
@click.option("--engine", "engine_name", type=click.Choice(["linear", "snownlp", "adopted"]),
              help="Sentiment engine of a new version (implies --all). Default: an adopted model, else [scoring].engine.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Score on this Dask scheduler (tcp://HOST:PORT, or local:N for N local worker processes); "
                   "default [scoring].scheduler, else in this process.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@pass_app
def score_cmd(app: AppContext, rescore_all: bool, engine_name: str | None, scheduler: str | None,
              as_json: bool) -> None:
    """Score records: sentiment, complaint categories, hidden complaints (only new records unless --all)."""
    run = run_scoring(app, rescore_all=rescore_all, engine_name=engine_name, show_progress=not as_json,
                      scheduler=scheduler)
    if as_json:
        click.echo(json.dumps(_summary(run), ensure_ascii=False))
        return
    line = f"scored {run.scored:,} records under {run.version} in {run.seconds:.1f} s ({run.docs_per_s:,.0f}/s)"
    if run.replaced:
        line += f"; replaced {run.replaced} ({run.deleted_old:,} old scores removed)"
    click.echo(line)
    if run.gold_gain:
        click.echo(gain_line(run.gold_gain))


def gain_line(g: dict) -> str:
    """The corrections' gain on held-out gold, one line."""
    return (f"corrections: on {g['held_out']} held-out gold labels the classifier trained with "
            f"{g['trained_with']} corrections is right {g['with']['accuracy']:.1%} of the time, without them "
            f"{g['without']['accuracy']:.1%} ({g['gain_accuracy']:+.1%}; macro-F1 {g['gain_macro_f1']:+.3f})")


def print_score_stage(run, as_json: bool) -> None:
    """What the score stage of `haocha ingest` / `haocha demo` prints (nothing with --json)."""
    if not as_json:
        click.echo(f"scored {run.scored:,} records under {run.version} ({run.docs_per_s:,.0f}/s)")


@click.group("label")
def label_group() -> None:
    """Gold labels: a person's complaint category for a record. They win over the model and join training."""


@label_group.command("add")
@click.argument("record_id", type=int)
@click.argument("category")
@click.option("--by", "by", default="cli", show_default=True, help="Who labelled it.")
@click.option("--note", default=None, help="Why (kept with the label).")
@click.option("--sub", "subcategory", default=None, help="Second-level slug of CATEGORY (optional).")
@pass_app
def label_add_cmd(app: AppContext, record_id: int, category: str, by: str, note: str | None,
                  subcategory: str | None) -> None:
    """Set RECORD_ID's complaint category (a first-level slug of the taxonomy, or "other"), optionally with its
    second level (--sub); or "not_complaint" (不是投诉: a rating above 差评 whose text is no complaint). Counted
    at once (the record moves between its rollup rows)."""
    from feedback.pipeline import record_correction
    from feedback.scoring import repository as store
    from feedback.scoring.taxonomy import NOT_COMPLAINT, taxonomy_of

    taxonomy = taxonomy_of(app.settings())
    allowed = [*taxonomy.slugs, taxonomy.other_slug, NOT_COMPLAINT]
    if category not in allowed:
        fail(f"unknown category {category!r}; choose one of: " +
             ", ".join(f"{s} ({taxonomy.name(s)})" for s in allowed))
    if subcategory is not None:
        own = [] if category in (taxonomy.other_slug, NOT_COMPLAINT) else \
            [s.slug for s in taxonomy.category(category).subcategories]
        if subcategory not in own:
            fail(f"{subcategory!r} is not a second level of {category!r}; choose one of: " +
                 (", ".join(f"{s} ({taxonomy.name(s)})" for s in own) or "none"))
    with app.engine().begin() as conn:
        try:
            record_correction(conn, record_id, category, by=by, note=note, subcategory=subcategory)
        except KeyError:
            fail(f"no record with id {record_id}")
        except store.NoComplaintRefused:
            fail(f"record {record_id} cannot be {NOT_COMPLAINT}: only a rating above 差评 can (a 差评 is a complaint "
                 "by its rating, a mistaken one is policy_or_invalid; a 12345 message is a request by its nature)")
    click.echo(f"record {record_id}: {category} ({taxonomy.name(category)}) — wins now; joins the next "
               "`haocha score --all`")


UNDO_REFUSED = {
    "not_latest": "a later label of the record exists",  # not reachable from the CLI: it undoes the latest
    "no_previous": "the label kept no score values to put back (stored before migration 0019, or it changed no "
                   "score); label the record again instead",
    "rescored": "the record was rescored since; label it again instead",
}


@label_group.command("undo")
@click.argument("record_id", type=int)
@pass_app
def label_undo_cmd(app: AppContext, record_id: int) -> None:
    """Take back RECORD_ID's latest gold label (as 撤销 on the 待确认 page): the score gets back what the label
    replaced, the label is deleted, and the record moves back between its rollup rows."""
    from feedback.pipeline import undo_correction
    from feedback.scoring import repository as store
    from feedback.scoring.taxonomy import taxonomy_of

    taxonomy = taxonomy_of(app.settings())
    with app.engine().begin() as conn:
        label_id = store.latest_label_id(conn, record_id)
        if label_id is None:
            fail(f"record {record_id} has no gold label")
        try:
            label = undo_correction(conn, label_id)
        except store.UndoRefused as exc:
            fail(f"record {record_id}: cannot undo gold label {label_id}: {UNDO_REFUSED[exc.reason]}")
    click.echo(f"record {record_id}: gold label {label_id} ({label['category']}, {taxonomy.name(label['category'])}, "
               f"by {label['labelled_by']}) undone")


@label_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print labels and agreement as JSON.")
@pass_app
def label_list_cmd(app: AppContext, as_json: bool) -> None:
    """Every gold label, and how often the active model agrees with them (before they override it)."""
    from feedback.scoring.score import ScoringError, gold_agreement

    try:
        labels, agreement = gold_agreement(app.engine(), app.settings())
    except ScoringError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps({"labels": labels, "agreement": agreement}, ensure_ascii=False, default=str))
        return
    for row in labels:
        click.echo(f"{row['record_id']:>10}  {row['gold']:<24} model: {row['model'] or '-':<24} by {row['labelled_by']}")
    if agreement:
        click.echo(f"agreement with {agreement['n']} gold labels: accuracy {agreement['accuracy']:.3f}, "
                   f"macro-F1 {agreement['macro_f1']:.3f} (model {agreement['version']})")
    else:
        click.echo("no gold labels yet")
