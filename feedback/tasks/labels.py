"""Category names, second-level categories and tag-code categories for tasks, from the complaint taxonomy."""

from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=1)
def labels() -> Labels:
    taxonomy = load_taxonomy()
    return Labels(taxonomy, PhraseMatcher(taxonomy))


def tag_category(tags: str | None) -> str | None:
    """The category of the first complaint tag code in a comma- or bar-separated tag list."""
    hits = labels().taxonomy.tag_categories(tags) if isinstance(tags, str) else []
    return hits[0][0] if hits else None
