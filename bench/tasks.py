"""Benchmark: generate 1M ratings with 100k comments (plus messages) and time a task rebuild and its memory.

Usage: ``python -m bench.tasks [--ratings N] [--comments N] [--messages N] [--db PATH] [--keep]``.
The rebuild runs in a child process so that its peak resident memory is measured on its own (``VmHWM``, see
bench.memory: ``ru_maxrss`` would also count the generator's peak in this parent)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

CATEGORIES = {
    "timeliness": ["一直在审核，超过承诺时间还没办结", "催了几次迟迟没有结果", "超期了也没人说明原因"],
    "materials": ["又让补材料，还要开证明盖章", "同样的材料被要求重复提交", "要求提供办事指南以外的复印件"],
    "online_platform": ["网上系统登录不了，人脸识别一直失败", "上传材料总是失败，页面卡顿", "APP闪退打不开"],
    "queue_onsite": ["排队等了三个小时，只开一个窗口", "预约了到现场还要重新取号", "叫号混乱过号了"],
    "staff_attitude": ["工作人员态度生硬不耐烦", "窗口人员玩手机不理人", "态度很差还让给好评"],
    "staff_competence": ["工作人员业务不熟，一问三不知", "信息录错了又要重新跑"],
    "trips_process": ["来回跑了好几趟，多个部门踢皮球", "流程繁琐，数据不共享要重复录入"],
    "guide_info": ["办事指南和窗口说法不一样", "没有一次性告知需要的材料"],
    "access_consultation": ["电话一直打不通没人接", "预约名额总是约满了"],
}
OTHER = ["{svc}收费标准不清楚，希望公开", "{svc}的政策为什么改了没有通知", "{svc}办完以后短信一直没收到",
         "{svc}的证书上名字印错了", "{svc}窗口附近停车太难了"]
GOOD = ["办理很快，服务热情", "一次就办好了，非常方便", "工作人员很耐心", "网上就能办，不用跑腿"]
PLACES = ["阳光小区", "建设路", "第一小学", "滨江花园", "人民广场", "南门菜市场", "龙泉大道", "城南家园", "铁路新村",
          "望江府", "梧桐苑", "学府路", "东街市场", "3路公交", "湿地公园"]
ISSUES = ["夜间施工噪音扰民", "路灯坏了很久没人修", "垃圾没人清运臭味很大", "占道经营堵塞交通", "下水道堵塞污水外溢",
          "违章停车严重", "学校门口交通拥堵", "物业乱收费", "电梯经常故障", "积水严重出行困难"]


def generate(db: Path, ratings: int, comments: int, messages: int, seed: int = 11) -> None:
    """Write the synthetic data set straight into a migrated SQLite database (executemany, one transaction)."""
    import sqlite3

    from feedback.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    n_svc, n_dept = 150, 20
    svc_w = rng.pareto(1.2, n_svc) + 0.2
    svc = rng.choice(n_svc, ratings, p=svc_w / svc_w.sum())
    dept = svc % n_dept
    region = rng.integers(0, 9, ratings)
    start = datetime(2025, 1, 1)
    secs = np.sort(rng.integers(0, 365 * 86400, ratings))
    level = rng.choice([5, 4, 3, 2, 1], ratings, p=[0.80, 0.12, 0.05, 0.02, 0.01])
    cats = list(CATEGORIES)
    cat = rng.integers(0, len(cats), ratings)
    # a planted problem: service 7 × online_platform, three weeks in June, many more bad ratings
    t_days = secs / 86400
    burst = (svc == 7) & (t_days > 150) & (t_days < 171) & (rng.random(ratings) < 0.25)
    level[burst] = 1
    cat[burst] = cats.index("online_platform")
    bad = level <= 2
    has_text = np.zeros(ratings, bool)
    bad_idx = np.flatnonzero(bad)
    has_text[bad_idx[rng.random(len(bad_idx)) < 0.7]] = True
    others = np.flatnonzero(~bad)
    has_text[rng.choice(others, max(0, comments - int(has_text.sum())), replace=False)] = True
    hidden = has_text & ~bad & (rng.random(ratings) < 0.1)
    other_cat = has_text & (rng.random(ratings) < 0.08) & (bad | hidden)
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("INSERT INTO batches (id, source_system, profile, file_name, file_sha256, status, rows_done, read, "
                "loaded, duplicate, rejected, started_at) VALUES (1, 'bench', 'bench', 'bench', '0', 'done', 0, 0, 0, "
                "0, 0, '2025-01-01 00:00:00')")
    con.execute("INSERT INTO model_versions (version, kind, description, active, created_at) VALUES "
                "('bench-1', 'scoring', '{}', 1, '2025-01-01 00:00:00')")
    rows, scores = [], []
    for i in range(ratings):
        text = None
        c = cats[cat[i]]
        if has_text[i]:
            if other_cat[i]:
                text = OTHER[i % len(OTHER)].format(svc=f"事项{svc[i]}") + f"（第{i % 97}次）"
            elif bad[i] or hidden[i]:
                text = CATEGORIES[c][i % len(CATEGORIES[c])] + ("，" + GOOD[i % 4] if hidden[i] else "")
            else:
                text = GOOD[i % len(GOOD)]
        ts = (start + timedelta(seconds=int(secs[i]))).strftime("%Y-%m-%d %H:%M:%S")
        rows.append((i + 1, "bench", f"r{i}", "rating", 1, i + 2, f"P{i:08d}", f"S{svc[i]:04d}", f"事项{svc[i]}",
                     f"D{dept[i]:03d}", f"部门{dept[i]}", f"4399{region[i]:02d}000000", "mobile", int(level[i]), 0,
                     text, None, None, ts, f"h{i}", f"e{rng.integers(0, 400000)}"))
        if has_text[i] or bad[i]:
            category = None if other_cat[i] else c
            scores.append((i + 1, "bench-1", "neg" if bad[i] or hidden[i] else "pos", 0.2 if bad[i] else 0.8,
                           int(hidden[i]), category, 0.9, ts))
    for j in range(messages):
        i = ratings + j
        place, issue = PLACES[j % len(PLACES)], ISSUES[(j * 7 // len(PLACES)) % len(ISSUES)]
        ts = (start + timedelta(seconds=int(rng.integers(0, 365 * 86400)))).strftime("%Y-%m-%d %H:%M:%S")
        rows.append((i + 1, "bench", f"m{j}", "message", 1, i + 2, None, None, None, None, None, None, None, None, 0,
                     f"{place}附近{issue}，请相关部门尽快处理（{j}）", f"{place}{issue}", int(rng.poisson(3)), ts,
                     f"hm{j}", f"u{rng.integers(0, 5000)}"))
    con.executemany(
        "INSERT INTO records (id, source_system, record_key, kind, batch_id, row_number, project_no, service_code, "
        "service_name, dept_code, dept_name, region_code, channel, level, is_default, text, title, votes_up, "
        "rated_at, content_hash, evaluator_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.executemany(
        "INSERT INTO scores (record_id, model_version, sentiment, sentiment_score, hidden_complaint, category, "
        "category_conf, scored_at) VALUES (?,?,?,?,?,?,?,?)", scores)
    con.commit()
    con.close()


def rebuild_only(db: Path) -> dict:
    from bench.memory import inherited_rss_mb, peak_rss_mb
    from feedback.db import make_engine
    from feedback.tasks.rebuild import rebuild_tasks

    engine = make_engine(f"sqlite:///{db}")
    t0, cpu0 = time.perf_counter(), time.process_time()
    s = rebuild_tasks(engine)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "cpu_s": round(time.process_time() - cpu0, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1), "ru_maxrss_mb": round(inherited_rss_mb(), 1),
            "signals": s.signals, "tasks": s.tasks}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ratings", type=int, default=1_000_000)
    ap.add_argument("--comments", type=int, default=100_000)
    ap.add_argument("--messages", type=int, default=2_000)
    ap.add_argument("--db", default=None, help="SQLite file to use (generated when missing)")
    ap.add_argument("--rebuild-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, default=2, help="rebuilds to time (the second keeps identities)")
    args = ap.parse_args(argv)
    if args.rebuild_only:
        print(json.dumps(rebuild_only(Path(args.db))))
        return 0
    db = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="haocha-bench-")) / "bench.db"
    if not db.exists():
        t0 = time.perf_counter()
        generate(db, args.ratings, args.comments, args.messages)
        print(f"generated {args.ratings:,} ratings ({args.comments:,} with comments) and {args.messages:,} messages "
              f"in {time.perf_counter() - t0:.1f} s → {db}")
    for run in range(1, args.runs + 1):
        out = subprocess.run([sys.executable, "-m", "bench.tasks", "--rebuild-only", "--db", str(db)],
                             capture_output=True, text=True, env=os.environ.copy(), check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"rebuild {run}: {r['seconds']:.1f} s ({r['cpu_s']:.1f} s CPU), peak memory {r['peak_rss_mb']:.0f} MB "
              f"(ru_maxrss, with the parent's high-water mark: {r['ru_maxrss_mb']:.0f} MB), "
              f"{r['signals']:,} signals → {r['tasks']:,} tasks; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
