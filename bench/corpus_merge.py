"""Merge hand-written comments into a new training part of the labelled corpus; measure a part's overlap with ours.

    python -m bench.corpus_merge --part e --out feedback/data/corpus/complaints_e.tsv w1.txt w2.txt …
    python -m bench.corpus_merge --overlap feedback/data/corpus/complaints_e.tsv

Input lines, one comment each, as the writers' brief asks: ``label|sub|rating|hard|text|extra`` (``extra``:
further problems as ``label/sub`` separated by ``;``; praise and neutral take ``-`` as sub). Every row becomes a
``train`` row (a new part never joins the frozen ``test`` part); dropped and reported: malformed lines, unknown
slugs, exact duplicates of any corpus text or of an earlier line, and texts within difflib ratio 0.7 of a frozen
``test`` text, so that no test text leaks into training.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import re
import sys
from collections import Counter
from pathlib import Path

from feedback.scoring.labelled_corpus import NON_COMPLAINT, read_corpus, read_tsv
from feedback.scoring.taxonomy import load_taxonomy

HARD = {"-", "negation", "sarcasm", "mixed", "dialect", "typo", "multi"}
NEAR_TEST = 0.7
DEMO_DIR = Path(__file__).resolve().parents[1] / "etl" / "demo"


def _is_sub_of(tax, label: str, sub: str) -> bool:
    """``sub`` is a second level of the first-level ``label`` in the taxonomy."""
    return label in tax.slugs and sub in tax.subcategory_slugs and tax.subcategory(sub).parent == label


def parse_line(line: str, tax) -> tuple[dict | None, str]:
    """(row, "") for a good line, (None, reason) otherwise."""
    fields = line.rstrip("\n").split("|")
    if len(fields) == 5:
        fields.append("")
    if len(fields) != 6:
        return None, f"{len(fields)} fields"
    label, sub, rating, hard, text, extra = (f.strip() for f in fields)
    text = re.sub(r"\s+", " ", text)
    if not text:
        return None, "empty text"
    if not rating.isdigit() or not 1 <= int(rating) <= 5:
        return None, f"rating {rating!r}"
    if hard not in HARD:
        return None, f"hard {hard!r}"
    if label in NON_COMPLAINT:
        sublabel = "-"
    else:
        if not _is_sub_of(tax, label, sub):
            return None, f"slug {label}/{sub}"
        parts = [sub]
        for e in (x.strip() for x in extra.split(";") if x.strip()):
            cat, _, esub = e.partition("/")
            if not _is_sub_of(tax, cat, esub):
                return None, f"extra slug {e}"
            parts.append(f"{cat}/{esub}")
        sublabel = ";".join(parts)
    return {"text": text, "rating": rating, "label": label, "sublabel": sublabel, "hard": hard}, ""


def merge(files: list[Path], part: str, corpus: Path | None = None) -> tuple[list[dict], Counter]:
    """The new part's rows (ids ``{part}0001`` …, every one ``train``) and the count of each reason a line was
    dropped for."""
    tax = load_taxonomy()
    existing = read_corpus(corpus, split=None)
    seen = {r.text for r in existing}
    test = [r.text for r in existing if r.split == "test"]
    dropped: Counter = Counter()
    rows: list[dict] = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row, why = parse_line(line, tax)
            if row is None:
                dropped[why.split()[0] if why.startswith(("slug", "extra")) else why] += 1
                continue
            if row["text"] in seen:
                dropped["exact duplicate"] += 1
                continue
            if _near_any(row["text"], test):
                dropped["near a test text"] += 1
                continue
            seen.add(row["text"])
            rows.append(row)
    for i, row in enumerate(rows, 1):
        row["id"], row["split"] = f"{part}{i:04d}", "train"
    return rows, dropped


def _near_any(text: str, others: list[str]) -> bool:
    """``text`` is within difflib ratio NEAR_TEST of one of ``others`` (cheap upper bounds first)."""
    matcher = difflib.SequenceMatcher(None, b=text, autojunk=False)  # b is indexed once
    for other in others:
        matcher.set_seq1(other)
        if matcher.real_quick_ratio() > NEAR_TEST and matcher.quick_ratio() > NEAR_TEST and matcher.ratio() > NEAR_TEST:
            return True
    return False


def write_tsv(rows: list[dict], out: Path) -> None:
    cols = ("id", "text", "rating", "label", "sublabel", "hard", "split")
    lines = ["\t".join(cols)] + ["\t".join(r[c] for c in cols) for r in rows]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def demo_fragments(min_len: int = 6) -> set[str]:
    """Chinese runs of ``min_len``+ characters in the demo generator's string constants."""
    out: set[str] = set()
    for path in sorted(DEMO_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.update(m for m in re.findall(r"[\u4e00-\u9fff]+", node.value) if len(m) >= min_len)
    return out


def overlap(path: Path) -> dict[str, float]:
    """Share of the file's texts containing a seed phrase of 5+ / 6+ characters, or a demo-generator fragment of
    6+ characters (plain substring search)."""
    tax = load_taxonomy()
    texts = [r.text for r in read_tsv(path)]
    seeds = {p for p, _cat, _sub in tax.seed_phrases()}
    frags = demo_fragments()

    def share(phrases: set[str]) -> float:
        return round(sum(any(p in t for p in phrases) for t in texts) / max(len(texts), 1), 4)

    return {"rows": len(texts), "seed_5plus": share({p for p in seeds if len(p) >= 5}),
            "seed_6plus": share({p for p in seeds if len(p) >= 6}), "demo_6plus": share(frags)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.corpus_merge", description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--part", help="the new part's letter (ids {part}0001 …)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--overlap", type=Path, help="only measure a corpus file's overlap with our phrases")
    args = ap.parse_args(argv)
    if args.overlap:
        print(overlap(args.overlap))
        return 0
    if not (args.part and args.out and args.files):
        ap.error("--part, --out and input files are needed")
    rows, dropped = merge(args.files, args.part)
    write_tsv(rows, args.out)
    labels = Counter(r["label"] for r in rows)
    print(f"{len(rows)} rows written to {args.out}; dropped: {dict(dropped)}")
    print(dict(sorted(labels.items())))
    print(overlap(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
