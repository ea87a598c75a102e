"""The packaged labelled corpus (``feedback/data/corpus/*.tsv``) as training rows for the complaint classifier.

Columns: ``id text rating label sublabel hard split``. ``label`` is a first-level category slug (a complaint),
``other`` (a complaint outside the taxonomy) or a non-complaint label (praise, neutral); ``sublabel`` is the
second-level slug of ``label``, and for comments with several problems further ``category/sub`` entries after a
``;``. Only ``split == "train"`` rows ever train or calibrate anything; the ``test`` rows are frozen for
``haocha eval complaints``. A missing folder, a missing file or a malformed line is tolerated (the corpus may be
partial): what can be read is used.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("id", "text", "rating", "label", "sublabel", "hard", "split")
# The labels that are no complaint, with the polarity they teach the sentiment engine (neutral: none); every other
# label (a category slug, ``other``) is a complaint.
NON_COMPLAINT = {"praise": 1, "neutral": None}


def is_complaint_label(label: str) -> bool:
    """A corpus or evaluation label that names a complaint (anything but praise and neutral)."""
    return label not in NON_COMPLAINT


@dataclass(frozen=True)
class CorpusRow:
    id: str
    text: str
    rating: int | None
    label: str
    categories: tuple[str, ...]  # every first-level category named (label first), empty for non-complaints
    subcategories: tuple[str, ...]
    hard: str
    split: str


def corpus_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "corpus"


def parse_sublabel(label: str, sublabel: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(categories, subcategories) of ``label`` + ``sublabel`` ("sub;cat/sub;…")."""
    cats, subs = [label], []
    for part in (p.strip() for p in sublabel.split(";")):
        if not part or part == "-":
            continue
        cat, _, sub = part.rpartition("/")
        if cat and cat not in cats:
            cats.append(cat)
        if sub:
            subs.append(sub)
    return tuple(cats), tuple(subs)


def read_tsv(path: Path | str) -> list[CorpusRow]:
    """Rows of one corpus file; lines with the wrong number of fields or an empty text are skipped."""
    out = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header[: len(COLUMNS)]) != COLUMNS:
                return []
            for fields in reader:
                if len(fields) < len(COLUMNS) or not fields[1].strip() or not fields[3].strip():
                    continue
                rid, text, rating, label, sublabel, hard, split = (v.strip() for v in fields[: len(COLUMNS)])
                cats, subs = parse_sublabel(label, sublabel)
                out.append(CorpusRow(rid, text, int(rating) if rating.isdigit() else None, label, cats, subs,
                                     hard, split))
    except OSError:
        return []
    return out


def read_corpus(directory: Path | str | None = None, split: str | None = "train") -> list[CorpusRow]:
    """Every row of every ``*.tsv`` in ``directory`` (default: the packaged corpus), of ``split`` (None = all),
    in file-name order (deterministic); an absent folder gives no rows."""
    d = Path(directory) if directory is not None else corpus_dir()
    if not d.is_dir():
        return []
    rows = [r for p in sorted(d.glob("*.tsv")) for r in read_tsv(p)]
    return [r for r in rows if split is None or r.split == split]
