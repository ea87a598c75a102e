"""Category names, second-level categories and tag-code categories for tasks, from the complaint taxonomy."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from feedback.scoring.taxonomy import PhraseMatcher, Taxonomy, load_taxonomy
from feedback.text.features import normalize


@dataclass(frozen=True)
class Labels:
    taxonomy: Taxonomy
    matcher: PhraseMatcher = field(compare=False, repr=False)

    def name(self, slug: str | None) -> str:
        return self.taxonomy.name(slug)

    def subcategory(self, category: str | None, text: str | None) -> str | None:
        """The second-level category of ``category`` whose seed phrases the text names most (None when none)."""
        if not category or not text:
            return None
        subs = self.matcher.match(normalize(text)).get(category)
        if not subs:
            return None
        counts = Counter(subs)
        return max(sorted(counts), key=counts.get)

    def tag_subcategory(self, category: str | None, tags: str | None) -> str | None:
        """The second-level category a record's tag codes give ``category`` (None when they give none)."""
        for cat, sub in self.taxonomy.tag_categories(tags) if isinstance(tags, str) else []:
            if cat == category and sub:
                return sub
        return None

    def tag_category(self, tags: str | None) -> str | None:
        """The category of the first complaint tag code in a comma- or bar-separated tag list."""
        hits = self.taxonomy.tag_categories(tags) if isinstance(tags, str) else []
        return hits[0][0] if hits else None


_BUILT: dict[int, Labels] = {}  # id(taxonomy) → its labels (the phrase matcher is built once per taxonomy)
_LOCK = threading.Lock()


def labels(taxonomy: Taxonomy | None = None) -> Labels:
    """The labels of ``taxonomy`` (``feedback.scoring.taxonomy.taxonomy_of(settings)``; None: the packaged one)."""
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    with _LOCK:
        lab = _BUILT.get(id(taxonomy))
        if lab is None or lab.taxonomy is not taxonomy:
            if len(_BUILT) >= 8:
                _BUILT.clear()
            lab = _BUILT[id(taxonomy)] = Labels(taxonomy, PhraseMatcher(taxonomy))
    return lab
