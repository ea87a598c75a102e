"""What the models read of a text: numbers, masked numbers and codes."""

from __future__ import annotations

import pandas as pd

from feedback.text.features import CharNgramHasher, mask_codes, mask_digits
from feedback.text.pii import TOKENS, mask_text


def test_a_masked_number_reads_as_the_number_it_replaced():
    raw = ["排队两个小时没人管，我电话13812345678，身份证110101199003071234，座机057187654321"]
    masked = mask_text(pd.Series(raw)).tolist()
    assert masked != raw and "[手机号]" in masked[0] and "[身份证号]" in masked[0]
    for preprocess in ("digits", "codes", "codes_nopunct"):
        hasher = CharNgramHasher(1, 2, 2**18, preprocess)
        assert hasher.prepare(masked) == hasher.prepare(raw), preprocess
        assert (hasher.transform(masked) != hasher.transform(raw)).nnz == 0, preprocess


def test_no_character_of_a_mask_token_reaches_the_models():
    text = "联系" + "、".join(TOKENS)
    for fn in (mask_digits, mask_codes):
        read = fn(text)
        assert not any(ch in read for ch in "手机号电话身份证邮箱车牌"), (fn.__name__, read)
    # words that are not a token keep their characters: a citizen writing 手机 or 电话 means them
    assert mask_digits("手机上办不了，电话打不通") == "手机上办不了，电话打不通"
