"""Names of complaint categories for task titles, from the shared taxonomy when it is installed."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

# First-level categories of DOMAIN.md §7: used only while feedback/data/taxonomy.toml is not there.
_FALLBACK_NAMES = {
    "timeliness": "办理时效", "materials": "申报材料", "guide_info": "办事指南与告知",
    "conditions_compliance": "审批条件与依法行政", "trips_process": "跑动与流程",
    "online_platform": "网上办理与系统", "staff_attitude": "服务态度", "staff_competence": "业务能力",
    "queue_onsite": "排队与现场", "access_consultation": "预约咨询与可及性",
    "complaint_handling": "差评处置与回访", "policy_or_invalid": "政策诉求与无效评价", "other": "其他问题",
}


@dataclass(frozen=True)
class Sub:
    slug: str
    name: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Labels:
    names: dict[str, str]  # slug (first or second level) -> Chinese name
    subs: dict[str, tuple[Sub, ...]]  # first-level slug -> its second-level categories

    def name(self, slug: str | None) -> str:
        if not slug:
            return "未分类"
        return self.names.get(slug, slug)

    def subcategory(self, category: str | None, text: str | None) -> str | None:
        """The second-level category whose seed phrases the text names most (``None`` when none matches)."""
        if not category or not text:
            return None
        best, hits = None, 0
        for sub in self.subs.get(category, ()):
            n = sum(1 for p in sub.phrases if p and p in text)
            if n > hits:
                best, hits = sub.slug, n
        return best


def _as_list(value) -> list:
    if isinstance(value, dict):
        return [dict(v, slug=v.get("slug", k)) if isinstance(v, dict) else v for k, v in value.items()]
    return list(value or [])


def _phrases(entry: dict) -> tuple[str, ...]:
    for key in ("phrases", "seeds", "seed_phrases", "keywords", "examples"):
        if key in entry:
            raw = entry[key]
            items = raw if isinstance(raw, list) else re.split(r"[,，、;；\s]+", str(raw))
            return tuple(str(p).strip() for p in items if str(p).strip())
    return ()


def parse_taxonomy(data: dict) -> Labels:
    """Read a taxonomy mapping of first-level categories, each with a name and second-level children."""
    names = dict(_FALLBACK_NAMES)
    subs: dict[str, tuple[Sub, ...]] = {}
    top = data.get("categories", data.get("category", data))
    for entry in _as_list(top):
        if not isinstance(entry, dict) or "slug" not in entry:
            continue
        slug = str(entry["slug"])
        names[slug] = str(entry.get("name", entry.get("name_zh", names.get(slug, slug))))
        children = []
        for key in ("sub", "subs", "children", "subcategories", "second", "level2"):
            for child in _as_list(entry.get(key)):
                if isinstance(child, dict) and "slug" in child:
                    cslug = str(child["slug"])
                    cname = str(child.get("name", child.get("name_zh", cslug)))
                    names[cslug] = cname
                    children.append(Sub(cslug, cname, _phrases(child) or (cname,)))
        subs[slug] = tuple(children)
    return Labels(names, subs)


@functools.lru_cache(maxsize=1)
def labels() -> Labels:
    """Category names and second-level seed phrases (taxonomy.toml when present, else first-level names)."""
    path = Path(__file__).resolve().parent.parent / "data" / "taxonomy.toml"
    if path.exists():
        try:
            return parse_taxonomy(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, TypeError, ValueError):
            pass
    return Labels(dict(_FALLBACK_NAMES), {})


# National tag code -> first-level category (DOMAIN.md §7): the category of a 差评 that has no score yet.
TAG_CATEGORY: dict[str, str] = {
    **dict.fromkeys(("110", "209", "103"), "timeliness"),
    **dict.fromkeys(("109", "101", "210", "203", "207", "208", "201", "202"), "materials"),
    **dict.fromkeys(("113", "114", "105", "204", "104", "106"), "trips_process"),
    **dict.fromkeys(("211", "112", "102"), "online_platform"),
    **dict.fromkeys(("214", "115"), "staff_attitude"),
    "213": "staff_competence",
    **dict.fromkeys(("212", "206", "205"), "queue_onsite"),
    **dict.fromkeys(("108", "107"), "conditions_compliance"),
    "111": "guide_info",
}


def tag_category(tags: str | None) -> str | None:
    """The category of the first complaint tag in a comma- or bar-separated tag list."""
    if not isinstance(tags, str):
        return None
    for code in re.split(r"[,|;，\s]+", tags):
        if code in TAG_CATEGORY:
            return TAG_CATEGORY[code]
    return None
