"""Real-data check: load the Teddy Cup hot-message file into a scratch database, rebuild, print the top ten.

Usage: ``python -m feedback.tasks.realcheck [CSV] [--top N] [--db URL]``. The data is read from
``../shared/data`` and never copied into the project; without it the check says so and exits 0."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd

DEFAULT = Path("../shared/data/teddy2020c/attach3_hot_4326.csv")


def load_messages(engine, csv: Path) -> int:
    """Insert every message of the file as a Record (kind message, votes kept), under one Batch."""
    from sqlalchemy import insert

    from feedback.models import Batch, Record
    from feedback.pii import mask_text

    df = pd.read_csv(csv, dtype=str)
    text = mask_text(df["留言详情"].fillna("").str.replace(r"\s+", " ", regex=True).str.strip())
    title = mask_text(df["留言主题"].fillna("").str.replace(r"\s+", " ", regex=True).str.strip())
    rated = pd.to_datetime(df["留言时间"].str.strip(), format="mixed")
    with engine.begin() as conn:
        batch = conn.execute(insert(Batch).values(
            source_system="teddy2020c", profile="message", file_name=csv.name, file_sha256="0" * 64,
            status="done", started_at=datetime.now(), read=len(df), loaded=len(df))).inserted_primary_key[0]
        rows = [{
            "source_system": "teddy2020c", "record_key": str(r.留言编号), "kind": "message", "batch_id": batch,
            "row_number": i + 2, "title": t, "text": x, "votes_up": int(r.点赞数), "votes_down": int(r.反对数),
            "rated_at": d.to_pydatetime(), "evaluator_hash": hashlib.sha256(str(r.留言用户).encode()).hexdigest()[:32],
            "is_default": False, "content_hash": hashlib.sha256((t + x).encode()).hexdigest(),
        } for i, (r, t, x, d) in enumerate(zip(df.itertuples(), title, text, rated, strict=True))]
        conn.execute(insert(Record), rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="?", default=str(DEFAULT))
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--db", default=None, help="database URL (default: a scratch SQLite file)")
    ap.add_argument("--horizon-days", type=int, default=0, help="0 = every message in the file")
    args = ap.parse_args(argv)
    csv = Path(args.csv)
    if not csv.exists():
        print(f"real-data check skipped: {csv} not found (the shared data folder is absent)")
        return 0
    from feedback.db import make_engine, upgrade
    from feedback.tasks.config import TaskSettings
    from feedback.tasks.queries import list_tasks
    from feedback.tasks.rebuild import rebuild_tasks

    tmp = tempfile.mkdtemp(prefix="haocha-real-")
    engine = make_engine(args.db or f"sqlite:///{tmp}/real.db")
    upgrade(engine)
    n = load_messages(engine, csv)
    cfg = dataclasses.replace(TaskSettings(), horizon_days=args.horizon_days)
    summary = rebuild_tasks(engine, cfg=cfg)
    print(f"{n} messages → {summary.tasks} tasks in {summary.seconds:.1f} s (as of {summary.as_of})")
    with engine.connect() as conn:
        for t in list_tasks(conn, top=args.top):
            m, c = t["metrics"], t["components"]
            print(f"\n#{t['rank']} {t['title']}  score {t['score']:.1f}")
            print(f"   {t['signals']} messages from {m['reach']} people, {m['support']} net votes, "
                  f"{m['active_weeks']} active weeks, {t['first_seen'][:10]} → {t['last_seen'][:10]}")
            print("   " + ", ".join(f"{k} {v:.2f}" for k, v in c.items() if v is not None))
            print("   keywords: " + "、".join(t["keywords"] or []))
            for e in (t["evidence"] or [])[:3]:
                print(f"   · [{e['rated_at'][:10]} 赞{e['votes']}] {(e['title'] or '')[:40]} | {e['text'][:60]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
