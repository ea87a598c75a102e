"""Who rates and when: users and their (fake) certificate numbers, channels, times of day, acceptance times."""

from __future__ import annotations

import numpy as np

from etl.demo.city import CC_W, CITY, CODE_CHARS, ID_CHECK, ID_W, SURNAMES, City
from etl.demo.columns import as_chars, char_mat, digits, fmt_ts

OUTSIDE_REGIONS = ["430102", "430521", "510104", "440305", "330106", "420106", "360102", "450103", "522101"]
BUSINESSES = ["商贸", "建材", "餐饮", "科技", "物流", "建筑工程", "电子商务", "医药", "农业开发", "文化传媒", "汽车服务",
              "装饰工程", "食品", "教育咨询", "物业管理", "服装"]
SHOPS = ["便利店", "餐馆", "理发店", "五金店", "水果店", "服装店", "药房", "修车铺", "早餐店", "烟酒店"]
_LUT = np.frombuffer(CODE_CHARS.encode(), dtype=np.uint8)


def users(rng, city: City, area: np.ndarray, legal_share: np.ndarray) -> dict:
    """userProp, masked userName and certKeyGOV (ID number or credit code, shaped and check-summed, all fake)."""
    n = len(area)
    prop = np.where(rng.random(n) < legal_share, 2, 1).astype(np.int8)
    regions = as_chars(city.region_codes + OUTSIDE_REGIONS)
    home = np.where(area == 0, rng.integers(1, len(city.region_codes), n), area)
    cert = np.empty((n, 18), dtype=np.uint8)
    person = np.flatnonzero(prop == 1)
    k = len(person)
    reg = np.where(rng.random(k) < 0.8, home[person], rng.integers(1, len(regions), k))
    born = fmt_ts((rng.integers(0, 20_800, k) - 7305) * 86_400)[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    body = char_mat([regions[reg], born, digits(rng.integers(1, 1000, k), 3)])
    check = np.frombuffer(ID_CHECK.encode(), dtype=np.uint8)[((body - 48).astype(np.int32) @ ID_W) % 11]
    cert[person] = char_mat([body, check[:, None]])
    firm = np.flatnonzero(prop == 2)
    k = len(firm)
    org_p = np.r_[np.full(10, 3.0), np.ones(21)]
    head = np.where(rng.random(k) < 0.4, 2, 1)[:, None]
    cbody = np.hstack([np.full((k, 1), 9), head, regions[home[firm]] - 48, rng.choice(31, (k, 9), p=org_p / org_p.sum())])
    ccheck = (31 - (cbody.astype(np.int32) @ np.array(CC_W)) % 31) % 31
    cert[firm] = char_mat([_LUT[cbody], _LUT[ccheck][:, None]])
    n_people = 3 * len(SURNAMES)
    name = np.where(prop == 1, rng.integers(0, n_people, n), n_people + rng.integers(0, len(name_pool(city)) - n_people, n))
    return {"prop": prop, "name": name, "cert": cert}


def name_pool(city: City) -> list[str]:
    """Masked user names: people first (张*, 张**), then firms and shops."""
    return ([s + "*" * k for s in SURNAMES for k in (1, 2, 2)]
            + [f"{CITY}{'*' * k}{b}有限公司" for b in BUSINESSES for k in (2, 3)]
            + [f"{r}**{s}" for r in city.region_names[1:] for s in SHOPS])


def comment_ctx(city: City, s: int, area: int, online: bool) -> dict:
    """Slot values for comments about one service in one region."""
    hall = city.halls[area]
    halls = [hall, "大厅", "政务中心", "办事大厅"] if area else [hall, "市民中心", "大厅", "市政务服务中心"]
    return {"svc": city.svc[s]["alias"], "hall": halls, "online": online,
            "region": city.region_codes[area] if area else "439902"}


def channels(rng, online: np.ndarray, s_idx: np.ndarray, off_day: np.ndarray) -> np.ndarray:
    """pf codes (Zhejiang: 6 短信, 7 系统默认评价) by each service's online share; halls mostly shut on days off."""
    o = online[:, None]
    default = 0.10 + 0.08 * ((np.arange(len(online)) * 37) % 10 / 10)[:, None]
    hall = 1 - o
    p = np.hstack([o * 0.25, o * 0.75, hall * 0.10, hall * 0.70, hall * 0.12, hall * 0.08]) * (1 - default)
    cum = np.cumsum(np.hstack([p, default]), axis=1)
    ch = np.minimum(1 + (rng.random(len(s_idx))[:, None] > cum[s_idx]).sum(axis=1), 7)
    moved = off_day & np.isin(ch, (3, 4, 5, 6)) & (rng.random(len(ch)) < 0.75)
    ch[moved] = 2
    return ch.astype(np.int8)


def time_of_day(rng, ch: np.ndarray) -> np.ndarray:
    """Seconds after midnight: office hours in halls, evenings online, night batches for default ratings."""
    n = len(ch)
    morning = rng.random(n) < 0.55
    hall = np.where(morning, rng.normal(10.2, 0.9, n).clip(8.5, 11.95), rng.normal(15.3, 1.0, n).clip(13.5, 17.5))
    hw = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 9, 10, 9, 6, 6, 8, 9, 8, 7, 6, 6, 7, 7, 5, 3], dtype=float)
    online = rng.choice(24, n, p=hw / hw.sum()) + rng.random(n)
    hours = np.where(np.isin(ch, (1, 2)), online, hall)
    hours = np.where(ch == 6, rng.uniform(9, 21, n), hours)
    hours = np.where(ch == 7, rng.uniform(0, 3, n), hours)
    return (hours * 3600).astype(np.int64)


def accept_times(rng, ts, ch, promise_days, overdue) -> tuple[np.ndarray, np.ndarray]:
    """acceptDate and promiseTime (epoch seconds) before each rating; overdue cases finish past the promise."""
    n = len(ts)
    finish = ts - np.where(ch == 7, 7 * 86_400 + rng.integers(0, 6 * 3600, n), 0)
    finish = finish - np.where(ch == 6, rng.integers(600, 6 * 3600, n), 0)
    span = np.ceil(promise_days * 1.4).astype(np.int64)
    dur = np.where(span == 0, rng.integers(300, 7200, n), (span * 86_400 * rng.beta(2, 3, n)).astype(np.int64))
    late = (span * 86_400 * (1.1 + 0.9 * rng.random(n))).astype(np.int64) + 2 * 86_400
    dur = np.where(overdue & (span > 0), late, dur)
    day0 = (finish - dur) // 86_400 * 86_400
    office = np.minimum(day0 + rng.integers(int(8.6 * 3600), int(17.4 * 3600), n), finish - 300)
    accept = np.where(span == 0, finish - dur, office)
    promise = accept // 86_400 * 86_400 + span * 86_400 + int(17.5 * 3600)
    return accept, promise
