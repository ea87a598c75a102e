"""`haocha train` / `haocha eval` on small labelled files, and learning from the store's own ratings."""

from __future__ import annotations

import csv
import json

import pytest

from feedback.cli import main

POS = ["办事效率很高，非常满意", "工作人员态度热情，一次就办好了", "网上办理很方便，不用跑腿", "服务周到，点赞",
       "流程简单，材料一次讲清楚", "窗口人员耐心细致", "很快就拿到了证件，满意", "预约后不用排队，很好"]
NEG = ["等了三个小时还没办好，太慢了", "工作人员态度恶劣，爱理不理", "系统一直报错，上传不了材料", "跑了好几趟还要补材料",
       "电话永远打不通，没人接", "排队太久，叫号混乱", "办事指南写得不清楚，白跑一趟", "说好三天办结，一个月了还没消息"]
CLASSES = {
    "交通": ["公交车改线后很不方便", "路口红绿灯时间太短", "地铁站出口拥堵严重", "公交站台太远了", "道路施工堵车"],
    "环境": ["工地夜间施工噪音扰民", "河道有垃圾发臭", "烧烤店油烟太大", "小区旁边垃圾站臭气熏天", "工厂排放黑烟"],
    "教育": ["学校周末违规补课", "幼儿园收费太高", "学区划分不合理", "学校食堂饭菜质量差", "老师布置作业太多"],
}


def _write(path, rows, header=("text", "label")):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def sentiment_csv(tmp_path):
    rows = [(t, 1) for t in POS] * 3 + [(t, "neg") for t in NEG] * 3
    return _write(tmp_path / "senti.csv", rows)


@pytest.fixture
def classes_csv(tmp_path):
    rows = [(t + suffix, lab) for lab, ts in CLASSES.items() for t in ts for suffix in ("", "，请尽快处理", "！")]
    return _write(tmp_path / "cls.csv", rows, ("内容", "类别"))


def test_train_and_eval_sentiment(runner, sentiment_csv, tmp_path):
    out = tmp_path / "m.joblib"
    res = runner.invoke(main, ["train", "sentiment", "--data", str(sentiment_csv), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert out.exists() and report["held_out"]["n"] > 0 and 0 <= report["held_out"]["accuracy"] <= 1
    res = runner.invoke(main, ["eval", "sentiment", "--data", str(sentiment_csv), "--model", str(out),
                               "--baseline-sample", "12", "--json"])
    assert res.exit_code == 0, res.output
    ev = json.loads(res.output)
    assert {"accuracy", "macro_f1", "n", "docs_per_s"} <= set(ev) and ev["n"] == 48
    assert ev["version"] == report["version"]
    assert ev["baseline"]["engine"] == "snownlp" and ev["baseline"]["n"] == 12
    assert ev["baseline"]["this_engine_on_same_rows"]["n"] == 12
    default = json.loads(runner.invoke(main, ["eval", "sentiment", "--data", str(sentiment_csv),
                                              "--baseline-sample", "0", "--json"]).output)
    assert default["engine"] == "linear" and default["accuracy"] >= 0.9 and "baseline" not in default


def test_train_and_eval_classifier(runner, classes_csv, tmp_path):
    out = tmp_path / "c.joblib"
    res = runner.invoke(main, ["train", "classifier", "--data", str(classes_csv), "--text-col", "内容",
                               "--label-col", "类别", "--out", str(out), "--cv", "3", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert sorted(report["classes"]) == sorted(CLASSES) and report["cv"]["k"] == 3
    assert "baseline" in report["cv"] and report["cv"]["baseline"]["n"] == 45
    res = runner.invoke(main, ["eval", "classifier", "--model", str(out), "--data", str(classes_csv),
                               "--text-col", "内容", "--label-col", "类别", "--json"])
    assert res.exit_code == 0, res.output
    ev = json.loads(res.output)
    assert {"accuracy", "macro_f1", "per_class", "confusion", "n", "docs_per_s"} <= set(ev)
    assert ev["accuracy"] > 0.9  # seen data: the model must at least fit it
    assert set(ev["per_class"]) == set(CLASSES) and len(ev["confusion"]) == 3
    assert sum(map(sum, ev["confusion"])) == 45
    assert ev["baseline"]["accuracy"] == pytest.approx(1 / 3, abs=0.01)


def test_bad_input_names_file_row_and_column(runner, sentiment_csv, tmp_path):
    res = runner.invoke(main, ["eval", "sentiment", "--data", str(sentiment_csv), "--label-col", "y"])
    assert res.exit_code == 2 and "no column 'y'" in res.output and "senti.csv" in res.output
    blank = _write(tmp_path / "blank.csv", [("好", 1), ("", 0)])
    res = runner.invoke(main, ["train", "sentiment", "--data", str(blank)])
    assert res.exit_code == 2 and "row 2" in res.output and "'text'" in res.output
    odd = _write(tmp_path / "odd.csv", [("好", 1), ("差", "maybe")])
    res = runner.invoke(main, ["train", "sentiment", "--data", str(odd)])
    assert res.exit_code == 2 and "maybe" in res.output


def test_from_ratings_adopts_only_a_better_model(runner, config_file):
    from feedback.db import make_engine
    from feedback.scoring import repository as store
    from feedback.settings import load_settings
    from tests.feedback.scoring.test_scoring import _insert

    assert runner.invoke(main, ["init"]).exit_code == 0
    settings = load_settings(config_file)
    eng = make_engine(settings.database_url)
    res = runner.invoke(main, ["train", "sentiment", "--from-ratings"])
    assert res.exit_code == 2 and "too few rated comments" in res.output
    # the organisation's own words: "跑断腿" is its complaint, and praise of "一窗通办"
    rows = ([("rating", 1, None, f"又是跑断腿的一天{i}号窗口", None) for i in range(40)]
            + [("rating", 5, None, f"一窗通办{i}号窗口", None) for i in range(40)])
    _insert(eng, rows)
    config_file.write_text(config_file.read_text() + "[scoring]\nmin_per_class = 20\n", encoding="utf-8")
    res = runner.invoke(main, ["train", "sentiment", "--from-ratings", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["rated_comments"] == 80 and out["held_out"]["n"] == 16
    # the default model cannot read the organisation's words; the new one can, so it is adopted
    assert out["in_use"]["macro_f1"] < 0.8 and out["held_out"]["macro_f1"] == 1.0 and out["adopted"]
    with eng.connect() as conn:
        adopted = store.active_version(conn, store.SENTIMENT)
    assert adopted["version"] == out["version"]
    # the next new scoring version uses the adopted model
    scored = json.loads(runner.invoke(main, ["score", "--all", "--json"]).output)
    with eng.connect() as conn:
        desc = store.active_version(conn)["description"]
    assert scored["new_version"] and desc["sentiment"] == {"engine": "model", "version": out["version"],
                                                          "path": f"models/sentiment-{out['version']}.joblib"}
    # learning again from the same ratings does not beat the model now in use: nothing changes
    again = json.loads(runner.invoke(main, ["train", "sentiment", "--from-ratings", "--json"]).output)
    assert not again["adopted"] and again["in_use"]["version"] == out["version"]
    with eng.connect() as conn:
        assert store.active_version(conn, store.SENTIMENT)["version"] == out["version"]
    eng.dispose()


def test_eval_complaints_measures_the_pipeline(runner, tmp_path):
    rows = [("排了三个小时队，窗口只开一个", 1, "queue_onsite", "train"),
            ("工作人员态度很差，爱理不理", 1, "staff_attitude", "test"),
            ("系统一直登录不上，上传不了材料", 2, "online_platform", "test"),
            ("又让我去开一个证明，跑了好几趟", 1, "materials", "test"),
            ("说好三天办结，一个月了还在审核中，太慢了", 4, "timeliness", "test"),
            ("办事效率很高，非常满意，谢谢", 5, "praise", "test"),
            ("服务热情周到，一次就办好了", 5, "praise", "test")]
    data = tmp_path / "gold.tsv"
    data.write_text("id\ttext\trating\tlabel\tsplit\n" + "".join(
        f"r{i}\t{t}\t{r}\t{lab}\t{s}\n" for i, (t, r, lab, s) in enumerate(rows)), encoding="utf-8")
    assert runner.invoke(main, ["eval", "complaints", "--data", str(data)]).exit_code == 2  # no tables yet
    assert runner.invoke(main, ["init"]).exit_code == 0
    res = runner.invoke(main, ["eval", "complaints", "--data", str(data), "--rating-col", "rating", "--split",
                               "test", "--json"])
    assert res.exit_code == 0, res.output
    r = json.loads(res.output)
    assert r["n"] == 6 and r["complaints"] == 4
    assert {"top1", "macro_f1", "per_class", "confusion", "other_share", "docs_per_s"} <= set(r)
    assert sum(map(sum, r["confusion"]["matrix"])) == 4 and "other" in r["confusion"]["labels"]
    assert 0.0 <= r["top1"] <= 1.0 and r["top1"] >= 0.5  # typical complaints: most right
    h = r["hidden_complaints"]
    assert h["n"] == 3 and h["positives"] == 1  # the complaint under rating 4; two praise rows
    assert r["complaint_vs_praise"]["n"] == 6 and r["complaint_vs_praise"]["accuracy"] >= 0.8
    text = runner.invoke(main, ["eval", "complaints", "--data", str(data), "--rating-col", "rating"])
    assert text.exit_code == 0 and "top-1" in text.output and "hidden complaints" in text.output
    res = runner.invoke(main, ["eval", "complaints", "--data", str(data), "--rating-col", "nope"])
    assert res.exit_code == 2 and "nope" in res.output


def test_an_office_trains_its_12345_classifier_and_adopts_it_for_messages(runner, config_file):
    """The office's history (subject, body, 一级分类) → `train classifier --title-col` → the config key → messages
    outside the 政务服务 taxonomy carry the office's category after `score --all`."""
    from sqlalchemy import select

    from feedback.db import make_engine
    from feedback.models import Score
    from feedback.settings import load_settings
    from tests.feedback.scoring.test_scoring import _insert

    # the subject alone names the matter: a model trained without it could not tell these apart
    rows = [(subject, f"{body}，请尽快处理", lab) for lab, ts in CLASSES.items() for subject in ts
            for body in ("市民来电反映", "希望有关部门重视", "这个问题已经很久了")]
    history = _write(config_file.parent / "history.csv", rows, ("留言主题", "留言详情", "一级分类"))
    res = runner.invoke(main, ["train", "classifier", "--data", str(history), "--text-col", "留言详情",
                               "--title-col", "留言主题", "--label-col", "一级分类", "--out",
                               str(config_file.parent / "office.joblib")])
    assert res.exit_code == 0, res.output
    assert "message_classifier" in res.output
    config_file.write_text(config_file.read_text() + '[scoring]\nmessage_classifier = "office.joblib"\n',
                           encoding="utf-8")
    assert runner.invoke(main, ["init"]).exit_code == 0
    eng = make_engine(load_settings(config_file).database_url)
    ids = _insert(eng, [("message", None, "工地夜间施工噪音扰民", "市民来电反映，晚上睡不着", None),
                        ("message", None, "公积金提取办不下来",
                         "在政务服务中心办公积金提取，窗口让我补了三次材料，一个月了还在审核", None)])
    res = runner.invoke(main, ["score", "--all", "--json"])
    assert res.exit_code == 0, res.output
    with eng.connect() as conn:
        cats = dict(conn.execute(select(Score.record_id, Score.category).where(Score.record_id.in_(ids))).all())
    eng.dispose()
    assert cats[ids[0]] == "环境" and cats[ids[1]] not in CLASSES
    # the subject is what the model learnt from: the bodies alone carry no class
    cv = {}
    for name, extra in (("with", ["--title-col", "留言主题"]), ("without", [])):
        out = runner.invoke(main, ["train", "classifier", "--data", str(history), "--text-col", "留言详情",
                                   "--label-col", "一级分类", "--out", str(config_file.parent / f"{name}.joblib"),
                                   "--cv", "3", "--json", *extra]).output
        cv[name] = json.loads(out)["cv"]["accuracy"]
    assert cv["with"] >= 0.9 and cv["without"] <= 0.5
