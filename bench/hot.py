"""Benchmark: hot issues on real 12345 messages (teddy2020c attach3) and the grouping speed for 100,000 messages.

Usage: ``python -m bench.hot [--data PATH] [--top N] [--messages N]``. The real data is read from
``../shared/data`` (never copied into the project); without it that part is skipped with a message. The speed
part groups and ranks ``--messages`` synthetic messages (``tests/fixtures/hot_scenarios`` scaled up) in a child
process and reports its time and peak resident memory."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "teddy2020c" / "attach3_hot_4326.csv"


def attach3_signals(path: Path) -> pd.DataFrame:
    """The messages as a message signal frame (columns of feedback.tasks.build.SIGNAL_COLUMNS)."""
    raw = pd.read_csv(path, dtype=str)
    return pd.DataFrame({
        "record_id": range(1, len(raw) + 1), "kind": "message", "level": None, "hidden": False, "category": None,
        "service_code": None, "service_name": None, "dept_code": None, "dept_name": None, "region_code": None,
        "channel": "web", "tags": None, "title": raw["留言主题"], "text": raw["留言详情"],
        "votes_up": pd.to_numeric(raw["点赞数"], errors="coerce").fillna(0),
        "votes_down": pd.to_numeric(raw["反对数"], errors="coerce").fillna(0),
        "rated_at": pd.to_datetime(raw["留言时间"], errors="coerce", format="mixed"), "project_no": None,
        "evaluator_hash": raw["留言用户"],
    })


def real(path: Path, top: int) -> None:
    from feedback.tasks.evaluation import grouped

    if not path.exists():
        print(f"skipped: {path} is absent (the real-data check needs ../shared/data)")
        return
    sig = attach3_signals(path)
    sig = sig[sig["rated_at"].notna()]
    started = time.perf_counter()
    group_of, ranks, groups, metrics = grouped(sig)
    seconds = time.perf_counter() - started
    g = groups.set_index("group")
    print(f"{len(sig)} messages → {len(groups)} tasks in {seconds:.1f} s")
    print(f"{'rank':>4} {'msgs':>5} {'likes':>6} {'weeks':>5}  title")
    for gid, rank in sorted(ranks.items(), key=lambda kv: kv[1])[:top]:
        m = metrics.loc[gid]
        print(f"{rank:>4} {int(m['signals']):>5} {int(m['support']):>6} {int(m['active_weeks']):>5}  {g.loc[gid, 'title']}")


def _speed_child(n: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.memory import peak_rss_mb
    from feedback.tasks.evaluation import grouped
    from tests.fixtures.hot_scenarios import planted, signal_frame

    frames = []
    seed = 0
    while sum(len(f) for f in frames) < n:
        frames.append(signal_frame(planted(seed))[0])
        seed += 1
    sig = pd.concat(frames, ignore_index=True).head(n)
    sig["record_id"] = range(1, len(sig) + 1)
    sig["rated_at"] = pd.to_datetime(sig["rated_at"]) - pd.to_timedelta(sig.index // 400 * 7, unit="D")
    before = peak_rss_mb()
    started, cpu0 = time.perf_counter(), time.process_time()
    _, _, groups, _ = grouped(sig)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu0
    print(json.dumps({"messages": len(sig), "tasks": len(groups), "seconds": round(seconds, 1), "cpu_s": round(cpu, 1),
                      "peak_mb": round(peak_rss_mb()), "input_peak_mb": round(before),
                      "load_average": round(os.getloadavg()[0], 2)}))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.hot", description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--messages", type=int, default=100_000, help="synthetic messages for the speed part (0: skip)")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        _speed_child(a.child)
        return
    real(a.data.resolve(), a.top)
    if a.messages:
        out = subprocess.run([sys.executable, "-m", "bench.hot", "--child", str(a.messages)],
                             capture_output=True, text=True, check=True)
        print("grouping and ranking:", out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
