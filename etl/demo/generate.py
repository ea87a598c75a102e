"""Generate a demo year of 好差评 ratings (national interface, Zhejiang profile) and 12345 messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from etl.demo import city as dc
from etl.demo import columns as cols
from etl.demo import dates, places, planted, topics
from etl.demo import people as ppl
from etl.demo import text as dt_
from etl.demo.dates import DEFAULT_END, period
from etl.demo.planted import planted_plan
from etl.demo.text import Composer

__all__ = ["DEFAULT_END", "MSG_COLUMNS", "NATIONAL_COLUMNS", "DemoData", "generate", "period", "planted_plan",
           "region_names", "write_demo"]
NATIONAL_COLUMNS = ["projectNo", "taskCode", "taskName", "subMatter", "deptCode", "proDepart", "areaCode", "pf",
                    "satisfaction", "evalDetail", "writingEvaluation", "assessTime", "assessNumber", "userProp",
                    "userName", "certKeyGOV", "proManager", "acceptDate", "promiseTime"]
TEXT_P = np.array([0.0, 0.88, 0.82, 0.35, 0.06, 0.028])  # by level
HIDDEN_P = np.array([0.0, 0.0, 0.0, 0.0, 0.004, 0.0012])
FOLLOW_UP_SHARE = 0.003
DAY = 86_400


@dataclass
class DemoData:
    """The generated ratings and messages, and the plan of planted problems (with dates for this end)."""

    ratings: pd.DataFrame
    messages: pd.DataFrame
    planted: list[dict]


def generate(rows: int = 200_000, seed: int = 7, end: dt.date = DEFAULT_END, messages: int | None = None) -> DemoData:
    """A deterministic demo year: same seed and arguments, identical frames."""
    city = dc.build_city()
    plan = planted_plan(end)
    first, last = period(end)
    rng = np.random.default_rng(seed)
    composer = Composer(seed)
    ratings = _ratings(city, rng, composer, rows, first, last, plan)
    n_msg = messages if messages is not None else int(np.clip(rows // 50, 300, 3000))
    msgs = _messages(city, rng, composer, n_msg, first, last, plan)
    return DemoData(ratings, msgs, plan)


def write_demo(out_dir: Path, rows: int = 200_000, seed: int = 7, end: dt.date = DEFAULT_END) -> list[Path]:
    """Write ratings_zhejiang.csv (UTF-8) and messages_12345.csv (UTF-8 with BOM); return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = generate(rows=rows, seed=seed, end=end)
    r_path, m_path = out_dir / "ratings_zhejiang.csv", out_dir / "messages_12345.csv"
    data.ratings.to_csv(r_path, index=False, encoding="utf-8")
    data.messages.to_csv(m_path, index=False, encoding="utf-8-sig")
    return [r_path, m_path]


def region_names() -> list[tuple[str, str]]:
    """(code, name) of the demo city's regions, for the region-names file (feedback.regions)."""
    return [(code, name) for code, name, *_ in dc.REGIONS]


def _ratings(city: dc.City, rng, composer: Composer, rows: int, first: dt.date, last: dt.date, plan) -> pd.DataFrame:
    svc = city.svc
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    dw, kinds = dates.day_weights(days)
    month = np.array([d.month for d in days])
    season = np.array([[dc.SEASON.get(s["name"], {}).get(m, 1.0) for m in month] for s in svc])
    joint = np.array([s["vol"] for s in svc])[:, None] * dw[None, :] * season
    n0 = rows - int(round(rows * FOLLOW_UP_SHARE))
    pick = rng.choice(joint.size, size=n0, p=(joint / joint.sum()).ravel())
    a = {"svc": pick // len(days), "day": pick % len(days)}
    s_idx, d_idx = a["svc"], a["day"]
    col = {k: np.array([s[k] for s in svc]) for k in ("diff", "online", "legal", "days", "city_share", "dept")}
    dist = rng.choice(np.arange(1, len(city.region_codes)), size=n0, p=city.district_p[1:])
    a["area"] = np.where(rng.random(n0) < col["city_share"][s_idx], 0, dist)
    a["ch"] = ppl.channels(rng, col["online"], s_idx, kinds[d_idx] > 0)
    a["dept"] = col["dept"][s_idx]
    a["level"], a["cat"], a["hidden"], a["pid"], overdue = _levels(rng, city, a, col, plan, first)
    a["ts"] = dates.start_ts(first) + d_idx * DAY + ppl.time_of_day(rng, a["ch"])
    a["accept"], a["promise"] = ppl.accept_times(rng, a["ts"], a["ch"], col["days"][s_idx], overdue)
    a["seq"] = rng.permutation(n0)
    a.update(ppl.users(rng, city, a["area"], col["legal"][s_idx]))
    a["staff"] = rng.integers(0, city.staff.shape[2], n0)
    a["staff"][a["pid"] == _pid_index(plan, "P4_baisha_staff_attitude")] = 0
    a["number"] = np.ones(n0, dtype=np.int8)
    a["tone"] = np.zeros(n0, dtype=np.int8)  # 0 by level, 1 fixed, 2 unfixed, 3 later
    _follow_ups(rng, a, rows - n0, dates.start_ts(last + dt.timedelta(days=1)) - 1)
    order = np.argsort(a["ts"], kind="stable")
    a = {k: v[order] for k, v in a.items()}
    tags, texts = _tags_and_texts(rng, composer, city, a, plan)
    return _frame(city, a, tags, texts)


def _pid_index(plan, pid: str) -> int:
    return next((i for i, p in enumerate(plan) if p["id"] == pid), -2)


def _levels(rng, city, a, col, plan, first: dt.date):
    n = len(a["svc"])
    s_idx, ch, day = a["svc"], a["ch"], a["day"]
    diff = col["diff"][s_idx]
    p_bad = (0.0004 + 0.003 * diff**1.5) * planted.CH_BAD[ch]
    p3 = (0.004 + 0.016 * diff) * (ch != 7)
    p4 = (0.02 + 0.06 * diff) * (ch != 7)
    x_bad, x3, x_hid = np.zeros(n), np.zeros(n), np.zeros(n)
    pid = np.full(n, -1, dtype=np.int16)
    overdue = np.zeros(n, dtype=bool)
    for k, p in enumerate(plan):
        eff = planted.EFFECTS.get(p["id"])
        if eff is None or p["kind"] != "rating":
            continue
        s = (dt.date.fromisoformat(p["start"]) - first).days
        e = (dt.date.fromisoformat(p["end"]) - first).days
        m = (a["dept"] == city.dept_index(p["department"])) & (day >= s) & (day <= e) & (ch != 7)
        if p.get("service"):
            m &= s_idx == city.service_index(p["service"])
        if p.get("areaCode"):
            m &= a["area"] == city.region_codes.index(p["areaCode"])
        if p.get("channels"):
            m &= np.isin(ch, p["channels"])
        frac = (day[m] - s) / max(e - s, 1) if eff.ramp else 1.0
        x_bad[m] += eff.bad * frac
        x3[m] += eff.basic * frac
        x_hid[m] += eff.hidden * frac
        pid[m] = k
        if eff.overdue:
            overdue[m] = rng.random(int(m.sum())) < 0.35
    u = rng.random(n)
    bad = p_bad + x_bad
    level = np.full(n, 5, dtype=np.int8)
    level[u < bad + p3 + x3 + p4] = 4
    level[u < bad + p3 + x3] = 3
    level[u < bad] = np.where(rng.random(int((u < bad).sum())) < 0.45, 1, 2)
    level[ch == 7] = 5
    hidden = (level >= 3) & (ch != 7) & (rng.random(n) < HIDDEN_P[level] + x_hid)
    cat = np.full(n, -1, dtype=np.int8)
    need = (level <= 3) | hidden
    w = planted.category_weights(col)[s_idx[need]] * planted.CH_CAT[ch[need]]
    cum = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    cat[need] = np.minimum((rng.random(int(need.sum()))[:, None] > cum).sum(axis=1), len(planted.CATEGORIES) - 1)
    share = np.where(level <= 2, x_bad / np.maximum(bad, 1e-12),
                     np.where(level == 3, 0.9 * x3 / np.maximum(p3 + x3, 1e-12),
                              x_hid / np.maximum(HIDDEN_P[level] + x_hid, 1e-12)))
    planted_cat = need & (pid >= 0) & (rng.random(n) < share)
    pcat = np.array([planted.CATEGORIES.index(p["category"]) if p.get("category") else -1 for p in plan])
    cat[planted_cat] = pcat[pid[planted_cat]]
    pid[~planted_cat] = -1
    overdue |= (cat == 0) & ((level <= 3) | hidden)
    return level, cat, hidden, pid, overdue


def _follow_ups(rng, a: dict, k: int, end_ts: int) -> None:
    """Append 追评: second ratings of the same 办件, mostly after bad ones."""
    if k <= 0:
        return
    w = np.where(a["ch"] == 7, 0.0, 1.0 + 40.0 * (a["level"] <= 2) + 2.0 * (a["level"] == 3))
    src = rng.choice(len(w), size=k, replace=False, p=w / w.sum())
    new = {key: v[src].copy() for key, v in a.items()}
    delay = rng.integers(DAY, 15 * DAY, k)
    # one to fifteen days later; a 追评 that would fall after the year's end comes as far into what is left of it
    # (clamped to the last second, every late one would sit at 23:59:59 on top of 评价明细)
    room = np.maximum(end_ts - new["ts"], 0)
    new["ts"] = np.where(new["ts"] + delay > end_ts, new["ts"] + room * (delay - DAY) // (14 * DAY), new["ts"] + delay)
    was_bad = new["level"] <= 2
    fixed = was_bad & (rng.random(k) < 0.55)
    new["tone"] = np.where(fixed, 1, np.where(was_bad, 2, 3)).astype(np.int8)
    new["level"] = np.where(fixed, rng.choice([4, 5], k), np.where(was_bad, new["level"], 5)).astype(np.int8)
    new["cat"] = np.where(was_bad & ~fixed, planted.CATEGORIES.index("complaint_handling"), -1).astype(np.int8)
    new["hidden"][:] = False
    new["pid"][:] = -1
    new["number"][:] = 2
    for key in a:
        a[key] = np.concatenate([a[key], new[key]])


def _tags_and_texts(rng, composer: Composer, city, a, plan):
    n = len(a["level"])
    level, ch = a["level"], a["ch"]
    tags = np.full(n, "", dtype=object)
    online_grp = np.isin(ch, (1, 2))
    for lv, p_tag in ((5, 0.45), (4, 0.40)):
        for grp in (True, False):
            m = (level == lv) & (online_grp == grp) & (ch != 7) & (rng.random(n) < p_tag)
            pool = dt_.tag_pool(lv, grp)
            tags[m] = pool[rng.integers(0, len(pool), int(m.sum()))]
    want = (ch != 7) & ((rng.random(n) < TEXT_P[level]) | a["hidden"] | (a["tone"] > 0))
    want &= ~((a["tone"] == 3) & (rng.random(n) < 0.4))
    texts = np.full(n, "", dtype=object)
    loop = np.flatnonzero(want | (level <= 3))
    r = composer.r
    ctx_cache: dict = {}
    for i in loop:
        lv, c, grp = int(level[i]), int(a["cat"][i]), bool(online_grp[i])
        cat = planted.CATEGORIES[c] if c >= 0 else None
        if lv <= 3:
            tags[i] = dt_.problem_tags(r, lv, cat, grp)
        if not want[i]:
            continue
        key = (int(a["svc"][i]), int(a["area"][i]), grp)
        ctx = ctx_cache.get(key) or ctx_cache.setdefault(key, ppl.comment_ctx(city, *key))
        tone = int(a["tone"][i])
        pid = plan[a["pid"][i]]["id"] if a["pid"][i] >= 0 else None
        if tone:
            texts[i] = composer.comment(("", "fixed", "unfixed", "later")[tone], cat, ctx)
        elif lv <= 2:
            texts[i] = composer.comment("complaint", cat, ctx, pid)
        elif cat is not None and (a["hidden"][i] or lv == 3 and r.random() < 0.6):
            texts[i] = composer.comment("hidden", cat, ctx, pid)
        else:
            texts[i] = composer.comment("neutral" if lv == 3 else "praise", None, ctx)
    return tags, texts


def _frame(city, a, tags, texts) -> pd.DataFrame:
    svc, s_idx, area, dept = city.svc, a["svc"], a["area"], a["dept"]
    subs = [s["subs"] or [""] for s in svc]
    n_subs = np.array([len(x) for x in subs])
    offs = np.concatenate([[0], np.cumsum(n_subs)[:-1]])
    sub_i = offs[s_idx] + (a["seq"] * 7919 % 1000 * n_subs[s_idx] // 1000)
    num = [str(i) for i in range(8)]
    accept = cols.fmt_ts(a["accept"])
    project = cols.char_mat([cols.as_chars(city.region_codes)[area], accept[:, [0, 1, 2, 3, 5, 6, 8, 9]],
                           cols.digits(a["seq"], 7)])
    staff = (dept * city.staff.shape[1] + area) * city.staff.shape[2] + a["staff"]
    return pd.DataFrame({
        "projectNo": cols.str_col(project),
        "taskCode": cols.take_col([s["code"] for s in svc], s_idx),
        "taskName": cols.take_col([s["name"] for s in svc], s_idx),
        "subMatter": cols.take_col([x for xs in subs for x in xs], sub_i),
        "deptCode": cols.take_col(city.dept_codes, dept),
        "proDepart": cols.take_col(city.dept_names, dept),
        "areaCode": cols.take_col(city.region_codes, area),
        "pf": cols.take_col(num, a["ch"]),
        "satisfaction": cols.take_col(num, a["level"]),
        "evalDetail": pd.Series(tags, dtype="str"),
        "writingEvaluation": pd.Series(texts, dtype="str"),
        "assessTime": cols.str_col(cols.fmt_ts(a["ts"])),
        "assessNumber": cols.take_col(num, a["number"]),
        "userProp": cols.take_col(num, a["prop"]),
        "userName": cols.take_col(ppl.name_pool(city), a["name"]),
        "certKeyGOV": cols.str_col(a["cert"]),
        "proManager": cols.take_col(city.staff.ravel(), staff),
        "acceptDate": cols.str_col(accept),
        "promiseTime": cols.str_col(cols.fmt_ts(a["promise"])),
    })


MSG_COLUMNS = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "点赞数", "反对数", "答复意见", "答复时间"]
PLACE_KIND_W = {"estate": 0.40, "road": 0.22, "school": 0.12, "market": 0.08, "bus": 0.12, "park": 0.06}


def _messages(city, rng, composer: Composer, n: int, first: dt.date, last: dt.date, plan) -> pd.DataFrame:
    """12345 / message-board posts: one concrete problem at one place each, plus the planted recurring ones."""
    r = composer.r
    t0, t_end = dates.start_ts(first), dates.start_ts(last + dt.timedelta(days=1)) - 1
    n_days = (last - first).days + 1
    district = {p[0]: p[2] for p in places.PLACES}
    items = []  # (ts, subject, detail, topic, ctx, hot rank or -1)
    for p in plan:
        if p["id"] not in topics.HOT:
            continue
        hot = p["kind"] == "message"
        k = min(int(np.clip(n // 60, 15, 50)), n // 4) if hot else min(6, n // 20)
        s, e = ((dt.date.fromisoformat(p[x]) - first).days for x in ("start", "end"))
        ts = np.sort(t0 + rng.integers(max(s, 0), e + 1, k) * DAY + rng.integers(7 * 3600, 23 * 3600, k))
        place = p["place"] or dc.APP
        for rank, t in enumerate(ts):
            ctx = {"place": place, "district": district.get(place, r.choice(city.region_names[1:]))}
            subj, det = dt_.compose_message(composer, topics.HOT[p["id"]], "hot" if hot else "online", ctx)
            items.append((int(t), subj, det, topics.HOT[p["id"]], ctx, rank / k if hot else 0.3 + 0.7 * rank / k))
    kinds = list(PLACE_KIND_W)
    by_kind = {k: [pl for pl in places.PLACES if pl[1] == k] for k in kinds}
    dw = np.where(np.array([d.weekday() for d in (first + dt.timedelta(days=i) for i in range(n_days))]) >= 5, .7, 1)
    n_bg = max(n - len(items), 0)
    days = rng.choice(n_days, n_bg, p=dw / dw.sum())
    hw = np.array([.3, .1, .1, .1, .1, .2, .5, 2, 4, 6, 6, 5, 3, 3, 4, 5, 5, 4, 3, 4, 5, 5, 4, 2], dtype=float)
    secs = rng.choice(24, n_bg, p=hw / hw.sum()) * 3600 + rng.integers(0, 3600, n_bg)
    kind_i = rng.choice(len(kinds), n_bg, p=np.array(list(PLACE_KIND_W.values())))
    for d, sec, ki in zip(days, secs, kind_i, strict=True):
        kind = kinds[ki]
        place, _, dist = r.choice(by_kind[kind])
        topic = r.choice(topics.TOPICS[kind])
        ctx = {"place": place, "district": dist}
        subj, det = dt_.compose_message(composer, topic, kind, ctx)
        items.append((int(t0 + d * DAY + sec), subj, det, topic, ctx, -1.0))
    items.sort(key=lambda x: x[0])
    m = len(items)
    ts = np.array([x[0] for x in items], dtype=np.int64)
    rank = np.array([x[5] for x in items])
    likes = rng.geometric(0.6, m) - 1
    likes = np.where(rng.random(m) < 0.03, rng.integers(5, 45, m), likes)
    likes = np.where(rank >= 0, np.where(rank < 0.3, rng.integers(60, 420, m), rng.integers(3, 90, m)), likes)
    against = np.where(rng.random(m) < 0.07, rng.integers(1, 4, m), 0)
    age = (t_end - ts) / DAY
    reply_ts = (ts + rng.integers(2, 21, m) * DAY) // DAY * DAY + rng.integers(9 * 3600, int(17.5 * 3600), m)
    answered = (rng.random(m) < np.clip(0.15 + age / 35, 0, 0.95)) & (reply_ts <= t_end)
    users = [f"A{u:09d}" for u in rng.integers(10_000, 300_000_000, m)]
    ids = 300_000 + np.cumsum(rng.integers(1, 40, m))
    out = {c: [] for c in MSG_COLUMNS}
    for i, (t, subj, det, topic, ctx, _) in enumerate(items):
        reply = ""
        if answered[i]:
            rctx = {**ctx, "user": users[i], "subject": subj, "dept": dc.CITY + topic["dept"]}
            reply = dt_.compose_reply(composer, topic, rctx)
        for c, v in zip(MSG_COLUMNS, (str(ids[i]), users[i], subj, _slash_time(t), det, str(likes[i]),
                                      str(against[i]), reply, _slash_time(reply_ts[i]) if reply else ""),
                        strict=True):
            out[c].append(v)
    return pd.DataFrame(out, dtype="str")


def _slash_time(ts: int) -> str:
    t = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(ts))
    return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}:{t.second:02d}"
