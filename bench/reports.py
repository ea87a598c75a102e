"""Benchmark: the twelve monthly bulletins of a demo year, in all three formats, timed one by one.

    python -m bench.reports [--rows 200000] [--db PATH] [--out DIR] [--pdf] [--json]

Without --db a temporary SQLite database is filled by `haocha demo --rows N` (in a child process, every demo
stage included). With --pdf the last DOCX is converted by LibreOffice (`soffice`, when installed) and its pages
rendered to PNG by `pdftoppm`, to look at the layout."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORMATS = ("html", "xlsx", "docx")


def make_demo(workdir: Path, rows: int) -> Path:
    """A demo database in ``workdir`` built by the real command line."""
    config = workdir / "config.toml"
    db = workdir / "demo.db"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n[paths]\ninstance_dir = "{workdir / "instance"}"\n',
                      encoding="utf-8")
    env = {**os.environ, "HAOCHA_CONFIG": str(config),
           "HAOCHA_HASH_KEY": os.environ.get("HAOCHA_HASH_KEY", "bench-hash-key-not-secret")}
    subprocess.run([sys.executable, "-m", "feedback.cli", "demo", "--rows", str(rows), "--json"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    return db


def run(db: Path, out: Path, months: int = 12) -> dict:
    """Build and render the ``months`` bulletins up to the latest month; seconds and bytes of each."""
    from dashboards.reports import file_name, render
    from feedback.bulletin import build_bulletin
    from feedback.db import make_engine
    from feedback.filters import Filters
    from feedback.settings import settings_from_mapping
    from feedback.stats import kpi, periods

    settings = settings_from_mapping({"database": {"url": f"sqlite:///{db}"}}, base_dir=db.parent)
    engine = make_engine(settings.database_url)
    out.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        last = periods.latest_month(conn)
    if last is None:
        raise SystemExit("no ratings in the database")
    rows = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for k in range(months - 1, -1, -1):
        month = kpi.shift_month(last, -k)
        t0, c0 = time.perf_counter(), time.process_time()
        with engine.connect() as conn:
            bulletin = build_bulletin(conn, month, Filters(), settings=settings)
        row = {"month": month, "build_s": round(time.perf_counter() - t0, 3)}
        for fmt in FORMATS:
            t1 = time.perf_counter()
            body = render(bulletin, fmt)
            (out / file_name(bulletin, fmt)).write_bytes(body)
            row[f"{fmt}_s"], row[f"{fmt}_kb"] = round(time.perf_counter() - t1, 3), round(len(body) / 1024)
        row["total_s"] = round(time.perf_counter() - t0, 3)
        row["cpu_s"] = round(time.process_time() - c0, 3)  # this process's CPU: robust on a shared machine
        rows.append(row)
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    engine.dispose()
    per_format = {f: round(sum(r[f"{f}_s"] for r in rows), 2) for f in ("build", *FORMATS)}
    return {"months": rows, "total_s": round(total, 2), "per_bulletin_s": round(total / len(rows), 2),
            "cpu_s": round(cpu, 2), "per_stage_s": per_format, "out": str(out), "last_month": last}


def to_pdf(docx: Path) -> list[Path]:
    """DOCX → PDF (LibreOffice) → one PNG per page (pdftoppm, 80 dpi); [] when the tools are missing."""
    soffice, pdftoppm = shutil.which("soffice") or shutil.which("libreoffice"), shutil.which("pdftoppm")
    if soffice is None:
        return []
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(docx.parent), str(docx)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    pdf = docx.with_suffix(".pdf")
    if pdftoppm is None:
        return [pdf]
    subprocess.run([pdftoppm, "-r", "80", "-png", str(pdf), str(docx.with_suffix(""))], check=True, timeout=300)
    return [pdf, *sorted(docx.parent.glob(docx.stem + "-*.png"))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000, help="demo ratings when no --db is given")
    ap.add_argument("--db", type=Path, help="an existing SQLite database (skips the demo)")
    ap.add_argument("--out", type=Path, help="folder for the bulletins (default: a temporary folder)")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--pdf", action="store_true", help="render the last DOCX to PDF and PNG pages")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="haocha_bulletin_bench_"))
    db = args.db
    if db is None:
        t0 = time.perf_counter()
        db = make_demo(work, args.rows)
        print(f"demo data: {args.rows:,} ratings in {time.perf_counter() - t0:.0f} s ({db})", file=sys.stderr)
    result = run(db, args.out or work / "bulletins", args.months)
    if args.pdf:
        last = Path(result["out"]) / f"haocha_bulletin_{result['last_month']}.docx"
        result["pdf"] = [str(p) for p in to_pdf(last)]
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"{'month':8} {'build':>6} {'html':>6} {'xlsx':>6} {'docx':>6} {'total':>6} {'cpu':>6}"
          "   sizes (KB html/xlsx/docx)")
    for r in result["months"]:
        print(f"{r['month']:8} {r['build_s']:6.2f} {r['html_s']:6.2f} {r['xlsx_s']:6.2f} {r['docx_s']:6.2f} "
              f"{r['total_s']:6.2f} {r['cpu_s']:6.2f}   {r['html_kb']}/{r['xlsx_kb']}/{r['docx_kb']}")
    print(f"{len(result['months'])} bulletins in {result['total_s']} s ({result['cpu_s']} s CPU): "
          f"{result['per_bulletin_s']} s per bulletin (all three formats); per stage over the year: "
          + ", ".join(f"{k} {v} s" for k, v in result["per_stage_s"].items()) + f"; files in {result['out']}")
    for p in result.get("pdf", []):
        print(f"rendered: {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
