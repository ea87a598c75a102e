"""``haocha train`` and ``haocha eval``: sentiment and complaint classifiers on any labelled corpus."""

from __future__ import annotations

import json
from pathlib import Path

import click

from feedback.cli.context import AppContext, fail, pass_app

_data = click.option("--data", "data", type=click.Path(dir_okay=False), help="Labelled CSV / XLSX / JSONL file.")
_text = click.option("--text-col", default="text", show_default=True, help="Column with the text.")
_label = click.option("--label-col", default="label", show_default=True, help="Column with the label.")
_title = click.option("--title-col", help="Column with a 12345 message's subject (留言主题), read before the text as "
                                          "`haocha score` reads a message.")
_json = click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")


def _read(data: str | None, text_col: str, label_col: str, title_col: str | None = None
          ) -> tuple[list[str], list[str]]:
    from feedback.scoring.corpus import LabelledDataError, read_labelled

    if not data:
        fail("--data FILE is required")
    try:
        return read_labelled(data, text_col, label_col, title_col=title_col)
    except LabelledDataError as exc:
        fail(str(exc))


def _emit(report: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, default=str))
    else:
        for line in lines:
            click.echo(line)


def _fig(d: dict) -> str:
    speed = f", {d['docs_per_s']:,.0f} docs/s" if "docs_per_s" in d else ""
    return f"accuracy {d['accuracy']:.4f}, macro-F1 {d['macro_f1']:.4f} (n={d['n']:,}{speed})"


@click.group("train")
def train_group() -> None:
    """Train a sentiment model or a complaint classifier."""


@train_group.command("sentiment")
@_data
@_text
@_label
@click.option("--from-ratings", is_flag=True, help="Learn from the store's rated comments (rating = weak label); "
              "adopted only when it beats the model in use on a held-out slice.")
@click.option("--out", type=click.Path(dir_okay=False), help="Where to save the model (with --data).")
@click.option("--holdout", default=0.2, show_default=True, help="Share held out for the figures (0 = train on all).")
@click.option("--seed", default=0, show_default=True)
@_json
@pass_app
def train_sentiment_cmd(app: AppContext, data, text_col, label_col, from_ratings, out, holdout, seed, as_json):
    """Train sentiment on a labelled corpus (labels 1/0 or pos/neg), or on the organisation's own ratings."""
    from feedback.scoring.sentiment import save_model
    from feedback.scoring.training import ModelingError, train_from_ratings, train_sentiment_file

    try:
        if from_ratings:
            if data:
                fail("use either --data or --from-ratings")
            res = train_from_ratings(app.engine(), app.settings(), holdout=holdout, seed=seed)
            f = res.figures
            verdict = (f"adopted as {res.model.version}; run `haocha score --all` to rescore with it" if res.adopted
                       else "not adopted: it does not beat the model in use by the margin")
            _emit({**f, "version": res.model.version, "path": str(res.path) if res.path else None}, as_json, [
                f"learned from {f['rated_comments']:,} rated comments ({f['positive']:,} positive, "
                f"{f['negative']:,} negative) in {f['train_seconds']} s",
                f"held out: new {_fig(f['held_out'])}",
                f"          in use {f['in_use']['version']}: {_fig(f['in_use'])}", verdict])
            return
        texts, labels = _read(data, text_col, label_col)
        model, report = train_sentiment_file(texts, labels, holdout=holdout, seed=seed)
    except ModelingError as exc:
        fail(str(exc))
    path = Path(out) if out else app.settings().instance_path / "models" / f"sentiment-{model.version}.joblib"
    save_model(model, path)
    report.update(version=model.version, out=str(path))
    lines = [f"trained {model.version} on {report['train_n']:,} texts in {report['train_seconds']} s → {path}"]
    if "held_out" in report:
        lines.append(f"held out {holdout:.0%}: {_fig(report['held_out'])}")
    lines.append(f"evaluate it with: haocha eval sentiment --model {path} --data FILE")
    _emit(report, as_json, lines)


@train_group.command("classifier")
@_data
@_text
@_label
@_title
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Where to save the model.")
@click.option("--cv", default=0, show_default=True, help="Also report k-fold cross-validation (e.g. 5).")
@click.option("--seed", default=0, show_default=True)
@_json
@pass_app
def train_classifier_cmd(app: AppContext, data, text_col, label_col, title_col, out, cv, seed, as_json):
    """Train the linear text classifier on a labelled corpus (one label per row). An office's 12345 history (工单
    with 一级分类) trained this way classifies its messages once `[scoring] message_classifier` names the file."""
    from feedback.scoring.training import ModelingError, train_classifier_file

    texts, labels = _read(data, text_col, label_col, title_col)
    try:
        _model, report = train_classifier_file(texts, labels, Path(out), cv=cv, seed=seed)
    except ModelingError as exc:
        fail(str(exc))
    lines = [f"trained {report['version']} on {report['n']:,} texts, {len(report['classes'])} classes, in "
             f"{report['train_seconds']} s → {report['out']}"]
    if "cv" in report:
        c = report["cv"]
        lines += [f"{c['k']}-fold cross-validation: {_fig(c)}", f"baseline ({c['baseline']['method']}): "
                  f"{_fig(c['baseline'])}"]
    lines.append(f"to classify 12345 messages with it: [scoring] message_classifier = \"{report['out']}\" in "
                 "config.toml, then `haocha score --all`")
    _emit(report, as_json, lines)


@click.group("eval")
def eval_group() -> None:
    """Evaluate a sentiment engine or a classifier on a labelled file, with a baseline beside the result."""


@eval_group.command("sentiment")
@_data
@_text
@_label
@click.option("--engine", type=click.Choice(["linear", "snownlp"]), help="Engine (default [scoring].engine).")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
              help="A model saved by `haocha train sentiment` instead of an engine.")
@click.option("--baseline-sample", default=2000, show_default=True,
              help="Rows scored by the snownlp baseline (slow); 0 = no baseline.")
@click.option("--seed", default=0, show_default=True)
@_json
@pass_app
def eval_sentiment_cmd(app: AppContext, data, text_col, label_col, engine, model_path, baseline_sample, seed,
                       as_json):
    """Accuracy, macro-F1, n and docs/s of a sentiment engine on a labelled file."""
    from feedback.scoring.training import ModelingError, eval_sentiment, sentiment_engine

    texts, labels = _read(data, text_col, label_col)
    try:
        report = eval_sentiment(texts, labels, sentiment_engine(app.settings(), engine, model_path),
                                baseline_sample=baseline_sample, seed=seed)
    except ModelingError as exc:
        fail(str(exc))
    lines = [f"{report['engine']} {report['version']}: {_fig(report)}"]
    if "baseline" in report:
        b = report["baseline"]
        lines.append(f"baseline snownlp on {b['n']:,} sampled rows: {_fig(b)}; this engine on the same rows: "
                     f"{_fig(b['this_engine_on_same_rows'])}")
    _emit(report, as_json, lines)


@eval_group.command("classifier")
@_data
@_text
@_label
@_title
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False),
              help="A model saved by `haocha train classifier`; without it: k-fold cross-validation of the method.")
@click.option("--cv", default=5, show_default=True, help="Folds when no --model is given.")
@click.option("--seed", default=0, show_default=True)
@_json
@pass_app
def eval_classifier_cmd(app: AppContext, data, text_col, label_col, title_col, model_path, cv, seed, as_json):
    """Accuracy, macro-F1, per-class P/R/F1, confusion matrix, n, docs/s; a baseline beside them."""
    from feedback.scoring.textclf import TextClassifier, load_classifier
    from feedback.scoring.training import ModelingError, cross_validation, eval_classifier

    texts, labels = _read(data, text_col, label_col, title_col)
    try:
        if model_path:
            model = load_classifier(model_path)
            if not isinstance(model, TextClassifier):
                fail(f"{model_path} is not a classifier saved by `haocha train classifier`")
            report = eval_classifier(model, texts, labels)
        else:
            report = cross_validation(texts, labels, cv, seed)
    except ModelingError as exc:
        fail(str(exc))
    lines = [("model " + report["version"] if model_path else f"{cv}-fold cross-validation") + ": " + _fig(report)]
    lines += [f"  {k:<16} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  n {v['support']}"
              for k, v in report["per_class"].items()]
    lines.append(f"baseline ({report['baseline']['method']}): {_fig(report['baseline'])}")
    _emit(report, as_json, lines)


@eval_group.command("complaints")
@_data
@_text
@_label
@click.option("--rating-col", help="Column with the rating (1-5); gives hidden-complaint precision/recall.")
@click.option("--split", help="Only rows whose `split` column has this value (e.g. test).")
@click.option("--fresh", is_flag=True, help="Train a new version as `score --all` would, instead of the active one.")
@_json
@pass_app
def eval_complaints_cmd(app: AppContext, data, text_col, label_col, rating_col, split, fresh, as_json):
    """The default pipeline exactly as `haocha score` applies it: category top-1, macro-F1, per class, confusion,
    share of other, hidden-complaint P/R, complaint vs praise, docs/s. Labels: a category slug, other, or
    anything else for a non-complaint (praise, neutral)."""
    from feedback.scoring.complaint_eval import evaluate_complaints, read_eval_table, report_lines
    from feedback.scoring.corpus import LabelledDataError
    from feedback.scoring.score import ScoringError, pipeline_scorer

    if not data:
        fail("--data FILE is required")
    try:
        texts, labels, ratings = read_eval_table(data, text_col, label_col, rating_col, split)
    except LabelledDataError as exc:
        fail(str(exc))
    try:
        scorer = pipeline_scorer(app.engine(), app.settings(), fresh)
    except ScoringError as exc:
        fail(str(exc))
    except Exception as exc:  # an uninitialised store: say what to run
        if "no such table" in str(exc) or "does not exist" in str(exc):
            fail("the database has no tables; run `haocha init` first")
        raise
    report = evaluate_complaints(scorer, texts, labels, ratings)
    _emit(report, as_json, report_lines(report))
