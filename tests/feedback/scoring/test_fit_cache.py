"""$HAOCHA_FIT_CACHE: a text classifier fitted from exactly the same inputs is read back instead of fitted again
(the suite and the benchmarks fit the same corpus many times); any other input fits anew; unset, nothing is kept."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from feedback.scoring.textclf import FIT_CACHE_ENV, train_classifier

TEXTS = ["排队两个小时", "材料反复补交", "窗口态度很差", "网上系统打不开", "等了一上午没人办", "要的证明太多"]
LABELS = ["slow", "papers", "staff", "online", "slow", "papers"]


@pytest.fixture
def fits(monkeypatch):
    """How many times liblinear ran."""
    calls = []
    real = LogisticRegression.fit
    monkeypatch.setattr(LogisticRegression, "fit", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    return calls


def test_the_same_inputs_are_read_back_and_others_fit_anew(tmp_path, monkeypatch, fits):
    monkeypatch.setenv(FIT_CACHE_ENV, str(tmp_path / "fits"))
    first = train_classifier(TEXTS, LABELS)
    n = len(fits)
    assert n == 4 and (tmp_path / "fits" / f"{first.version}.joblib").exists()
    again = train_classifier(TEXTS, LABELS)
    assert len(fits) == n and again.version == first.version  # read back, not fitted
    probe = ["排队太久了", "证明材料太多"]
    assert np.array_equal(again.predict_proba(probe), first.predict_proba(probe))
    other = train_classifier(TEXTS, LABELS, sample_weight=[1, 1, 1, 1, 1, 2])  # one weight differs
    assert len(fits) == 2 * n and other.version != first.version


def test_unset_every_call_fits_and_nothing_is_written(tmp_path, monkeypatch, fits):
    monkeypatch.delenv(FIT_CACHE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    train_classifier(TEXTS, LABELS)
    train_classifier(TEXTS, LABELS)
    assert len(fits) == 8 and not list(tmp_path.iterdir())
