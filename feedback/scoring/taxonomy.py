"""Complaint taxonomy: load and validate the editable TOML of categories, seed phrases and tag codes; match them."""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from feedback.text.features import normalize, strip_punct, trie_regex

if TYPE_CHECKING:
    from feedback.settings import Settings

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE = re.compile(r"^[1-5]\d\d$")
_TAG_SPLIT = re.compile(r"[,|;，；、\s]+")

# A person's answer that a record's text is no complaint at all (praise or a neutral remark the detector flagged):
# stored as a gold label's category, never a category of the taxonomy (a taxonomy may not use the slug). It takes
# the record out of the complaint figures, trains the detector on it as a non-complaint and the classifier on it
# as text that fits no category; the category agreement and the correction gain leave it out.
NOT_COMPLAINT = "not_complaint"
NOT_COMPLAINT_NAME = "不是投诉"


class TaxonomyError(ValueError):
    """The taxonomy file is malformed; the message names the file and the key path of the mistake."""


@dataclass(frozen=True)
class Subcategory:
    slug: str
    name: str
    parent: str
    phrases: tuple[str, ...]
    exact: tuple[str, ...] = ()
    # regular expressions of whole texts (trimmed, spaces removed) that are this subcategory when the model names
    # no category for them (instead of ``other``)
    fallback_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    subcategories: tuple[Subcategory, ...]


@dataclass(frozen=True)
class TagCode:
    code: str
    name: str
    level: int  # star level the tag belongs to (5 = 非常满意 … 1 = 非常不满意)
    scheme: str  # "v1" (legacy) or "v2" (current)
    category: str | None = None
    subcategory: str | None = None


@dataclass(frozen=True)
class Taxonomy:
    version: str
    categories: tuple[Category, ...]
    tags: dict[str, TagCode]
    other_slug: str = "other"
    other_name: str = "其他问题"
    digest: str = ""
    _subs: dict[str, Subcategory] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        for c in self.categories:
            for s in c.subcategories:
                self._subs[s.slug] = s

    @property
    def slugs(self) -> list[str]:
        """First-level category slugs in file order."""
        return [c.slug for c in self.categories]

    @property
    def subcategory_slugs(self) -> list[str]:
        return list(self._subs)

    def category(self, slug: str) -> Category:
        for c in self.categories:
            if c.slug == slug:
                return c
        raise KeyError(slug)

    def subcategory(self, slug: str) -> Subcategory:
        return self._subs[slug]

    def name(self, slug: str | None) -> str:
        """Chinese name of a first- or second-level slug (or of ``other``); unknown slugs come back as they are."""
        if slug is None:
            return "未分类"
        if slug == self.other_slug:
            return self.other_name
        if slug == NOT_COMPLAINT:
            return NOT_COMPLAINT_NAME
        if slug in self._subs:
            return self._subs[slug].name
        for c in self.categories:
            if c.slug == slug:
                return c.name
        return slug

    def names(self) -> dict[str, str]:
        out = {c.slug: c.name for c in self.categories}
        out.update({s: sub.name for s, sub in self._subs.items()})
        out[self.other_slug] = self.other_name
        return out

    def seed_phrases(self) -> list[tuple[str, str, str]]:
        """(phrase, category slug, subcategory slug) for every seed phrase."""
        return [(p, c.slug, s.slug) for c in self.categories for s in c.subcategories for p in s.phrases]

    def tag_categories(self, tags: str | list[str] | None) -> list[tuple[str, str | None]]:
        """(category, subcategory) of each complaint tag in a tag list ("110,209" or "110|209" or a list)."""
        if not tags:
            return []
        codes = tags if isinstance(tags, list | tuple) else _TAG_SPLIT.split(str(tags))
        out = []
        for code in codes:
            tag = self.tags.get(str(code).strip())
            if tag is not None and tag.category and (tag.category, tag.subcategory) not in out:
                out.append((tag.category, tag.subcategory))
        return out


def default_taxonomy_path() -> Path:
    return Path(str(resources.files("feedback").joinpath("data/taxonomy.toml")))


def _check_keys(table: dict, allowed: set[str], path: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise TaxonomyError(f"{where}: {path}: unknown key(s) {', '.join(unknown)}")


def _text(table: dict, key: str, path: str, where: str, slug: bool = False) -> str:
    val = table.get(key)
    if not isinstance(val, str) or not val.strip():
        raise TaxonomyError(f"{where}: {path}.{key}: missing or not a non-empty string")
    if slug and not _SLUG.match(val):
        raise TaxonomyError(f"{where}: {path}.{key}: {val!r} is not a slug (lower-case letters, digits, _)")
    return val.strip()


def _strings(table: dict, key: str, path: str, where: str, required: bool) -> tuple[str, ...]:
    if key not in table and not required:
        return ()
    val = table.get(key)
    if not isinstance(val, list) or (required and not val):
        raise TaxonomyError(f"{where}: {path}.{key}: must be a non-empty list of strings")
    for i, item in enumerate(val):
        if not isinstance(item, str) or not item.strip():
            raise TaxonomyError(f"{where}: {path}.{key}[{i}]: must be a non-empty string")
    return tuple(dict.fromkeys(v.strip() for v in val))


def _patterns(table: dict, path: str, where: str) -> tuple[str, ...]:
    """The ``fallback_patterns`` of a subcategory: non-empty strings that compile as regular expressions."""
    out = _strings(table, "fallback_patterns", path, where, False)
    for i, p in enumerate(out):
        try:
            re.compile(p)
        except re.error as exc:
            raise TaxonomyError(f"{where}: {path}.fallback_patterns[{i}]: {p!r} is not a regular expression: "
                                f"{exc}") from exc
    return out


def parse_taxonomy(data: dict, where: str = "<taxonomy>", digest: str = "") -> Taxonomy:
    """Validate a parsed taxonomy mapping (see ``data/taxonomy.toml``) into a :class:`Taxonomy`."""
    _check_keys(data, {"version", "other", "categories", "tags"}, "(top)", where)
    version = str(data.get("version", ""))
    other = data.get("other", {})
    if not isinstance(other, dict):
        raise TaxonomyError(f"{where}: other: must be a table")
    other_slug = _text(other, "slug", "other", where, slug=True) if "slug" in other else "other"
    other_name = _text(other, "name", "other", where) if "name" in other else "其他问题"
    cats_raw = data.get("categories")
    if not isinstance(cats_raw, list) or not cats_raw:
        raise TaxonomyError(f"{where}: categories: must be a non-empty array of tables ([[categories]])")
    if other_slug == NOT_COMPLAINT:
        raise TaxonomyError(f"{where}: other.slug: {NOT_COMPLAINT!r} is reserved (a correction's 不是投诉)")
    seen: dict[str, str] = {other_slug: "other.slug", NOT_COMPLAINT: "(reserved: a correction's 不是投诉)"}
    categories = []
    for i, cat in enumerate(cats_raw):
        path = f"categories[{i}]"
        if not isinstance(cat, dict):
            raise TaxonomyError(f"{where}: {path}: must be a table")
        _check_keys(cat, {"slug", "name", "description", "subcategories"}, path, where)
        slug, name = _text(cat, "slug", path, where, slug=True), _text(cat, "name", path, where)
        if slug in seen:
            raise TaxonomyError(f"{where}: {path}.slug: {slug!r} already used at {seen[slug]}")
        seen[slug] = f"{path}.slug"
        subs_raw = cat.get("subcategories")
        if not isinstance(subs_raw, list) or not subs_raw:
            raise TaxonomyError(f"{where}: {path}.subcategories: must be a non-empty array of tables")
        subs = []
        for j, sub in enumerate(subs_raw):
            spath = f"{path}.subcategories[{j}]"
            if not isinstance(sub, dict):
                raise TaxonomyError(f"{where}: {spath}: must be a table")
            _check_keys(sub, {"slug", "name", "description", "phrases", "exact", "fallback_patterns"}, spath, where)
            sslug = _text(sub, "slug", spath, where, slug=True)
            if sslug in seen:
                raise TaxonomyError(f"{where}: {spath}.slug: {sslug!r} already used at {seen[sslug]}")
            seen[sslug] = f"{spath}.slug"
            subs.append(Subcategory(sslug, _text(sub, "name", spath, where), slug,
                                    _strings(sub, "phrases", spath, where, True),
                                    _strings(sub, "exact", spath, where, False),
                                    _patterns(sub, spath, where)))
        categories.append(Category(slug, name, tuple(subs)))
    parents = {s.slug: c.slug for c in categories for s in c.subcategories}
    tags: dict[str, TagCode] = {}
    tags_raw = data.get("tags", {})
    if not isinstance(tags_raw, dict):
        raise TaxonomyError(f"{where}: tags: must be a table of schemes ([tags.v1], [tags.v2])")
    for scheme, codes in tags_raw.items():
        if not isinstance(codes, dict):
            raise TaxonomyError(f"{where}: tags.{scheme}: must be a table of codes")
        for code, entry in codes.items():
            path = f"tags.{scheme}.{code}"
            if not _CODE.match(code):
                raise TaxonomyError(f"{where}: {path}: a tag code is three digits starting with 1-5")
            if code in tags:
                raise TaxonomyError(f"{where}: {path}: code also listed under tags.{tags[code].scheme}")
            if not isinstance(entry, dict):
                raise TaxonomyError(f"{where}: {path}: must be a table {{ name = …, level = … }}")
            _check_keys(entry, {"name", "level", "category", "subcategory"}, path, where)
            level = entry.get("level", int(code[0]))
            if level != int(code[0]):
                raise TaxonomyError(f"{where}: {path}.level: must equal the code's first digit ({code[0]})")
            cat, sub = entry.get("category"), entry.get("subcategory")
            if cat is not None and cat not in {c.slug for c in categories}:
                raise TaxonomyError(f"{where}: {path}.category: unknown category {cat!r}")
            if sub is not None and parents.get(sub) != cat:
                raise TaxonomyError(f"{where}: {path}.subcategory: {sub!r} is not a subcategory of {cat!r}")
            tags[code] = TagCode(code, _text(entry, "name", path, where), level, scheme, cat, sub)
    return Taxonomy(version, tuple(categories), tags, other_slug, other_name, digest)


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Read and validate a taxonomy TOML file (default: the packaged ``data/taxonomy.toml``)."""
    p = Path(path) if path is not None else default_taxonomy_path()
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise TaxonomyError(f"{p}: cannot read: {exc}") from exc
    return _parse_bytes(raw, str(p))


def taxonomy_of(settings: Settings) -> Taxonomy:
    """The taxonomy the settings name (``[scoring] taxonomy``, relative to config.toml; "" = the packaged one)."""
    path = settings.scoring.taxonomy
    if not path:
        return load_taxonomy()
    p = Path(path)
    return load_taxonomy(p if p.is_absolute() else settings.base_dir / p)


@functools.lru_cache(maxsize=8)
def _parse_bytes(raw: bytes, where: str) -> Taxonomy:
    """Parse once per file content (Taxonomy is frozen; every bulletin and scoring run reads the same file)."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TaxonomyError(f"{where}: not valid UTF-8 TOML: {exc}") from exc
    return parse_taxonomy(data, where, hashlib.sha256(raw).hexdigest()[:16])


class PhraseMatcher:
    """Finds the taxonomy's seed phrases in normalised text (one trie regex; exact-text entries too), and the
    subcategories whose fallback patterns a whole text matches (``fallback``)."""

    def __init__(self, taxonomy: Taxonomy):
        self.where: dict[str, list[tuple[str, str]]] = {}
        self.exact: dict[str, list[tuple[str, str]]] = {}
        self.patterns: list[tuple[re.Pattern, str, str]] = []
        for c in taxonomy.categories:
            for s in c.subcategories:
                for p in s.phrases:
                    self.where.setdefault(normalize(p), []).append((c.slug, s.slug))
                for p in s.exact:
                    self.exact.setdefault(strip_punct(normalize(p)).strip(), []).append((c.slug, s.slug))
                self.patterns += [(re.compile(p), c.slug, s.slug) for p in s.fallback_patterns]
        self.regex = re.compile(trie_regex(self.where))

    def match(self, text: str) -> dict[str, list[str]]:
        """{category: [subcategory, …]} of the phrases found (subcategories repeat once per hit)."""
        hits: dict[str, list[str]] = {}
        for cat, sub in self.exact.get(strip_punct(text).strip(), []):
            hits.setdefault(cat, []).append(sub)
        for m in self.regex.finditer(text):
            for cat, sub in self.where[m.group()]:
                hits.setdefault(cat, []).append(sub)
        return hits

    def fallback(self, text: str) -> tuple[str, str] | None:
        """(category, subcategory) of the first fallback pattern that the whole normalised ``text`` matches once
        punctuation, symbols and spaces are removed; None when none does."""
        compact = "".join(strip_punct(text).split())
        return next(((cat, sub) for pattern, cat, sub in self.patterns if pattern.fullmatch(compact)), None)


def weak_labels(taxonomy: Taxonomy, texts: Sequence[object], tags: Sequence[object] | None = None,
                matcher: PhraseMatcher | None = None) -> list[tuple[list[str], list[str]]]:
    """(categories, subcategories) that seed phrases and tag codes give each text (empty when none)."""
    matcher = matcher or PhraseMatcher(taxonomy)
    out = []
    for i, t in enumerate(texts):
        hits = matcher.match(normalize(t))
        cats, subs = list(hits), sorted({s for v in hits.values() for s in v})
        for c, s in taxonomy.tag_categories(tags[i]) if tags is not None else []:
            cats += [c] if c not in cats else []
            subs += [s] if s and s not in subs else []
        out.append((cats, subs))
    return out
