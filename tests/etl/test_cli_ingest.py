"""`haocha ingest` from the command line: JSON contract, exit codes, and a load killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import create_engine, select, text

from feedback.cli import main
from feedback.models import Batch
from tests.etl.test_pipeline import national_rows, write_csv


def test_init_then_ingest_json_contract(runner, tmp_path):
    assert runner.invoke(main, ["init"]).exit_code == 0
    path = write_csv(tmp_path / "n.csv", national_rows(20))
    res = runner.invoke(main, ["ingest", str(path), "--profile", "national", "--json"])
    assert res.exit_code == 0, res.output
    obj = json.loads(res.output.strip().splitlines()[-1])
    for key in ("file", "profile", "read", "loaded", "duplicate", "rejected", "batch_id"):
        assert key in obj
    assert (obj["read"], obj["loaded"], obj["profile"]) == (20, 20, "national")
    again = json.loads(runner.invoke(main, ["ingest", str(path), "--json"]).output.strip().splitlines()[-1])
    assert (again["loaded"], again["duplicate"]) == (0, 20)


def test_the_summary_names_the_write_path_the_load_took(runner, tmp_path, db_url, monkeypatch):
    from etl import dbwrite

    runner.invoke(main, ["init"])
    path = write_csv(tmp_path / "n.csv", national_rows(10))
    obj = json.loads(runner.invoke(main, ["ingest", str(path), "--profile", "national", "--json", "--no-stages"])
                     .output.strip().splitlines()[-1])
    assert obj["write_path"] == "adbc"  # the drivers are product dependencies
    monkeypatch.setattr(dbwrite, "USE_ADBC", False)  # a machine without the drivers: the fallback, and it says so
    rows = national_rows(10)
    for r in rows:
        r["projectNo"] += "B"
    res = runner.invoke(main, ["ingest", str(write_csv(tmp_path / "m.csv", rows)), "--profile", "national",
                               "--json", "--no-stages"])
    obj = json.loads(res.output.strip().splitlines()[-1])
    assert obj["loaded"] == 10
    assert obj["write_path"] == ("copy-csv" if db_url.startswith("postgresql") else "executemany")
    table = runner.invoke(main, ["ingest", str(path), "--profile", "national", "--no-stages"])
    assert table.exit_code == 0 and "write" in table.output  # the human summary has the column


def test_human_summary_shows_counts_and_rejects(runner, tmp_path):
    runner.invoke(main, ["init"])
    rows = national_rows(5)
    rows[1]["satisfaction"] = "六"
    res = runner.invoke(main, ["ingest", str(write_csv(tmp_path / "n.csv", rows)), "--profile", "national"])
    assert res.exit_code == 0
    assert "rejects" in res.output and "satisfaction" in res.output


def test_unusable_input_exits_2_with_one_line(runner, tmp_path):
    runner.invoke(main, ["init"])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    res = runner.invoke(main, ["ingest", str(empty)])
    assert res.exit_code == 2
    assert "empty" in res.output
    odd = write_csv(tmp_path / "odd.csv", [{"a": "1", "b": "2"}])
    res = runner.invoke(main, ["ingest", str(odd)])
    assert res.exit_code == 2 and "a、b" in res.output and "全国一体化平台接口" in res.output


def test_kill_9_mid_load_then_rerun_completes_without_duplicates(tmp_path, db_url, config_file):
    rows = 30_000
    path = write_csv(tmp_path / "big.csv", national_rows(rows))
    config_file.write_text(config_file.read_text().replace("chunk_size = 1000", "chunk_size = 250"))
    env = {**os.environ, "HAOCHA_CONFIG": str(config_file), "HAOCHA_HASH_KEY": "kill-test-hash-key-0123456789"}
    env.pop("HAOCHA_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "feedback.cli", "ingest", str(path), "--profile", "national", "--json",
           "--no-stages"]  # the load is what is tested; scoring 30,000 rows would only add time
    subprocess.run([sys.executable, "-m", "feedback.cli", "init"], env=env, check=True, capture_output=True)
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    done = 0
    while time.time() < deadline and proc.poll() is None:
        with engine.connect() as conn:
            done = conn.execute(select(Batch.rows_done)).scalar() or 0
        if done >= 1000:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < done < rows, f"could not interrupt the load (rows_done={done})"

    with engine.connect() as conn:
        status, rows_done = conn.execute(select(Batch.status, Batch.rows_done)).one()
        loaded_so_far = conn.execute(text("SELECT count(*) FROM records")).scalar_one()
    assert status == "running" and loaded_so_far == rows_done  # every committed chunk is whole

    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    obj = json.loads(out.strip().splitlines()[-1])
    assert obj["resumed_from_row"] == rows_done
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM records")).scalar_one()
        distinct = conn.execute(text("SELECT count(DISTINCT record_key) FROM records")).scalar_one()
        batches = conn.execute(select(Batch.status, Batch.read, Batch.loaded, Batch.duplicate)).all()
    assert total == distinct == rows
    assert batches == [("done", rows, rows, 0)]
    engine.dispose()


def test_ingest_runs_the_later_stages_after_a_load_unless_told_not_to(runner, tmp_path):
    runner.invoke(main, ["init"])
    path = write_csv(tmp_path / "n.csv", national_rows(20))
    res = runner.invoke(main, ["ingest", str(path), "--profile", "national", "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.strip().splitlines() if x.startswith("{")]
    assert lines[-1]["loaded"] == 20  # the batch summary stays last
    assert any(x.get("stage") == "alerts" for x in lines)  # the alerts stage ran after the load
    other = write_csv(tmp_path / "m.csv", national_rows(25)[20:])
    quiet = runner.invoke(main, ["ingest", str(other), "--profile", "national", "--json", "--no-stages"])
    assert quiet.exit_code == 0 and not any('"stage"' in x for x in quiet.output.splitlines())
    again = runner.invoke(main, ["ingest", str(path), "--profile", "national", "--json"])  # nothing new: no stages
    assert not any('"stage"' in x for x in again.output.splitlines())


def test_ingest_reads_a_file_under_the_import_memory_limit(runner, tmp_path, config_file):
    """`haocha ingest` of a 64 MB line under a 16 MB cap stops with the Chinese message. Run as the command runs,
    in a fresh process: the cap counts from what the process has mapped, and a test process that earlier tests
    left with ~100 MB of freed heap could read the line inside memory it had already mapped (it did once in CI)."""
    runner.invoke(main, ["init"])
    config_file.write_text(config_file.read_text() + "[security]\nimport_memory_mb = 16\n", encoding="utf-8")
    bomb = tmp_path / "bomb.jsonl"
    bomb.write_bytes(b'{"projectNo": "' + b"9" * (64 << 20) + b'"}\n')  # one well-formed 64 MB line
    env = {**os.environ, "HAOCHA_CONFIG": str(config_file), "HAOCHA_HASH_KEY": "memory-test-hash-key-0123456789"}
    def ingest(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "feedback.cli", "ingest", *args], env=env, capture_output=True,
                              text=True, timeout=300)

    res = ingest(str(bomb))
    assert res.returncode == 2 and "超出内存上限" in res.stdout + res.stderr, res.stdout + res.stderr
    # The refused file left nothing behind, and a normal file loads under the same cap in a fresh process: on
    # PostgreSQL without the writer thread, whose stack did not fit ("can't start new thread" before).
    ok = ingest(str(write_csv(tmp_path / "n.csv", national_rows(5))), "--no-stages", "--profile", "national",
                "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout.strip().splitlines()[-1])["loaded"] == 5


def test_ingest_refuses_an_xlsx_bomb_before_reading_it(runner, tmp_path):
    """The reported 1.9 KB workbook with one cell at XFD1048576 (a 550 GB grid for the reader): `haocha ingest`
    refuses it from its declared and actual dimensions with the reason, exit 2, and loads nothing."""
    from tests.feedback.test_workbook_guard import _far_cell

    runner.invoke(main, ["init"])
    bomb = _far_cell(tmp_path / "bomb.xlsx", "XFD1048576")
    assert bomb.stat().st_size < 2_000
    res = runner.invoke(main, ["ingest", str(bomb)])
    assert res.exit_code == 2, res.output
    assert "bomb.xlsx" in res.output and "17,179,869,184" in res.output and "xlsx_max_cells" in res.output
    assert "拒绝读取" in res.output
