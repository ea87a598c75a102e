"""Anchors of concrete topics: the place, organisation or case a group of complaints names (pure functions)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from feedback.text.pii import drop_masked

# Suffixes that make a name a place or an organisation (小区, 路, 小学 …).
PLACE_SUFFIX = re.compile(
    r"(小区|花园|新城|家园|新村|苑|园|湾|城|府|庭|公馆|广场|大厦|公寓|村|镇|乡|街道|社区|路|大道|街|巷|桥|线|站"
    r"|小学|中学|学校|学院|大学|幼儿园|医院|市场|公园|湖|岛|山|河|港|高速|高铁|地铁|公司|物业|集团|银行|项目"
    r"|工地|楼盘|厂|大厅|中心|窗口|局|所|馆|号)"
)
PLACE_END = re.compile(f"(?:{PLACE_SUFFIX.pattern})$")
_ADMIN = re.compile(r"[A-Z][0-9]*[市区县省]|西地省")
_PUNCT = re.compile(r"[\s，。、？！：；（）()“”‘’《》【】\[\],.?!:;\"'—\-·…~～/\\|]|[A-Z][0-9]*[市区县省]|西地省")
_DATEISH = re.compile(r"^[0-9年月日号点分时.:]+$|[0-9]{4}年|[0-9]+月[0-9]*|[0-9]+日")
_WS = re.compile(r"[\s\u200b\ufeff]+")
# Single characters that are words of their own, not pieces of an unknown name.
# A name never starts with the tail of a previous place word (…小区|临街, …街道|茶场村) or with a particle.
_BAD_LEAD = set("区县市省路街道村镇号栋楼园苑城湾站线的了在和与及或是")
_FUNCTION_CHARS = set("的了在是和与及对等把被给让向从到为也都就还又很太不没有我你他她它们这那个位次些啊吗呢吧市区县省")
# Leading verbs and trailing filler of message subjects, dropped when a subject becomes a task title.
_BOILER_HEAD = re.compile(r"^(关于|请问|咨询|投诉|反映|反应|举报|建议|强烈|希望|要求|恳请|请求|请|再次|坚决|对于|对|问问|质疑)+")
_BOILER_TAIL = re.compile(r"(的问题|问题|的情况|情况|的投诉|的建议|的咨询|的请求|一事)+$")

LEAD_CHARS = 48


def clean(text: str | None) -> str:
    """Text without whitespace runs or zero-width characters, a masked number ([手机号] …) a comma: never part of
    a subject, an anchor or a shared n-gram."""
    return _WS.sub("", drop_masked(text or "")).strip("，")


def lead(title: str | None, text: str | None, chars: int = LEAD_CHARS) -> str:
    """The part of a document that names its subject: the title, else the start of the text."""
    t = clean(title)
    return (t if t else clean(text))[:chars]


def grams(s: str, lo: int = 2, hi: int = 10) -> set[str]:
    """Character n-grams of ``s`` that do not cross punctuation."""
    out: set[str] = set()
    for piece in _PUNCT.split(s):
        n = len(piece)
        for size in range(lo, min(hi, n) + 1):
            for i in range(n - size + 1):
                out.add(piece[i:i + size])
    return out


def document_frequency(leads: Sequence[str]) -> Counter:
    """How many leads contain each n-gram."""
    df: Counter = Counter()
    for s in leads:
        df.update(grams(s))
    return df


def _oov_run(g: str, tokenize) -> bool:
    """True when ``g`` holds two consecutive characters the dictionary does not know as words (a proper name)."""
    run = 0
    for tok in tokenize(g):
        if len(tok) == 1 and "\u4e00" <= tok <= "\u9fff" and tok not in _FUNCTION_CHARS:
            run += 1
            if run >= 2:
                return True
        else:
            run = 0
    return False


_ENTITY_CACHE: dict[tuple[str, bool], bool] = {}


def is_entity(g: str, tokenize=None) -> bool:
    """Whether an n-gram names something concrete: a place or organisation name, a numbered line or case."""
    key = (g, tokenize is not None)
    hit = _ENTITY_CACHE.get(key)
    if hit is None:
        hit = _ENTITY_CACHE[key] = _is_entity(g, tokenize)
        if len(_ENTITY_CACHE) > 200_000:
            _ENTITY_CACHE.clear()
    return hit


def _is_entity(g: str, tokenize) -> bool:
    core = _ADMIN.sub("", g)
    if len(core) < 2 or _DATEISH.search(core):
        return False
    if re.search(r"[A-Za-z0-9]", core) and re.search(r"[\u4e00-\u9fff]", core):
        return True
    if core[0] in _BAD_LEAD or PLACE_SUFFIX.match(core):
        return False
    for m in PLACE_SUFFIX.finditer(core):
        if m.start() >= 2 and m.end() == len(core):
            return True
    return tokenize is not None and len(core) >= 3 and _oov_run(core, tokenize)


def find_anchors(
    member_leads: Sequence[str],
    df: Counter,
    n_docs: int,
    *,
    tokenize=None,
    min_coverage: float = 0.5,
    limit: int = 3,
) -> list[tuple[str, float]]:
    """Entity n-grams most members share and few other documents use, best first, with the share of members
    naming each (at most ``limit``, none contained in another).

    Candidates must appear in at least ``min_coverage`` of the members (and two of them), and at least half of
    all documents that use them must be members (otherwise the n-gram is a common phrase, not this group's)."""
    m = len(member_leads)
    if m < 2:
        return []
    counts: Counter = Counter()
    for s in member_leads:
        counts.update(grams(s, lo=3))
    need = max(2, min_coverage * m)
    candidates = []
    for g, c in counts.items():
        if c < need:
            continue
        total = df.get(g, c)
        if c / max(total, 1) < 0.5 and total > max(3, 0.005 * n_docs):
            continue
        ends = bool(PLACE_END.search(g))
        candidates.append(((c, ends, len(g), g), g))
    out: list[tuple[str, float]] = []
    for key, g in sorted(candidates, reverse=True):
        if any(g in a or a in g for a, _ in out) or not is_entity(g, tokenize):
            continue
        out.append((g, key[0] / m))
        if len(out) >= limit:
            break
    return out


def find_anchor(member_leads: Sequence[str], df: Counter, n_docs: int, *, tokenize=None) -> tuple[str | None, float]:
    """The best of ``find_anchors`` (``None`` when the members name nothing in common)."""
    found = find_anchors(member_leads, df, n_docs, tokenize=tokenize, limit=1)
    return found[0] if found else (None, 0.0)


_WORDISH = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def display_anchor(g: str, member_leads: Sequence[str], share: float = 0.7, steps: int = 3) -> str:
    """Grow an anchor by the character that follows (or precedes) it in most of its occurrences, so that
    '58车' reads '58车贷' and '茶场村' reads '西湖街道茶场村' (at most ``steps`` characters each way)."""
    for _ in range(2 * steps):
        nxt: Counter = Counter()
        prv: Counter = Counter()
        occurrences = 0
        for s in member_leads:
            for piece in _PUNCT.split(s):
                i = piece.find(g)
                if i < 0:
                    continue
                occurrences += 1
                if i + len(g) < len(piece):
                    nxt[piece[i + len(g)]] += 1
                if i > 0:
                    prv[piece[i - 1]] += 1
        grown = False
        for counter, right in ((nxt, True), (prv, False)):
            if counter:
                ch, c = counter.most_common(1)[0]
                # past a place suffix ('丽发新城|小区') only when nearly every occurrence goes on ('诺亚山|林')
                need = 0.9 if right and PLACE_END.search(g) else share
                if c >= need * occurrences and _WORDISH.match(ch) and ch not in "的了":
                    g = g + ch if right else ch + g
                    grown = True
                    break
        if not grown:
            break
    return g


def topic_title(subject: str, anchor: str | None, limit: int = 60) -> str:
    """A topic's title from its most central subject: leading verbs and end punctuation dropped, and the anchor
    put in front when the subject does not name it ('58车贷：A4区公安派出所对…办案的进度')."""
    s = clean(subject).strip("，。、？！?!:：；; ")
    s = _BOILER_HEAD.sub("", s) or s
    name = bare_anchor(anchor)
    if name and name not in s:
        # an anchor that holds the whole subject ('建议208路城乡公交增加班次') is said once, not twice
        s = name if s in name else f"{name}：{s}"
    return s[:limit]


def bare_anchor(anchor: str | None) -> str | None:
    """An anchor as a title names it: without a leading verb ('建议208路…' → '208路…') or end punctuation."""
    if not anchor:
        return anchor
    a = clean(anchor).strip("，。、？！?!:：；; ")
    return (_BOILER_HEAD.sub("", a) or a) or None


def issue_phrase(subject: str, anchor: str | None, limit: int = 28) -> str:
    """What a subject says about its anchor: the subject without the anchor, admin prefixes and filler."""
    s = clean(subject)
    if anchor:
        s = s.replace(anchor, "|")
    s = _ADMIN.sub("", s)
    parts = [p for p in re.split(r"[|]", s) if p]
    s = max(parts, key=len) if parts else ""
    s = _BOILER_HEAD.sub("", s.strip("，。、？！?!:：；; ").lstrip("的"))
    s = _BOILER_TAIL.sub("", s).strip("，。、？！?!:：；; ")
    return s[:limit]
