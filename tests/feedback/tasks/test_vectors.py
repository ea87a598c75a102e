"""Character n-gram vectors: the vocabulary by hashing equals sorting, block-wise distances equal the whole product."""

import numpy as np

from feedback.tasks.vectors import char_tfidf, cosine_distances

DOCS = ["银杉路搅拌站夜间噪音", "搅拌站噪音扰民", "62路公交缩线", "62路只开到火车南站", "市民通刷脸失败", "", "噪音"]


def test_block_wise_distances_equal_the_whole_product():
    X = char_tfidf(DOCS)
    whole = 1.0 - np.clip((X @ X.T).toarray(), 0.0, 1.0)
    np.fill_diagonal(whole, 0.0)
    for block in (1, 3, 100):
        assert np.array_equal(cosine_distances(X, block=block), whole)
    d = cosine_distances(X)
    assert d.dtype == np.float32 and d[0, 1] < 1.0 and d[0, 2] == 1.0


def test_columns_follow_sorted_gram_ids():
    X = char_tfidf(DOCS, min_df=1)
    # rows are L2-normalised; identical documents get identical rows whatever their position
    Y = char_tfidf(list(reversed(DOCS)), min_df=1)
    assert np.allclose(X.toarray(), Y.toarray()[::-1])
    assert np.allclose(np.sqrt(X.multiply(X).sum(axis=1)).A.ravel()[[0, 1, 2, 3, 4, 6]], 1.0)
