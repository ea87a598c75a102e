"""Anchors citizens name (estates, roads and crossings, schools, hospitals, bus lines, stations, companies, apps)
and the alias graph that links anchors named together into one place (pure functions, deterministic).

A name's left edge is found from the data: of the strings ending at a place suffix, the one most documents use
wins (ties: the longer), so '我们枫林家园' reads '枫林家园' and '沥青搅拌站' reads '搅拌站' only when that is how
most people write it."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

# kind → suffixes; the core before a suffix is 2–6 characters
_SUFFIXES = {
    "estate": "小区|家园|花园|新城|新村|公馆|苑|城|湾|庭|公寓|大厦",
    "road": "大道|路|街|巷|桥",
    "school": "小学|中学|学校|幼儿园|大学|学院",
    "hospital": "医院|卫生院",
    "station": "站",
    "company": "公司|集团|物业|银行|厂",
    "village": "村|社区|街道|镇",
}
_APP = re.compile(r"([\u4e00-\u9fffA-Za-z]{2,6}?)(?:APP|App|app|客户端|小程序|公众号|系统|平台)")
_LINE = re.compile(r"(?<![0-9A-Za-z])([0-9]{1,3})(路|号线)")
# a case or product named by letters or digits and two characters ('58车贷', 'K9县' is not: 县 is admin)
_CASE = re.compile(r"(?<![0-9A-Za-z])((?=[A-Za-z]*[0-9])[0-9A-Za-z]{2,}[\u4e00-\u9fff]{2})")
_MEASURE = set("年月日号时点分秒元万千百亿个人次期栋楼层户天岁周米平方号线路区县市省条度吨伏室强")
# a number with a unit ('110kv高压', '500KV线路') is a measure, not a case
_UNIT = re.compile(r"[0-9](?:kv|kw|km|kg|mm|cm|m|g|t|w|v)$", re.IGNORECASE)
_SUFFIX_WORDS = {w for v in ("小区|家园|花园|新城|新村|公馆|公寓|大厦|大道|小学|中学|学校|幼儿园|大学|学院|医院|卫生院"
                             "|公司|集团|物业|银行|社区|街道",) for w in v.split("|")}
# part-of-speech tags (jieba's dictionary) of a core that make it an ordinary word, not a name: verbs, adverbs,
# pronouns, numbers, locatives, time words ('安置小区', '未经小区', '违建小区')
_NOT_NAME_TAGS = ("v", "d", "p", "r", "c", "u", "m", "f", "t", "q", "a")
_TAGS: dict = {}


def _tag(word: str) -> str | None:
    if not _TAGS:
        import jieba.posseg

        _TAGS.update(jieba.posseg.dt.word_tag_tab)
    return _TAGS.get(word)


def _generic(kind: str, candidate: str, suffix_start: int) -> bool:
    """A candidate whose core is an ordinary word or itself a place word, or that ends in a common noun
    ('公交线路', '过马路'); facilities (搅拌站) are judged by how common they are instead."""
    if kind in ("company", "station"):
        return False
    core = candidate[:suffix_start]
    tag = _tag(core)
    return (core in _SUFFIX_WORDS or (tag is not None and tag.startswith(_NOT_NAME_TAGS))
            or (kind == "road" and candidate.endswith("路") and _tag(candidate[-2:]) == "n"))
_ADMIN = re.compile(r"[A-Z][0-9]*[市区县省]|西地省")
_SPLIT = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")
# characters a name never holds (particles, pronouns, verbs of motion)
_NOT_IN_NAME = set("的了在是和与及或我你他她它们这那个对从到把被给向往去过由因为就都也还又很太不没有说要让请")
_NOT_FIRST = set("区县市省路街道村镇号栋楼园苑城湾站线期座幢单元小旧该此本每各某其")
_MAX_CORE = 6
_KINDS = [(k, re.compile(f"(?:{v})")) for k, v in _SUFFIXES.items()]
_ESTATE_TAIL = re.compile(r"(?:[一二三四五六七八九十0-9]+期|小区)$")


def _spans(text: str, cache: dict[str, tuple] | None = None):
    """(kind, candidate strings) for every suffix occurrence: the strings ending there with a 2–6 char core.
    With ``cache`` (piece → its spans) a piece seen before is not searched again, and its spans are the same
    objects (a subject is repeated in its text, and many messages share phrases)."""
    for piece in _SPLIT.split(_ADMIN.sub(" ", text)):
        if len(piece) < 3:
            continue
        if cache is None:
            yield from _piece_spans(piece)
            continue
        found = cache.get(piece)
        if found is None:
            found = cache[piece] = tuple(_piece_spans(piece))
        yield from found


def _piece_spans(piece: str):
    """The spans of one piece of text (see :func:`_spans`)."""
    for kind, rx in _KINDS:
        for m in rx.finditer(piece):
            s, e = m.start(), m.end()
            if kind == "road" and piece.startswith("街道", s):
                continue  # 星沙街道 is a 街道 (village kind), not a road 星沙街
            cands = []
            for k in range(max(0, s - _MAX_CORE), s - 1):
                core = piece[k:s]
                if core[0] in _NOT_FIRST or any(ch in _NOT_IN_NAME for ch in core) or "街道" in core:
                    continue  # (a name never runs across a 街道: '星沙街道凉塘路' is 凉塘路 in 星沙街道)
                if not all("\u4e00" <= ch <= "\u9fff" for ch in core):
                    continue
                cands.append((piece[k:e], s - k))
            if cands:
                yield kind, tuple(cands)


def candidate_frequency(docs: Sequence[str], spans: Sequence[list] | None = None) -> Counter:
    """How many documents hold each candidate name (the first pass of :func:`extract`)."""
    df: Counter = Counter()
    for i, d in enumerate(docs):
        df.update({c for _, cands in (spans[i] if spans is not None else _spans(d)) for c, _ in cands})
    return df


def _normal(kind: str, name: str) -> str:
    if kind == "estate":
        bare = _ESTATE_TAIL.sub("", name)
        if len(bare) >= 3 and re.search(f"(?:{_SUFFIXES['estate']})$", bare):
            return bare
    return name


def _best(kind: str, cands: tuple, df: Counter) -> str | None:
    best, cut = max(cands, key=lambda c: (df.get(c[0], 0), len(c[0])))
    if df.get(best, 0) >= 1 and not _generic(kind, best, cut):
        return f"{kind}:{_normal(kind, best)}"
    return None


def extract(doc: str, df: Counter, spans: list | None = None, memo: dict | None = None) -> set[str]:
    """The anchors one document names, as keys ('estate:枫林家园', 'line:62', 'app:市民通'); ``memo`` keeps the
    name chosen for each span object (spans from one :func:`_spans` cache are shared)."""
    out: set[str] = set()
    for span in (spans if spans is not None else _spans(doc)):
        if memo is None:
            name = _best(span[0], span[1], df)
        else:
            key = id(span)
            if key not in memo:
                memo[key] = _best(span[0], span[1], df)
            name = memo[key]
        if name is not None:
            out.add(name)
    for m in _LINE.finditer(doc):
        out.add(f"{'line' if m.group(2) == '路' else 'metro'}:{m.group(1)}")
    for m in _CASE.finditer(doc):
        code = m.group(1)[:-2]
        # a phone or hotline number (12345投诉) is a channel, not a case
        if not set(m.group(1)) & _MEASURE and not (code.isdigit() and len(code) >= 4) and not _UNIT.search(code):
            out.add(f"case:{m.group(1)}")
    for m in _APP.finditer(_ADMIN.sub(" ", doc)):
        core = m.group(1).lstrip("".join(_NOT_IN_NAME))
        if len(core) >= 2 and not any(ch in _NOT_IN_NAME for ch in core):
            out.add(f"app:{core}")
    return out


def anchors_of(docs: Sequence[str]) -> list[set[str]]:
    """Anchors of every document (two passes: candidate frequency, then the best-supported name per mention)."""
    cache: dict[str, tuple] = {}
    spans = [list(_spans(d, cache)) for d in docs]
    df = candidate_frequency(docs, spans)
    memo: dict[int, str | None] = {}
    found = [extract(d, df, sp, memo) for d, sp in zip(docs, spans, strict=True)]
    # a name nearly every document uses is a kind of thing, not a place
    n = Counter(a for f in found for a in f)
    # (a facility kind — 物业公司, 公交站 — sooner: it says what is there, and many places have one)
    common = {a for a, c in n.items() if c > max(50, 0.05 * len(docs))
              or (a.split(":", 1)[0] in ("company", "station") and c > max(20, 0.005 * len(docs)))}
    # the same school or estate written with or without a road character ('青禾路小学' / '青禾小学')
    alias = _spelling_aliases(set(n))
    # an app is often named without the word 'app': the names found teach the bare mentions
    apps = sorted(a for a in n if a.startswith("app:") and len(a) >= 7 and a not in common)
    for d, f in zip(docs, found, strict=True):
        f.update(a for a in apps if a[4:] in d)
    return [{alias.get(a, a) for a in f if a not in common} for f in found]


def _spelling_aliases(names: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    by_kind: dict[str, list[str]] = defaultdict(list)
    for a in names:
        by_kind[a.split(":", 1)[0]].append(a)
    for kind, items in by_kind.items():
        if kind not in ("school", "estate", "hospital"):
            continue
        short = {a.split(":", 1)[1]: a for a in items}
        # 丽发新城社区 (the estate's neighbourhood committee) is the estate
        for v in sorted(by_kind.get("village", [])):
            name = v.split(":", 1)[1]
            for k in range(len(name) - 2, 2, -1):
                if name[:k] in short and kind == "estate":
                    out[v] = short[name[:k]]
                    break
        for a in sorted(items):
            name = a.split(":", 1)[1]
            for ch in "路街":
                i = name.find(ch, 2)
                if 2 <= i < len(name) - 2 and (name[:i] + name[i + 1:]) in short:
                    out[a] = short[name[:i] + name[i + 1:]]
    return out


def link(doc_anchors: Sequence[set[str]], share: float = 0.3, min_count: int = 2, passes: int = 4) -> dict[str, str]:
    """The alias graph: anchor → its place (the component's representative, the most used anchor). Two places
    join when they are named together in at least ``min_count`` documents and those are at least ``share`` of
    each one's co-occurrences with other places (both ways, so a name used everywhere does not chain places)."""
    df = Counter(a for f in doc_anchors for a in f)
    parent = {a: a for a in df}

    def root(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for _ in range(passes):
        pair: Counter = Counter()
        for f in doc_anchors:
            roots = sorted({root(a) for a in f})
            for i, a in enumerate(roots):
                for b in roots[i + 1:]:
                    pair[(a, b)] += 1
        out: Counter = Counter()
        for (a, b), c in pair.items():
            out[a] += c
            out[b] += c
        joined = False
        for (a, b), c in sorted(pair.items(), key=lambda kv: (-kv[1], kv[0])):
            if c >= min_count and c >= share * out[a] and c >= share * out[b]:
                ra, rb = root(a), root(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
                    joined = True
        if not joined:
            break
    members: dict[str, list[str]] = defaultdict(list)
    for a in df:
        members[root(a)].append(a)
    rep = {r: min(ms, key=lambda a: (-df[a], a)) for r, ms in members.items()}
    return {a: rep[root(a)] for a in df}


_FACILITY_KINDS = ("company", "station")


def place_of(doc_anchors: Sequence[set[str]], places: dict[str, str]) -> list[str | None]:
    """Each document's place: the component of its anchors named by most documents (None when it names none)."""
    size = Counter(places[a] for f in doc_anchors for a in f)
    out: list[str | None] = []
    for f in doc_anchors:
        # a facility (搅拌站, 物业公司) says what is there, not where: a document that also names a place is there
        ps = {places[a] for a in f if a.split(":", 1)[0] not in _FACILITY_KINDS} or {places[a] for a in f}
        out.append(min(ps, key=lambda p: (-size[p], p)) if ps else None)
    return out


def label(anchor: str) -> str:
    """The anchor as shown ('estate:枫林家园' → '枫林家园', 'line:62' → '62路')."""
    kind, _, name = anchor.partition(":")
    return f"{name}路" if kind == "line" else f"{name}号线" if kind == "metro" else name
