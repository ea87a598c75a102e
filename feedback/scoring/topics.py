"""Topic discovery: cluster uncategorised complaints into concrete topics with keywords and examples."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from feedback.text.pii import drop_masked

# Anonymised or real administrative codes that jieba would tear apart: A市, A3区, J10县, M6州.
_ADMIN_CODE = re.compile(r"([A-Z]\d{0,2}[省市区县州])")
_CODE = re.compile(r"^[A-Za-z]{0,2}\d{1,4}[A-Za-z]?$|^[A-Za-z]{1,2}$")
_UNIT = ("栋", "幢", "号楼", "单元", "号", "室", "期", "路", "组", "队")
_BUILDING_UNIT = ("栋", "幢", "号楼", "单元", "期")
_NAME_SUFFIX = ("路", "街", "大道", "巷", "小区", "社区", "村", "镇", "乡", "街道", "花园", "公寓", "大厦", "广场",
                "苑", "园", "城", "市场", "学校", "小学", "中学", "医院", "公司", "工业园", "大桥", "公园")
_ROAD_PART = re.compile(r"^[东西南北中一二三四五六七八九十]路$|^(?:大街|大道|支路|环路)$")
_PLACE_END = re.compile(r"(?:[省市区县州镇乡村路街巷栋幢苑园城厦场]|街道|社区|小区|花园|公寓|号楼|单元|学校|"
                        r"小学|中学|医院|公司|工业园|大桥|公园|\d号)$")
_DATE = re.compile(r"^\d+(?:\.\d+)?(?:年|月|日|点|时|分|秒|天|元|万|岁|个|次|%)?$")
_WORDY = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


@dataclass(frozen=True)
class Topic:
    """A group of texts about one concrete problem."""

    keywords: list[str]  # places first, then the most characteristic words
    places: list[str]
    members: list[int]  # indices into the input texts
    representatives: list[int]  # the members closest to the topic's centre, best first
    cohesion: float  # mean cosine similarity of the members to the centre
    extra: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def label(self) -> str:
        return " ".join(self.keywords[:4])


def is_place(token: str) -> bool:
    """Whether a token names a place or an address detail (A3区, 联丰路, 米兰春天G2栋, 159号)."""
    return len(token) >= 2 and bool(_PLACE_END.search(token))


def tokenize(text: str, segment: Callable[[str], list[str]], stopwords: frozenset[str]) -> list[str]:
    """Words of one text with place names and address numbers kept whole; stop words, bare numbers, dates and
    punctuation dropped."""
    text = drop_masked(unicodedata.normalize("NFKC", text or ""))  # [手机号] is no word of a topic
    raw: list[str] = []
    for part in _ADMIN_CODE.split(text):
        if _ADMIN_CODE.fullmatch(part):
            raw.append(part)
        elif part:
            raw += [w for w in segment(part) if w.strip()]
    merged: list[str] = []
    for tok in raw:
        prev = merged[-1] if merged else ""
        if prev and _CODE.match(prev) and tok.startswith(_UNIT) and len(tok) <= 2:
            merged[-1] = prev + tok  # G2 + 栋, 159 + 号
            tok = merged.pop()
            if tok.endswith(_BUILDING_UNIT):  # 米兰 春天 G2栋 → 米兰春天G2栋
                name = []
                while merged and len(name) < 3 and _WORDY.match(merged[-1]) and merged[-1] not in stopwords \
                        and not is_place(merged[-1]) and not _DATE.match(merged[-1]):
                    name.insert(0, merged.pop())
                tok = "".join(name) + tok
            merged.append(tok)
        elif prev == "之" and len(merged) >= 2 and _WORDY.match(merged[-2]) and _WORDY.match(tok):
            merged.pop()
            merged[-1] = merged[-1] + "之" + tok  # 魅力 之 城小区 → 魅力之城小区
        elif prev and (tok in _NAME_SUFFIX or _ROAD_PART.match(tok)) and _WORDY.match(prev) \
                and prev not in stopwords and not is_place(prev) and not _DATE.match(prev):
            merged[-1] = prev + tok  # 联丰 + 路, 西城 + 小区, 劳动 + 东路
        else:
            merged.append(tok)
    out = []
    for tok in merged:
        if not _WORDY.search(tok) or tok in stopwords or (_DATE.match(tok) and not is_place(tok)):
            continue
        if len(tok) == 1 and not tok.isalnum():
            continue
        out.append(tok)
    return out


def discover_topics(texts: Sequence[str], *, segment: Callable[[str], list[str]] | None = None,
                    stopwords: frozenset[str] | None = None, similarity: float = 0.3, min_size: int = 2,
                    max_keywords: int = 8, n_representatives: int = 3, place_weight: float = 2.0,
                    max_docs: int = 8000) -> list[Topic]:
    """Cluster ``texts`` (average-linkage on TF-IDF cosine, cut at ``similarity``) into topics of at least
    ``min_size`` members, largest first. Texts that join no topic are left out.

    ``segment`` defaults to a fresh jieba segmenter (:func:`feedback.text.features.make_segmenter`) and
    ``stopwords`` to the packaged list. Memory and time grow with the square of the number of texts (at most
    ``max_docs``): call it on the uncategorised remainder, not on everything.
    """
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    from feedback.text.features import load_stopwords, make_segmenter

    n = len(texts)
    if n > max_docs:
        raise ValueError(f"{n} texts: discover_topics clusters at most max_docs={max_docs} at once")
    if n < max(min_size, 2):
        return []
    segment = segment or make_segmenter()
    stopwords = load_stopwords() if stopwords is None else stopwords
    docs = [tokenize(t, segment, stopwords) for t in texts]
    if not any(docs):
        return []
    vec = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True, norm=None, min_df=1)
    x = vec.fit_transform(docs).tocsc().astype(np.float64)
    vocab = np.asarray(vec.get_feature_names_out(), dtype=object)
    place_cols = np.fromiter((is_place(v) for v in vocab), dtype=bool, count=len(vocab))
    x = x @ _diag(np.where(place_cols, place_weight, 1.0))
    x = x.tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x = _diag(1.0 / norms) @ x
    sim = (x @ x.T).toarray()
    np.clip(sim, 0.0, 1.0, out=sim)
    dist = 1.0 - sim
    np.fill_diagonal(dist, 0.0)
    labels = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                     distance_threshold=1.0 - similarity).fit_predict(dist)
    topics = []
    for lab in np.unique(labels):
        members = np.flatnonzero(labels == lab)
        if len(members) < min_size:
            continue
        centre = np.asarray(x[members].mean(axis=0)).ravel()
        closeness = np.asarray(x[members] @ centre).ravel() / (np.linalg.norm(centre) or 1.0)
        order = members[np.argsort(-closeness, kind="stable")]
        # Keywords: words present in at least half of the members (or the top ones), places first.
        present = np.asarray((x[members] > 0).sum(axis=0)).ravel() / len(members)
        score = centre * (0.5 + present)
        top = [j for j in np.argsort(-score) if score[j] > 0][: max_keywords * 3]
        places = [str(vocab[j]) for j in top if place_cols[j] and present[j] >= 0.5][:max_keywords]
        words = [str(vocab[j]) for j in top if not place_cols[j]]
        keywords = (places + words)[:max_keywords]
        topics.append(Topic(keywords, places, members.tolist(), order[:n_representatives].tolist(),
                            float(closeness.mean())))
    topics.sort(key=lambda t: (-t.size, -t.cohesion))
    return topics


def _diag(v: np.ndarray):
    import scipy.sparse as sp

    return sp.diags(v, format="csr")
