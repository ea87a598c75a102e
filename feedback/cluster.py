"""The Dask client of the distributed stages (scoring, the task rebuild's topic grouping): one ``connect``.

``ADDRESS`` is a scheduler address (``tcp://host:8786``), or ``local`` / ``local:N`` for a cluster of N
single-threaded worker processes (default: one per core) started on this machine for the run. Workers never
touch the database: the client reads, sends pure work, and writes what comes back.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

CONNECT_TIMEOUT_S = 30


class ClusterError(RuntimeError):
    """The Dask cluster cannot be used; the message says why."""


@contextmanager
def connect(address: str):
    """A Dask client for ``address``; ``local`` / ``local:N`` starts N worker processes here for the run."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a product dependency
        raise ClusterError("Dask is not installed (pip install 'dask[distributed]')") from exc
    cluster = None
    try:
        if address == "local" or address.startswith("local:"):
            n = int(address.partition(":")[2] or os.cpu_count() or 1)
            if n < 1:
                raise ValueError(address)
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
            client = Client(cluster, set_as_default=False)
        else:
            _check_address(address)
            client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (ValueError, OSError) as exc:  # OSError includes connection timeouts
        if cluster is not None:
            cluster.close()
        if isinstance(exc, ValueError):
            raise ClusterError(f"bad scheduler address {address!r}: use tcp://HOST:PORT, local or local:N") from exc
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_reachable(address: str) -> None:
    """A ClusterError now when the scheduler at ``address`` cannot be reached (a local cluster is not started
    for this): for a run that would otherwise first spend minutes training before it connects."""
    if address == "local" or address.startswith("local:"):
        return
    with connect(address):
        pass


def _check_address(address: str) -> None:
    """A ValueError for a TCP address without a numeric port, before a Client is made of it (a Client that
    fails on its address lingers for a minute at exit)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme in ("tcp", "tls"):
        parse_host_port(location)


def worker_count(client) -> int:
    """How many workers the scheduler knows now (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))
