"""Evidence of a task: representative comments, keywords, where it happens, and its weekly series (pure)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from feedback.codes import channel_name
from feedback.tasks.clusters import centroids
from feedback.tasks.config import TaskSettings
from feedback.tasks.vectors import char_tfidf
from feedback.text.pii import drop_masked

_STOP = set(
    "的 了 是 在 我 你 他 她 它 我们 他们 你们 和 与 及 也 都 就 还 又 很 太 不 没 没有 有 这 那 这个 那个 一个 个 "
    "什么 怎么 为什么 如何 是否 能否 可以 能 会 要 让 把 被 给 对 向 从 到 为 因为 所以 但是 但 而且 并且 或者 "
    "请 请问 希望 关于 反映 投诉 咨询 建议 问题 情况 相关 部门 领导 政府 您好 你好 谢谢 现在 已经 一直 还是 "
    "非常 特别 真的 就是 这样 那么 时候 今年 去年 目前 进行 工作 要求 同时 其中 以及 之后 以后 之前 一下 "
    "办理 一些 这些 那些 本人 自己 大家 如果 可能 需要 没人 的话 而 及时 尽快 多次 几次".split()
)
# filler a keyword chip must never be: time words, frequency adverbs, verbs of asking (一句, 天天, 上班 …)
_STOP |= set(
    "一句 一下子 天天 每天 整天 一天 晚上 白天 早上 上午 中午 下午 傍晚 凌晨 今天 昨天 前天 明天 当天 刚才 后来 平时 经常 总是 老是 马上 立即 上班 下班 存在 出现 导致 "
    "加快 力度 进一步 一系列 问问 询问 何时 到底 究竟 为何 是不是 能不能 有没有 怎么办 何年何月 现状 几个 有关 "
    "严重 尽早 一定 根本 完全 还有 其他 以上 以下 东路 西路 南路 北路 中路 小区 社区 街道 附近 周边 疑问 刻不容缓".split()
)
# the hedges and turn words of a complaint behind praise ("还行，就是有点慢", "美中不足的是…"): they say that there is a
# problem, never which, and hidden complaints found after a turn share them
_STOP |= set("有点 有些 有一点 稍微 美中不足 唯一 可惜 不过 只是 然而 还行 凑合 总体 整体 挺好".split())
# a verb with its result (办好, 说完, 拿到): that something got done, was said or arrived, never what went wrong
# ('迟到', a late start, is a problem and stays a keyword)
_STOP |= set("办好 办完 办成 办下来 搞定 弄好 做好 做完 说完 讲完 听完 看完 问完 填完 交完 跑完 拿到 收到 等到 排到 "
             "轮到 找到 遇到 碰到 想到 知道".split())
# the contact details a citizen leaves ("手机号[手机号]，麻烦回个电话"): who to call back, never what went wrong
_STOP |= set("手机号 手机号码 电话号码 联系方式 联系电话 回个 回电 回电话".split())
# part-of-speech tags (jieba's dictionary) of words that never name a problem: numerals, measure words, pronouns,
# prepositions, conjunctions, particles, locatives, interjections, onomatopoeia, adjectives, and place or person
# names (a piece of a name, '中海', '东路': the place is the anchor's job)
_NOT_KEYWORD_TAGS = ("m", "q", "r", "p", "c", "u", "f", "y", "e", "o", "a", "ns", "nr")
# what follows a word that is the start of a name ('劳动|东路', '中海|国际社区')
_NAME_TAIL = re.compile(r"[东西南北中]?(?:路|街|大道|巷|小区|社区|花园|家园|新城|广场|大厦|公寓)")
_ADMIN = re.compile(r"^[A-Z][0-9]*[市区县省]?$|^西地省$|^[市区县省]$")
_ADMIN_TEXT = re.compile(r"[A-Z][0-9]*[市区县省]|西地省")
_KEEP = re.compile(r"[\u4e00-\u9fff]{2,}|[A-Za-z0-9]+[\u4e00-\u9fff]+|[\u4e00-\u9fff]+[A-Za-z0-9]+")


def signal_documents(signals: pd.DataFrame) -> list[str]:
    title = signals["title"].astype("string").fillna("")
    text = signals["text"].astype("string").fillna("")
    return [(t + "。" + x[:300]) if t else x[:300] for t, x in zip(title.tolist(), text.tolist(), strict=True)]


def closeness(signals: pd.DataFrame):
    """Vectors of the signals' texts and each one's cosine similarity to its group's centroid."""
    docs = signal_documents(signals)
    X = char_tfidf(docs, min_df=1, max_df=1.0)
    codes, uniques = pd.factorize(signals["group"])
    members: list[list[int]] = [[] for _ in uniques]
    for pos, code in enumerate(codes):
        members[code].append(pos)
    C = centroids(X, members)
    sims = np.asarray(X.multiply(C[codes]).sum(axis=1)).ravel()
    return X, pd.Series(sims, index=signals.index)


def pick_representatives(part: pd.DataFrame, X, k: int, dup: float) -> list[int]:
    """Row positions (into ``X``) of up to ``k`` signals nearest the centre, skipping near-duplicates of an
    earlier pick; ties go to more votes, then the newer signal."""
    part = part[part["_doc"].str.len() > 0]
    if part.empty:
        return []
    pool = part.nlargest(max(50, 10 * k), "_close", keep="all").head(max(200, 40 * k))
    pool = pool.assign(_votes=pool["votes_up"].fillna(0).astype(float)).sort_values(
        ["_close", "_votes", "rated_at", "record_id"], ascending=[False, False, False, True], kind="mergesort")
    positions = pool["_pos"].tolist()
    sims = (X[positions] @ X[positions].T).toarray()
    chosen: list[int] = []
    seen: set[str] = set()
    for i, doc in enumerate(pool["_doc"].tolist()):
        if doc in seen or any(sims[i, j] >= dup for j in chosen):
            continue
        chosen.append(i)
        seen.add(doc)
        if len(chosen) >= k:
            break
    return [positions[i] for i in chosen]


def _evidence_items(rows: pd.DataFrame) -> list[dict]:
    from feedback.text.pii import mask_text

    texts = mask_text(rows["text"].astype("string").fillna("")).tolist()
    titles = mask_text(rows["title"].astype("string").fillna("")).tolist()
    # the clause after a turn that made a hidden complaint (a frame without the column: none), masked as the text
    said = rows["hidden_clause"] if "hidden_clause" in rows else pd.Series(None, index=rows.index, dtype="string")
    clauses = mask_text(said.astype("string").fillna("")).tolist()
    out = []
    for r, text, title, clause in zip(rows.rename(columns={"_close": "close"}).itertuples(index=False), texts,
                                      titles, clauses, strict=True):
        out.append({
            "record_id": int(r.record_id), "title": title or None, "text": text or "",
            "rated_at": pd.Timestamp(r.rated_at).strftime("%Y-%m-%d %H:%M"),
            "level": None if pd.isna(r.level) else int(r.level), "hidden": bool(r.hidden),
            "votes": None if pd.isna(r.votes_up) else int(r.votes_up),
            "channel": channel_name(r.channel) if isinstance(r.channel, str) else None,
            "similarity": round(float(r.close), 3),
            **({"clause": clause} if clause and bool(r.hidden) else {}),
        })
    return out


def _tokenizer():
    import jieba

    jieba.setLogLevel(60)
    return lambda s: jieba.lcut(s)


def _tag(word: str) -> str | None:
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab.get(word)


def _name_pieces(words: set[str], texts: list[str], anchor: str | None) -> set[str]:
    """Words of a group that are mostly a piece of a longer name in its texts: right before the anchor or before
    a road or estate suffix ('中海|国际社区', '劳动|东路')."""
    out = set()
    for w in words:
        seen = named = 0
        for t in texts:
            start = t.find(w)
            while start >= 0:
                seen += 1
                rest = t[start + len(w):]
                if (anchor and rest.startswith(anchor)) or _NAME_TAIL.match(rest):
                    named += 1
                start = t.find(w, start + 1)
        if seen and named * 2 >= seen:
            out.add(w)
    return out


def keywords_for(groups: dict[int, list[str]], k: int, anchors: dict[int, str] | None = None) -> dict[int, list[str]]:
    """Distinctive words of each group's texts (document share in the group × inverse share elsewhere); the
    group's anchor is one keyword and its fragments are not."""
    anchors = anchors or {}
    tokenize = _tokenizer()
    cache: dict[str, set[str]] = {}

    def words(s: str) -> set[str]:
        if s not in cache:
            cache[s] = {w for w in tokenize(s) if _KEEP.fullmatch(w) and w not in _STOP and not _ADMIN.match(w)
                        and not (_tag(w) or "").startswith(_NOT_KEYWORD_TAGS)}
        return cache[s]

    def strip(s: str, anchor: str | None) -> str:
        s = _ADMIN_TEXT.sub("，", drop_masked(s))  # the texts are masked: [手机号] is no keyword
        return s.replace(anchor, "，") if anchor else s

    per_group = {g: [words(strip(s, anchors.get(g))) for s in texts] for g, texts in groups.items()}
    for g, docs in per_group.items():
        pieces = _name_pieces(set().union(*docs) if docs else set(), groups[g], anchors.get(g))
        if pieces:
            per_group[g] = [d - pieces for d in docs]
    df: Counter = Counter()
    total = 0
    for docs in per_group.values():
        for d in docs:
            df.update(d)
            total += 1
    out: dict[int, list[str]] = {}
    for g, docs in per_group.items():
        tf: Counter = Counter()
        for d in docs:
            tf.update(d)
        n = max(len(docs), 1)
        scored = sorted(((c / n) * math.log((1 + total) / (1 + df[w])) + 1e-9 * len(w), w)
                        for w, c in tf.items() if c >= min(2, n))
        picked: list[str] = [anchors[g]] if anchors.get(g) else []
        for _, w in reversed(scored):
            if any(w in p or p in w for p in picked):
                continue
            picked.append(w)
            if len(picked) >= k:
                break
        out[g] = picked
    return out


def breakdowns(sig: pd.DataFrame, n: int = 5) -> dict[int, dict]:
    """Affected departments, channels and regions of each group (weighted complaints, largest first)."""
    channel = sig["channel"].map(lambda c: (channel_name(c) or c) if isinstance(c, str) else None)
    cols = {"departments": sig["dept_name"], "channels": channel, "regions": sig["region_code"]}
    out: dict[int, dict] = {int(g): {} for g in sig["group"].unique()}
    for name, values in cols.items():
        frame = pd.DataFrame({"group": sig["group"], "v": values.astype("string").fillna("未知"),
                              "w": sig["weight"]})
        agg = frame.groupby(["group", "v"])["w"].sum().reset_index()
        agg = agg.sort_values(["group", "w", "v"], ascending=[True, False, True], kind="mergesort")
        for g, part in agg.groupby("group", sort=False):
            out[int(g)][name] = [{"name": str(v), "signals": round(float(w), 2)}
                                 for v, w in zip(part["v"].head(n), part["w"].head(n), strict=True)]
    return out


def series(row: pd.Series) -> list[list]:
    """Weekly [Monday, weighted complaints] pairs, from the first week with a complaint on."""
    nz = np.flatnonzero(row.to_numpy() > 0)
    if len(nz) == 0:
        return []
    return [[pd.Timestamp(w).strftime("%Y-%m-%d"), round(float(v), 2)] for w, v in row.iloc[nz[0]:].items()]


def build_evidence(signals: pd.DataFrame, groups: Iterable[int], weekly: pd.DataFrame,
                   cfg: TaskSettings, anchors: dict[int, str] | None = None) -> dict[int, dict]:
    """Evidence for the given groups: representatives, keywords, breakdown and series."""
    wanted = set(int(g) for g in groups)
    sig = signals[signals["group"].isin(wanted)].reset_index(drop=True)
    if sig.empty:
        return {}
    sig["_doc"] = signal_documents(sig)
    X, sig["_close"] = closeness(sig)
    sig["_pos"] = np.arange(len(sig))
    picks: dict[int, list[int]] = {}
    samples: dict[int, list[str]] = {}
    for g, part in sig.groupby("group", sort=True):
        picks[int(g)] = pick_representatives(part, X, cfg.evidence_count, cfg.duplicate_similarity)
        top = part.sort_values("_close", ascending=False, kind="mergesort")["_doc"].head(40)
        samples[int(g)] = [d[:160] for d in top.tolist() if d]
    chosen = [p for ps in picks.values() for p in ps]
    items = dict(zip(chosen, _evidence_items(sig.iloc[chosen]), strict=True)) if chosen else {}
    places_ = breakdowns(sig)
    words = keywords_for(samples, cfg.keyword_count, anchors or {})
    out: dict[int, dict] = {}
    for g in picks:
        out[g] = {
            "evidence": [items[p] for p in picks[g]],
            "breakdown": places_.get(g, {}),
            "series": series(weekly.loc[g]) if g in weekly.index else [],
            "keywords": words.get(g, []),
        }
    return out
