"""Score the store: build or load the active scoring version, score what is new (or everything), switch versions.

A scoring version bundles one sentiment engine, one complaint classifier and the fusion parameters; its models
are saved under ``instance/models`` and described in ``model_versions``. Charts read only the active version, so
a new version is scored completely before it replaces the old one (``--all``), never mixed with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine

from feedback.scoring import repository as store
from feedback.scoring.classify import ComplaintParams, train_complaint_classifier
from feedback.scoring.labelled_corpus import read_corpus
from feedback.scoring.messages import (
    MessageModelError,
    MessageRouter,
    load_office_classifier,
    packaged_fit_model,
)
from feedback.scoring.scorer import Scorer, scoring_text
from feedback.scoring.sentiment import FusionParams, make_sentiment_engine
from feedback.scoring.sentiment.engines import ModelEngine
from feedback.scoring.sentiment.model import load_model
from feedback.scoring.taxonomy import NOT_COMPLAINT, taxonomy_of
from feedback.scoring.textclf import load_classifier, save_classifier
from feedback.settings import Settings


class ScoringError(RuntimeError):
    """Scoring cannot go on; the message says why and what to run."""


@dataclass
class ScoreRun:
    version: str
    scored: int = 0
    new_version: bool = False
    replaced: str | None = None  # the previously active version, when this run replaced it
    deleted_old: int = 0
    seconds: float = 0.0
    classifier_trained_on: dict = field(default_factory=dict)
    gold_gain: dict | None = None  # what the corrections gained on held-out gold (see gold_gain)

    @property
    def docs_per_s(self) -> float:
        return self.scored / self.seconds if self.seconds else 0.0


def models_dir(settings: Settings) -> Path:
    return settings.instance_path / "models"


def fusion_of(settings: Settings) -> FusionParams:
    sc = settings.scoring
    return FusionParams(hidden_below=sc.hidden_below, complaint_above=sc.complaint_above,
                        hidden_text_below=sc.hidden_text_below, hidden_turns=sc.hidden_turns)


def complaint_params(settings: Settings) -> ComplaintParams:
    return ComplaintParams(threshold=settings.scoring.category_threshold, other_below=settings.scoring.other_below,
                           sub_mix=settings.scoring.sub_mix, lead_mix=settings.scoring.lead_mix,
                           lead_decay=settings.scoring.lead_decay, phrase_conf=settings.scoring.phrase_conf)


def _sentiment(settings: Settings, engine_name: str | None, conn) -> tuple[object, dict]:
    """The sentiment engine for a new version: --engine, else an adopted model, else the configured engine."""
    adopted = store.active_version(conn, store.SENTIMENT) if engine_name in (None, "adopted") else None
    if adopted is not None:
        path = Path(adopted["description"]["path"])
        if not path.is_absolute():
            path = settings.instance_path / path
        if not path.exists():
            raise ScoringError(f"adopted sentiment model {adopted['version']} is missing its file {path}")
        engine = ModelEngine(load_model(path))
        return engine, {"engine": "model", "version": engine.version, "path": str(path.relative_to(
            settings.instance_path)) if path.is_relative_to(settings.instance_path) else str(path)}
    name = engine_name if engine_name not in (None, "adopted") else settings.scoring.engine
    engine = make_sentiment_engine(name, settings.instance_path)
    return engine, {"engine": name, "version": engine.version}


def train_scorer(engine: Engine, settings: Settings, engine_name: str | None = None) -> tuple[Scorer, dict]:
    """A new scorer: sentiment engine, and a complaint classifier trained on the store's texts and gold labels."""
    taxonomy = taxonomy_of(settings)
    with engine.connect() as conn:
        sentiment, s_desc = _sentiment(settings, engine_name, conn)
        corpus = store.training_corpus(conn, settings.scoring.train_sample)
    texts = [scoring_text(k, ti, tx) for k, ti, tx in zip(corpus["kind"], corpus["title"], corpus["text"],
                                                         strict=True)]
    gold = [g if isinstance(g, str) else None for g in corpus["gold"]]
    gold_subs = [g if isinstance(g, str) else None for g in corpus["gold_sub"]]
    ids = [int(r) for r in corpus["record_id"]]
    labelled = read_corpus(split="train")  # the packaged corpus's train rows (none where it is absent)
    complaints = train_complaint_classifier(taxonomy, texts, corpus["tags"].tolist(), gold,
                                            complaint_params(settings), corpus=labelled, gold_subs=gold_subs)
    gain = gold_gain(taxonomy, complaint_params(settings), ids, texts, corpus["tags"].tolist(), gold, gold_subs,
                     corpus=labelled)
    router = message_router(settings, tuple((t, g != taxonomy.other_slug) for t, k, g in
                                            zip(texts, corpus["kind"], gold, strict=True)
                                            if k == "message" and g and g != NOT_COMPLAINT))
    scorer = Scorer(sentiment, complaints, fusion_of(settings), router)
    path = models_dir(settings) / f"complaints-{complaints.version}.joblib"
    if not path.exists():
        save_classifier(complaints, path)
    description = {
        "sentiment": s_desc,
        "classifier": {"version": complaints.version, "path": str(path.relative_to(settings.instance_path))},
        "taxonomy": {"version": taxonomy.version, "digest": taxonomy.digest},
        "fusion": {"hidden_below": scorer.fusion.hidden_below, "text_weight": scorer.fusion.text_weight,
                   "complaint_above": scorer.fusion.complaint_above,
                   "hidden_text_below": scorer.fusion.hidden_text_below, "hidden_turns": scorer.fusion.hidden_turns,
                   "detector": complaints.detector is not None},
        # the store's texts, the labelled corpus's comments and the office's gold labels (among the store's texts)
        "trained_on": {"texts": len(texts), "corpus": len(labelled), "gold": sum(g is not None for g in gold),
                       "not_complaint": sum(g == NOT_COMPLAINT for g in gold)},
        "gold_gain": gain,
    }
    if router is not None:
        rpath = models_dir(settings) / f"messages-{router.version}.joblib"
        if not rpath.exists():
            save_classifier(router, rpath)
        description["messages"] = {"version": router.version, "path": str(rpath.relative_to(settings.instance_path)),
                                   "fit_above": router.fit_above,
                                   "office": None if router.office is None else {
                                       "version": router.office.version, "classes": router.office.classes,
                                       "source": settings.scoring.message_classifier}}
    return scorer, description


def message_router(settings: Settings, gold: tuple[tuple[str, bool], ...] = ()) -> MessageRouter | None:
    """The router of a new version: the fit model (packaged messages, corpus complaints, and ``gold``: the office's
    labels on messages as (text, fits the taxonomy)) and the adopted office classifier (``[scoring]
    message_classifier``); None without packaged messages."""
    fit = packaged_fit_model(gold)
    if fit is None:
        return None
    office = None
    if settings.scoring.message_classifier:
        p = Path(settings.scoring.message_classifier)
        try:
            office = load_office_classifier(p if p.is_absolute() else settings.base_dir / p)
        except MessageModelError as exc:
            raise ScoringError(str(exc)) from exc
    return MessageRouter(fit, settings.scoring.message_fit_above, office)


GAIN_HOLDOUT = 5  # every 5th gold-labelled record (by id) is held out to measure what the corrections gained
GAIN_MIN_HELD_OUT = 5  # fewer held-out gold labels than this: no gain figure (it would be noise)


def gold_gain(taxonomy, params, ids: list[int], texts: list[str], tags: list, gold: list, gold_subs: list,
              corpus=None) -> dict | None:
    """What the office's corrections gained, on held-out gold: every GAIN_HOLDOUT-th gold-labelled record (by id)
    is held out; a classifier trained with the other gold labels and one trained with none answer it (its gold
    withheld); their top-1 accuracy and macro-F1 against the gold. None with too few gold labels. ``corpus``: the
    labelled rows both train on (default: the packaged corpus's train rows, read again)."""
    from feedback.scoring.evaluation import classification_metrics

    labelled = sorted((r, i) for i, (r, g) in enumerate(zip(ids, gold, strict=True))
                      if g is not None and g != NOT_COMPLAINT)  # a 不是投诉 has no category to answer
    held = {i for k, (_, i) in enumerate(labelled) if k % GAIN_HOLDOUT == GAIN_HOLDOUT - 1}
    if len(held) < GAIN_MIN_HELD_OUT:
        return None
    order = sorted(held)
    truth = [gold[i] for i in order]
    corrected = {i for i, g in enumerate(gold) if g is not None} - held  # every correction, 不是投诉 included
    out = {"held_out": len(order), "trained_with": len(corrected)}
    for name, keep in (("without", set()), ("with", corrected)):
        g = [gold[i] if i in keep else None for i in range(len(texts))]
        gs = [gold_subs[i] if i in keep else None for i in range(len(texts))]
        clf = train_complaint_classifier(taxonomy, texts, tags, g, params, corpus=corpus, gold_subs=gs)
        pred = [r.category for r in clf.classify([texts[i] for i in order], [tags[i] for i in order])]
        res = classification_metrics(truth, pred, sorted(set(truth)))
        out[name] = {"accuracy": round(res.accuracy, 4), "macro_f1": round(res.macro_f1, 4)}
    out["gain_accuracy"] = round(out["with"]["accuracy"] - out["without"]["accuracy"], 4)
    out["gain_macro_f1"] = round(out["with"]["macro_f1"] - out["without"]["macro_f1"], 4)
    return out


def pipeline_scorer(engine: Engine, settings: Settings, fresh: bool = False) -> Scorer:
    """The scorer ``haocha score`` applies: the active version's, or (``fresh``, or none active) a new one trained
    as ``haocha score --all`` would train it (its classifier saved under instance/models; nothing activated)."""
    with engine.connect() as conn:
        active = store.active_version(conn)
    if active is not None and not fresh:
        return load_scorer(settings, active)
    return train_scorer(engine, settings)[0]


def load_scorer(settings: Settings, version: dict) -> Scorer:
    """The scorer of a stored version (its models from instance/models)."""
    return scorer_from_files(settings.instance_path, version, fusion_of(settings))


# The fusion parameters a version's description keeps, and what a version described before a key existed was
# made with (``hidden_turns`` came in session 26; earlier versions asked whole texts only).
_STORED_FUSION = ("hidden_below", "text_weight", "complaint_above", "hidden_text_below", "hidden_turns")
_BEFORE_STORED = {"hidden_turns": False}


def stored_fusion(fusion: FusionParams, description: dict) -> FusionParams:
    """``fusion`` with the values the version was made with: new records of a version are scored as its old ones
    were, whatever the settings say now (a changed ``[scoring]`` fusion key takes effect with ``haocha score
    --all``, which makes a new version), so one version never mixes two rules."""
    kept = description.get("fusion") or {}
    return replace(fusion, **{k: kept.get(k, _BEFORE_STORED.get(k, getattr(fusion, k))) for k in _STORED_FUSION})


def scorer_from_files(instance_path: Path, version: dict, fusion: FusionParams) -> Scorer:
    """The scorer of a stored version, its model files read under ``instance_path`` (on a Dask worker: the
    shared instance folder), with ``fusion`` (from the settings) as the version was made with it
    (``stored_fusion``)."""
    d = version["description"]
    fusion = stored_fusion(fusion, d)
    s = d["sentiment"]
    if s["engine"] == "model":
        path = Path(s["path"])
        sentiment = ModelEngine(load_model(path if path.is_absolute() else instance_path / path))
    else:
        sentiment = make_sentiment_engine(s["engine"], instance_path)
    cpath = instance_path / d["classifier"]["path"]
    if not cpath.exists():
        raise ScoringError(f"the classifier of scoring version {version['version']} is missing ({cpath}); "
                           "run `haocha score --all` to build and score a new version")
    router = None
    if "messages" in d:
        rpath = instance_path / d["messages"]["path"]
        if not rpath.exists():
            raise ScoringError(f"the message router of scoring version {version['version']} is missing ({rpath}); "
                               "run `haocha score --all` to build and score a new version")
        router = load_classifier(rpath)
    scorer = Scorer(sentiment, load_classifier(cpath), fusion, router)
    if sentiment.version != s["version"]:
        raise ScoringError(f"sentiment engine {s['engine']} is now {sentiment.version}, not "
                           f"{s['version']} as in scoring version {version['version']}; "
                           "run `haocha score --all` to rescore with it")
    return scorer


def _score_pending(engine: Engine, scorer: Scorer, version: str, batch_size: int,
                   progress: Callable[[int, int], None] | None) -> int:
    """Score every record without a score under ``version``, one committed batch at a time (resumable)."""
    done = 0
    for records, total in store.unscored_records(engine, version, batch_size):
        with engine.begin() as conn:
            batch = store.with_gold(conn, records)
            store.insert_scores(conn, version, scorer.score(batch))
        done += len(batch)
        if progress:
            progress(len(batch), total)
    return done


def _score(engine: Engine, settings: Settings, scorer: Scorer, version: dict, scheduler: str | None,
           progress: Callable[[int, int], None] | None) -> int:
    """Score what ``version`` has not scored yet: here, or on the Dask cluster at ``scheduler``."""
    if not scheduler:
        return _score_pending(engine, scorer, version["version"], settings.scoring.batch_size, progress)
    from feedback.cluster import ClusterError
    from feedback.scoring.cluster import score_pending_on_cluster, scorer_spec

    spec = scorer_spec(settings.instance_path, version, scorer.fusion)
    try:
        return score_pending_on_cluster(engine, spec, settings.scoring.batch_size, scheduler, progress)
    except ClusterError as exc:
        raise ScoringError(str(exc)) from exc


def score_store(engine: Engine, settings: Settings, *, rescore_all: bool = False, engine_name: str | None = None,
                progress: Callable[[int, int], None] | None = None, scheduler: str | None = None) -> ScoreRun:
    """Score new records under the active version; with ``rescore_all`` or a new ``engine_name``, build a new
    version from the current data and gold labels, score every record under it, then make it the active one.
    ``scheduler`` (else ``[scoring] scheduler``): a Dask scheduler address to score on (see scoring.cluster);
    the scores are the same as here."""
    t0 = time.perf_counter()
    scheduler = scheduler or settings.scoring.scheduler or None
    with engine.connect() as conn:
        active = store.active_version(conn)
    if active is not None and not rescore_all and engine_name is None:
        scorer = load_scorer(settings, active)
        n = _score(engine, settings, scorer, active, scheduler, progress)
        return ScoreRun(active["version"], n, seconds=time.perf_counter() - t0)
    if scheduler:  # an unreachable scheduler is told before a minute of training, not after
        from feedback.cluster import ClusterError, check_reachable

        try:
            check_reachable(scheduler)
        except ClusterError as exc:
            raise ScoringError(str(exc)) from exc
    scorer, description = train_scorer(engine, settings, engine_name)
    version = scorer.version
    with engine.begin() as conn:
        store.register_version(conn, version, store.SCORING, description, active=active is None)
    n = _score(engine, settings, scorer, {"version": version, "description": description}, scheduler, progress)
    run = ScoreRun(version, n, new_version=True, classifier_trained_on=description["trained_on"],
                   gold_gain=description.get("gold_gain"))
    if active is not None and active["version"] != version:
        with engine.begin() as conn:
            store.activate(conn, version, store.SCORING)
            run.replaced = active["version"]
            run.deleted_old = store.delete_scores_except(conn, version)
    elif active is not None:  # same inputs gave the same version: it stays active, nothing was mixed
        with engine.begin() as conn:
            run.deleted_old = store.delete_scores_except(conn, version)
    run.seconds = time.perf_counter() - t0
    return run


def gold_agreement(engine: Engine, settings: Settings, depts: list[str] | None = None
                   ) -> tuple[list[dict], dict | None]:
    """Gold labels with the active model's own answer (gold withheld), and their agreement (None without
    labels or without an active version); ``depts``: only gold labels on records of these departments."""
    from feedback.scoring.evaluation import classification_metrics

    with engine.connect() as conn:
        gold = store.all_gold(conn, depts)
        active = store.active_version(conn)
    if gold.empty:
        return [], None
    model = [None] * len(gold)
    if active is not None:
        scored = load_scorer(settings, active).score(gold.drop(columns=["gold"]))
        model = [c if isinstance(c, str) else None for c in scored["category"]]
    labels = [{"record_id": int(r), "gold": g, "model": m, "labelled_by": b, "created_at": t}
              for r, g, m, b, t in zip(gold["record_id"], gold["gold"], model, gold["labelled_by"],
                                       gold["created_at"], strict=True)]
    if active is None:
        return labels, None
    res = classification_metrics(gold["gold"].tolist(), [m or "none" for m in model], sorted(set(gold["gold"])))
    return labels, {"version": active["version"], "n": res.n, "accuracy": round(res.accuracy, 4),
                    "macro_f1": round(res.macro_f1, 4),
                    "per_class": {k: {m: round(v, 4) for m, v in d.items()} for k, d in res.per_class.items()}}
