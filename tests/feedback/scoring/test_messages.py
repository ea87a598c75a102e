"""12345 messages: the 政务服务 taxonomy only where it fits, the office's own classifier (or other) for the rest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from feedback.models import Score
from feedback.scoring import repository as store
from feedback.scoring.classify import train_complaint_classifier
from feedback.scoring.messages import (
    SERVICE,
    FitRow,
    MessageRouter,
    packaged_fit_model,
    read_fit_rows,
    train_fit_model,
)
from feedback.scoring.score import ScoringError, score_store
from feedback.scoring.scorer import Scorer
from feedback.scoring.sentiment import FusionParams
from feedback.scoring.taxonomy import load_taxonomy
from feedback.scoring.textclf import CORPUS_PARAMS, save_classifier, train_classifier
from feedback.settings import SettingsError, settings_from_mapping
from tests import factory

SERVICE_TEXTS = ["去政务服务中心办营业执照，窗口让我补了三次材料还是没办下来", "公积金提取申请提交一个月了还在审核中",
                 "社保窗口工作人员态度很差，问两句就不耐烦", "网上办事大厅登录不上，人脸识别一直失败",
                 "户籍窗口要我开一个根本不需要的证明，来回跑了四趟", "不动产登记中心排队三个小时只开两个窗口"]
OUTSIDE_TEXTS = ["小区楼下烧烤店油烟太大，晚上吵到十二点", "物业乱收停车费，电梯坏了一个月没人修",
                 "开发商延期交房两年，业主维权无果", "我们村的路坑坑洼洼，下雨天根本走不了",
                 "公司拖欠工资三个月，老板跑路了", "学校食堂饭菜太贵，孩子吃不饱"]
OFFICE = {"城乡建设": ["小区物业不作为，电梯坏了没人修", "开发商延期交房，房子质量差", "道路破损坑洼，下雨积水",
                   "小区乱收停车费，物业乱收费"],
          "环境保护": ["烧烤店油烟扰民，晚上很吵", "工厂偷排污水，河水发臭", "工地夜间施工噪音扰民",
                   "垃圾站臭气熏天，蚊蝇很多"],
          "劳动和社会保障": ["公司拖欠工资，老板跑路", "单位不给交社保", "工伤认定没有结果，公司不管",
                      "辞退员工不给补偿"]}


class Neutral:  # a fixed sentiment engine: these tests are about the category side
    version = "neutral"

    def predict_proba(self, texts, counts=None):
        return np.full(len(texts), 0.2)


def _rows() -> list[FitRow]:
    return ([FitRow(f"s{i}", "", t, SERVICE, "train") for i, t in enumerate(SERVICE_TEXTS)] +
            [FitRow(f"o{i}", "", t, "outside", "train") for i, t in enumerate(OUTSIDE_TEXTS)])


@pytest.fixture(scope="module")
def complaints():
    return train_complaint_classifier(load_taxonomy(), corpus=[])


@pytest.fixture(scope="module")
def office():
    texts = [t for ts in OFFICE.values() for t in ts]
    return train_classifier(texts, [k for k, ts in OFFICE.items() for _ in ts], CORPUS_PARAMS)


def _messages(texts: list[str], kind: str = "message", gold=None) -> pd.DataFrame:
    frame = pd.DataFrame({"record_id": np.arange(len(texts)), "kind": kind,
                          "level": pd.array([None if kind == "message" else 1] * len(texts), "Int64"),
                          "tags": None, "title": None, "text": texts})
    if gold is not None:
        frame["gold"] = gold
    return frame


def test_packaged_messages_are_labelled_split_and_distinct():
    rows = read_fit_rows(split=None)
    assert len(rows) >= 1000
    for split in ("train", "test"):
        labels = {r.fit for r in rows if r.split == split}
        assert labels == {SERVICE, "outside"}, split
    texts = [r.message for r in rows]
    assert len(set(texts)) == len(texts)  # no duplicate, so no test text is also a train text
    assert len({r.id for r in rows}) == len(rows)


def test_a_malformed_row_is_reported_with_its_file_and_line(tmp_path):
    (tmp_path / "x.tsv").write_text("id\ttitle\ttext\tfit\tsplit\nm1\t标题\t正文\tservice\ttrain\n"
                                    "m2\t标题\t正文\tmaybe\ttrain\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.tsv line 3"):
        read_fit_rows(tmp_path)
    (tmp_path / "x.tsv").write_text("id\ttext\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.tsv: header"):
        read_fit_rows(tmp_path)


def test_the_fit_model_keeps_city_matters_out_on_the_frozen_test_rows():
    """Written rows no training saw: most service complaints fit, most city matters do not."""
    from feedback.settings import ScoringSettings

    test = read_fit_rows(split="test")
    p = packaged_fit_model().predict_proba([r.message for r in test])[:, 0]
    fits = p >= ScoringSettings().message_fit_above
    y = np.array([r.fit == SERVICE for r in test])
    assert fits[y].mean() >= 0.8 and (~fits[~y]).mean() >= 0.8


def test_messages_outside_the_taxonomy_get_the_office_category_or_other(complaints, office):
    router = MessageRouter(train_fit_model(_rows()), 0.5, office)
    texts = ["楼下烧烤店油烟扰民，工地夜间施工噪音扰民", "公积金提取申请审核了一个多月还没结果，窗口让我反复补材料"]
    scored = Scorer(Neutral(), complaints, FusionParams(), router).score(_messages(texts))
    noise, service = scored.itertuples()
    assert noise.category == "环境保护" and 0 < noise.category_conf <= 1
    assert json.loads(noise.categories) == [["环境保护", noise.category_conf]] and pd.isna(noise.subcategory)
    assert service.category in load_taxonomy().slugs
    # without an office classifier the city matter is "other"; the service complaint keeps its category
    bare = Scorer(Neutral(), complaints, FusionParams(), MessageRouter(router.fit, 0.5))
    noise2, service2 = bare.score(_messages(texts)).itertuples()
    assert noise2.category == "other" and service2.category == service.category
    # a rating is a service by definition: never routed; a gold label on a message always wins
    rating = Scorer(Neutral(), complaints, FusionParams(), router).score(_messages(texts[:1], kind="rating"))
    assert rating["category"].iloc[0] not in OFFICE
    gold = Scorer(Neutral(), complaints, FusionParams(), router).score(_messages(texts[:1], gold=["queue_onsite"]))
    assert gold["category"].iloc[0] == "queue_onsite"


def test_the_router_enters_the_scoring_version(complaints, office):
    fit = train_fit_model(_rows())
    versions = {Scorer(Neutral(), complaints, FusionParams(), r).version
                for r in (None, MessageRouter(fit, 0.5), MessageRouter(fit, 0.6), MessageRouter(fit, 0.5, office))}
    assert len(versions) == 4


T0 = datetime(2026, 3, 2, 9, 0, 0)


def _store(engine) -> dict[str, int]:
    texts = {"noise": ("晚上噪音扰民", "楼下烧烤店油烟太大，每天吵到半夜，严重影响休息"),
             "service": ("公积金提取办不下来", "在政务服务中心办公积金提取，窗口让我补了三次材料，一个月了还在审核")}
    with engine.begin() as conn:
        bid = factory.add_batch(conn, source_system="t", profile="t")
        ids = factory.add_records(conn, [
            dict(source_system="t", record_key=k, kind="message", row_number=n, title=t, text=x,
                 rated_at=T0 + timedelta(hours=n), dept_name="市政府", dept_code="D1",
                 content_hash=hashlib.sha256(k.encode()).hexdigest())
            for n, (k, (t, x)) in enumerate(texts.items(), start=1)], batch_id=bid)
    return dict(zip(texts, ids, strict=True))


def _with(settings, **scoring):
    return replace(settings, scoring=replace(settings.scoring, **scoring))


def test_an_adopted_office_classifier_names_city_matters_in_the_store(engine, settings, office, tmp_path):
    path = save_classifier(office, tmp_path / "office.joblib")
    ids = _store(engine)
    run = score_store(engine, _with(settings, message_classifier=str(path)))
    with engine.connect() as conn:
        cats = dict(conn.execute(select(Score.record_id, Score.category)).all())
        desc = store.active_version(conn)["description"]
    assert cats[ids["noise"]] == "环境保护" and cats[ids["service"]] in load_taxonomy().slugs
    assert desc["messages"]["office"]["classes"] == office.classes and run.new_version
    # the same store without it: the city matter is other, in a new version
    again = score_store(engine, _with(settings, message_classifier=""), rescore_all=True)
    assert again.version != run.version
    with engine.connect() as conn:
        assert conn.execute(select(Score.category).where(Score.record_id == ids["noise"])).scalar() == "other"


def test_a_missing_or_foreign_office_classifier_stops_scoring_with_its_path(engine, settings, tmp_path):
    _store(engine)
    with pytest.raises(ScoringError, match="nowhere.joblib"):
        score_store(engine, _with(settings, message_classifier=str(tmp_path / "nowhere.joblib")))
    (tmp_path / "history.xlsx").write_text("一级分类,留言详情\n城乡建设,物业不作为\n", encoding="utf-8")
    with pytest.raises(ScoringError, match=r"history\.xlsx is not a classifier"):
        score_store(engine, _with(settings, message_classifier=str(tmp_path / "history.xlsx")))


def test_the_fit_threshold_is_checked_when_settings_load():
    with pytest.raises(SettingsError, match="message_fit_above"):
        settings_from_mapping({"scoring": {"message_fit_above": 1.5}})


def test_the_offices_labels_on_messages_teach_the_fit_model():
    """A message the office labelled into the taxonomy is a service complaint; one labelled other is not."""
    text = "小区门口新开的菜市场占道经营，请城管管一管"
    before = train_fit_model(_rows()).predict_proba([text])[0, 0]
    fits = train_fit_model(_rows(), gold=[(text, True)]).predict_proba([text])[0, 0]
    outside = train_fit_model(_rows(), gold=[(text, False)]).predict_proba([text])[0, 0]
    assert outside < before < fits
