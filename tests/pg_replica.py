"""A real PostgreSQL primary with a streaming hot standby on loopback, for the read-replica tests.

Built from the server binaries of the machine (Debian's ``/usr/lib/postgresql/N/bin``): ``initdb`` a primary on a
free port, ``pg_basebackup -R`` a standby from it, start both. As root the servers run as the ``postgres`` user
(``initdb`` refuses root). ``None`` when the binaries are missing, so callers skip with a message."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    primary_url: str
    replica_url: str


def server_bin() -> Path | None:
    """The newest PostgreSQL server binary folder, when initdb, pg_ctl and pg_basebackup are all there."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if all(Path(folder, b).exists() for b in ("initdb", "pg_ctl", "pg_basebackup")):
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(argv: list[str], as_postgres: bool) -> None:
    if as_postgres:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


@contextmanager
def streaming_pair(workdir: Path) -> Iterator[Pair]:
    """Start a primary and its hot standby under ``workdir``; stop both on exit."""
    bin_dir = server_bin()
    assert bin_dir is not None
    as_postgres = os.geteuid() == 0
    workdir.mkdir(parents=True, exist_ok=True)
    if as_postgres:
        shutil.chown(workdir, "postgres", "postgres")
        for parent in workdir.parents:  # the postgres user must reach its data folders
            if parent == Path(parent.anchor):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o011)
    primary, replica = workdir / "primary", workdir / "replica"
    p1, p2 = _free_port(), _free_port()
    opts = f"-c listen_addresses=127.0.0.1 -c unix_socket_directories={workdir} -c fsync=off"
    started: list[Path] = []
    try:
        _run([str(bin_dir / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--locale=C.UTF-8"], as_postgres)
        _run([str(bin_dir / "pg_ctl"), "-D", str(primary), "-l", str(workdir / "primary.log"), "-w",
              "-o", f"-p {p1} {opts}", "start"], as_postgres)
        started.append(primary)
        _run([str(bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(p1), "-U", "postgres", "-D",
              str(replica), "-R", "-X", "stream"], as_postgres)
        _run([str(bin_dir / "pg_ctl"), "-D", str(replica), "-l", str(workdir / "replica.log"), "-w",
              "-o", f"-p {p2} {opts}", "start"], as_postgres)
        started.append(replica)
        yield Pair(f"postgresql+psycopg://postgres@127.0.0.1:{p1}/postgres",
                   f"postgresql+psycopg://postgres@127.0.0.1:{p2}/postgres")
    finally:
        for data in reversed(started):
            try:
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], as_postgres)
            except subprocess.SubprocessError:
                pass


def wait_for_replay(primary, replica, timeout_s: float = 30.0) -> None:
    """Block until the standby has replayed everything the primary has written so far."""
    from sqlalchemy import text

    with primary.connect() as conn:
        target = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with replica.connect() as conn:
            behind = conn.execute(text("SELECT pg_wal_lsn_diff(CAST(:t AS pg_lsn), pg_last_wal_replay_lsn())"),
                                  {"t": target}).scalar_one()
        if behind is not None and behind <= 0:
            return
        time.sleep(0.1)
    raise TimeoutError("the standby did not catch up with the primary")
