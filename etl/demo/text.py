"""The composers that turn the phrase fragments into demo rating comments, evaluation tags and 12345 messages."""

from __future__ import annotations

import random
import re
from functools import lru_cache

import numpy as np

from etl.demo.city import ID_CHECK, ID_W
from etl.demo.phrases import (
    ANGER,
    CAT_TAGS,
    CLOSE_GOOD,
    CONTRADICTS,
    CORE,
    DETAIL,
    DIALECT,
    DIALECT_TAIL,
    FIXED,
    GOOD_WEIGHTS,
    HIDDEN_OPEN,
    L3_EXCLUDE,
    LATER_GOOD,
    MISCLICK,
    MIXED_JOIN,
    NEUTRAL,
    OPEN_BAD,
    OPEN_GOOD,
    PII,
    PLANTED_CORE,
    PRAISE,
    SHORT_BAD,
    SHORT_GOOD,
    SLOTS,
    TAGS,
    TYPOS,
    UNFIXED,
    WISH,
)
from etl.demo.topics import CLOSE_MSG, GREET, INTRO, MSG_SLOTS, REPLY_HEAD, REPLY_TAIL, SINCE, TRIED

_SLOT = re.compile(r"\{(\w+)\}")


def _sep(online: bool) -> str:
    return "," if online else "|"


@lru_cache(maxsize=8)
def tag_pool(level: int, online: bool) -> np.ndarray:
    """400 plausible tag strings for good ratings, to be drawn by index (vectorised)."""
    r = random.Random(level * 10 + online)
    codes, w = TAGS[level], GOOD_WEIGHTS[(level, online)]
    out = []
    for _ in range(400):
        k = r.choice([1, 1, 1, 2, 2, 3])
        picked: list[int] = []
        while len(picked) < k:
            c = r.choices(codes, w)[0]
            if c not in picked:
                picked.append(c)
        out.append(_sep(online).join(map(str, picked)))
    return np.array(out, dtype=object)


def problem_tags(r: random.Random, level: int, cat: str | None, online: bool) -> str:
    """Tags of a 基本满意 or 差评 rating, consistent with its level and (when known) the complaint category."""
    if level == 3:
        if cat == "staff_attitude":
            return "314"
        pool = [c for c in TAGS[3][:-1] if c not in L3_EXCLUDE.get(cat or "", set())]
        return "" if r.random() < 0.35 else _sep(online).join(map(str, r.sample(pool, r.choice([1, 1, 2]))))
    if r.random() < 0.1:
        return ""
    first = r.choice(CAT_TAGS[cat][level - 1]) if cat in CAT_TAGS else r.choice(TAGS[level])
    out = [first]
    if r.random() < 0.3:
        extra = r.choice(TAGS[level])
        if extra != first:
            out.append(extra)
    return _sep(online).join(map(str, out))


def fake_phone(r: random.Random) -> str:
    return "1" + r.choice("3456789") + "".join(r.choice("0123456789") for _ in range(9))


def fake_id(r: random.Random, region: str = "439902") -> str:
    body = region + f"{r.randint(1950, 2005)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(1, 999):03d}"
    return body + ID_CHECK[sum(int(c) * int(w) for c, w in zip(body, ID_W, strict=True)) % 11]


class Composer:
    """Builds one comment at a time from fragments; all randomness comes from one seeded random.Random."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def fill(self, text: str, ctx: dict) -> str:
        r = self.r

        def sub(m: re.Match) -> str:
            key = m.group(1)
            if key in ctx:
                v = ctx[key]
                return r.choice(v) if isinstance(v, list) else v
            if key == "phone":
                return fake_phone(r)
            if key == "idno":
                return fake_id(r, ctx.get("region", "439902"))
            return r.choice(SLOTS[key])

        return _SLOT.sub(sub, text)

    def _complaint_clauses(self, cat: str, planted: str | None, k: int) -> list[str]:
        r = self.r
        pool = PLANTED_CORE[planted] if planted in PLANTED_CORE and r.random() < 0.8 else CORE[cat]
        out = r.sample(pool, min(k, len(pool)))
        if cat in DETAIL and r.random() < 0.45:
            out.append(r.choice(DETAIL[cat]))
        return out

    def _open(self, table: dict, ctx: dict) -> str:
        r = self.r
        return r.choice(table["online" if ctx.get("online") else "hall"] if r.random() < 0.4 else table["any"])

    def comment(self, tone: str, cat: str | None, ctx: dict, planted: str | None = None) -> str:
        r = self.r
        if tone == "praise":
            text = self._praise(ctx)
        elif tone == "neutral":
            text = r.choice(NEUTRAL)
        elif tone == "complaint":
            text = self._complaint(cat or "timeliness", ctx, planted)
        elif tone == "hidden":
            text = self._hidden(cat or "timeliness", ctx, planted)
        else:
            text = r.choice({"fixed": FIXED, "unfixed": UNFIXED, "later": LATER_GOOD}[tone])
        return self._polish(self.fill(text, ctx), ctx, tone in ("complaint", "hidden", "unfixed"))

    def _praise(self, ctx: dict) -> str:
        r = self.r
        if r.random() < 0.45:
            return r.choice(SHORT_GOOD)
        aspects = ["online", "speed", "general"] if ctx.get("online") else ["staff", "speed", "guide", "general"]
        parts = [r.choice(PRAISE[a]) for a in r.sample(aspects, r.choice([1, 1, 2, 2, 3]))]
        text = self._open(OPEN_GOOD, ctx) + "，".join(parts)
        close = r.choice(CLOSE_GOOD)
        return text + ("，" + close if close else "")

    def _complaint(self, cat: str, ctx: dict, planted: str | None) -> str:
        r = self.r
        if r.random() < 0.12 and not planted:
            return r.choice(SHORT_BAD)
        if cat == "policy_or_invalid" and r.random() < 0.4:
            return r.choice(MISCLICK)
        clauses = self._complaint_clauses(cat, planted, r.choice([1, 1, 2, 2, 3, 4]))
        text = self._open(OPEN_BAD, ctx) + "，".join(clauses)
        if r.random() < 0.3:
            anger = [a for a in ANGER if cat == "online_platform" or "系统" not in a]
            text += r.choice(["，", "！", "。"]) + r.choice(anger)
        wish = r.choice(WISH.get(cat, []) + WISH["any"])
        return text + ("。" + wish if wish else "")

    def _hidden(self, cat: str, ctx: dict, planted: str | None) -> str:
        r = self.r
        clauses = self._complaint_clauses(cat, planted, r.choice([1, 1, 2]))
        if r.random() < 0.5:
            return r.choice(HIDDEN_OPEN) + "，".join(clauses)
        aspects = [a for a in ("staff", "speed", "general", "guide") if a != CONTRADICTS.get(cat)]
        good = r.choice(PRAISE[r.choice(aspects)])
        return good + r.choice(MIXED_JOIN) + "，".join(clauses)

    def _polish(self, text: str, ctx: dict, negative: bool) -> str:
        r = self.r
        text = text.replace("，，", "，").strip("，")
        if r.random() < 0.12:
            a, b = r.choice(TYPOS)
            text = text.replace(a, b, 1)
        if r.random() < 0.07:
            usable = [(a, b) for a, b in DIALECT if a in text]
            if usable and r.random() < 0.7:
                text = text.replace(*r.choice(usable), 1)
            else:
                tails = DIALECT_TAIL[:7] + (DIALECT_TAIL[7:11] if negative else DIALECT_TAIL[11:])
                text += r.choice(tails)
        if len(text) > 6 and r.random() < 0.025:
            text = text.rstrip("。！!") + "，" + self.fill(r.choice(PII), ctx)
        u = r.random()
        if u < 0.08:
            text = text.replace("，", " ")
        elif u < 0.12:
            text = text.replace("，", ",")
        if len(text) > 4 and text[-1] not in "。！!?？" and r.random() < 0.3:
            text += r.choice(["。", "！", "!", "!!!", "。。。"])
        return text



def compose_message(c: Composer, topic: dict, kind: str, ctx: dict) -> tuple[str, str]:
    """A subject and a detail text for one message about one concrete problem at one place."""
    r = c.r
    ctx = {**MSG_SLOTS, **ctx}
    subject = c.fill(r.choice(topic["subj"]), ctx)
    parts = [r.choice(GREET), r.choice(INTRO[kind]), r.choice(SINCE)]
    parts.append("，".join(r.sample(topic["core"], r.choice([1, 2, 2, 3]) if len(topic["core"]) > 2 else 1)) + "，")
    parts.append("，".join(r.sample(topic["impact"], min(len(topic["impact"]), r.choice([1, 1, 2])))) + "。")
    if kind == "estate" and r.random() < 0.3:
        parts.append("跟物业反映过很多次都没用。")
    elif kind not in ("hot", "online"):
        parts.append(r.choice(TRIED))
    parts.append(r.choice(topic["ask"]) + r.choice(["。", "！", "，" + r.choice(CLOSE_MSG)]))
    if r.random() < 0.05:
        parts.append(r.choice(["联系电话{phone}。", "我的电话：{phone}，欢迎来现场核实。", "有需要可以打我手机{phone}。"]))
    detail = c.fill("".join(parts), ctx).replace("，，", "，").replace("：，", "：")
    return subject, detail


def compose_reply(c: Composer, topic: dict, ctx: dict) -> str:
    """A government answer to one message."""
    r = c.r
    ctx = {**MSG_SLOTS, **ctx}
    text = r.choice(REPLY_HEAD) + r.choice(topic["answer"]) + "。" + r.choice(REPLY_TAIL)
    return c.fill(text, ctx)
