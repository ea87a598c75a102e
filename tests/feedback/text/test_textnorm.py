"""Text normalisation: whitespace, full-width characters, invisible characters, vector = scalar."""

import numpy as np
import pandas as pd
import pytest

from feedback.text.normalise import clean_scalar, clean_text

CASES = [
    ("\n\t\t\t\t\t\n\t\t\t\t\t座落在A市", "座落在A市"),
    ("你好\u3000\u3000世界  !", "你好 世界 !"),
    ("ＡＢＣ１２３ｘｙｚ", "ABC123xyz"),
    ("标点，。！？、：；（）保留", "标点，。！？、：；（）保留"),
    ("  a \r\n b  ", "a b"),
    ("a\x00b\u200bc\ufeff", "abc"),
    ("等到何时？_x000D_ 良心", "等到何时？ 良心"),
    ("abc123", "abc123"),
    ("\t \u3000", None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_clean_scalar(raw, expected):
    assert clean_scalar(raw) == expected


def test_clean_text_matches_scalar_and_keeps_index():
    s = pd.Series([r for r, _ in CASES] + [None, np.nan], index=range(100, 100 + len(CASES) + 2))
    out = clean_text(s)
    assert list(out.index) == list(s.index)
    expected = [e for _, e in CASES] + [None, None]
    assert [None if pd.isna(v) else v for v in out] == expected
    assert out.dtype == "str"


def test_clean_text_many_repeats_uses_same_rules():
    s = pd.Series(["部门  名称"] * 25_000 + ["ＡＢ\tC"] * 5_000 + [None] * 10)
    out = clean_text(s)
    assert out.value_counts().to_dict() == {"部门 名称": 25_000, "AB C": 5_000}
    assert out.isna().sum() == 10


def test_clean_text_accepts_object_and_non_strings():
    out = clean_text(pd.Series([" x ", None, 12], dtype=object))
    assert out.tolist()[0] == "x" and pd.isna(out.iloc[1]) and out.iloc[2] == "12"


def test_clean_scalar_non_strings():
    assert clean_scalar(None) is None
    assert clean_scalar(float("nan")) is None
    assert clean_scalar(5) == "5"
