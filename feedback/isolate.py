"""Run work on untrusted files under a memory and a time limit, in a child process or in this one.

The web process never reads an uploaded file itself: ``run_isolated(fn, *args)`` starts a fresh interpreter
('spawn': nothing of the server's threads or locks is copied), caps its address space (``RLIMIT_AS``) and its
wall time, runs ``fn`` there and hands back its pickled result or exception. A file that blows the memory cap or
the clock kills only that child; the caller gets :class:`LimitExceeded` with a message for the user (Chinese).

``limited(...)`` applies the same limits to the current process for a while (``haocha ingest``). The memory cap
is counted on top of what the process had mapped when the limit was set (the interpreter, numpy, pandas …), so
``[security] import_memory_mb`` is the memory the work itself may take, whatever the libraries reserve.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import resource
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MEMORY_MESSAGE = "文件过大或结构异常，处理时超出内存上限"
TIMEOUT_MESSAGE = "处理超时"


class LimitExceeded(RuntimeError):
    """The work ran out of its memory or its time; the message is shown to the user."""


class MemoryLimitExceeded(LimitExceeded, MemoryError):
    pass


class TimeLimitExceeded(LimitExceeded, TimeoutError):
    pass


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 2048  # address space the work may add (0: no cap)
    timeout_s: float = 900  # wall-clock seconds (0: no limit)
    nice: int = 0  # run_isolated: the child's CPU priority below the caller's (0–19; web requests go first)


def _mapped_bytes() -> int:
    """Virtual memory the process has mapped now (Linux /proc); 0 where unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def address_space_left() -> int | None:
    """Bytes this process may still map under its ``RLIMIT_AS`` (None: no cap). Native code that aborts instead
    of raising MemoryError (C++ drivers) is only used with room to spare."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(0, soft - _mapped_bytes())


@contextmanager
def limited(limits: Limits) -> Iterator[None]:
    """Cap this process's address space at what it maps now + ``memory_mb`` and raise
    :class:`TimeLimitExceeded` after ``timeout_s`` (main thread only); both are lifted again on exit."""
    old_as = resource.getrlimit(resource.RLIMIT_AS)
    if limits.memory_mb:
        _warm_allocators()
        soft = _mapped_bytes() + limits.memory_mb * (1 << 20)
        hard = old_as[1]
        resource.setrlimit(resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    alarm = bool(limits.timeout_s) and _main_thread()
    if alarm:
        def _ring(_signum, _frame):
            raise TimeLimitExceeded(TIMEOUT_MESSAGE)
        old_handler = signal.signal(signal.SIGALRM, _ring)
        signal.setitimer(signal.ITIMER_REAL, float(limits.timeout_s))
        # A thread stuck in native code (a reader's allocator out of memory) never lets the alarm's handler run:
        # a minute later the watchdog thread ends the process (the load resumes at its checkpoint next time).
        try:
            faulthandler.dump_traceback_later(float(limits.timeout_s) + 60, exit=True, file=sys.__stderr__)
        except (AttributeError, OSError, ValueError):  # no real stderr (embedded): the alarm alone
            pass
    try:
        yield
    except MemoryError as exc:
        if isinstance(exc, LimitExceeded):
            raise
        raise MemoryLimitExceeded(MEMORY_MESSAGE) from None
    finally:
        if alarm:
            faulthandler.cancel_dump_traceback_later()
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
        resource.setrlimit(resource.RLIMIT_AS, old_as)


def _warm_allocators() -> None:
    """Let Arrow's allocator (mimalloc) reserve its arenas before the cap: reserving them under a tight cap
    fails inside the CSV reader and leaves it waiting forever instead of raising MemoryError."""
    if "pyarrow.csv" in sys.modules:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        reader = pacsv.open_csv(pa.BufferReader(b"a\n1\n"), read_options=pacsv.ReadOptions(use_threads=False))
        reader.read_all()


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _resolve(target: Callable | tuple[str, str]) -> Callable:
    if not isinstance(target, tuple):
        return target
    import importlib

    obj: Any = importlib.import_module(target[0])
    for part in target[1].split("."):
        obj = getattr(obj, part)
    return obj


def _reference(fn: Callable) -> Callable | tuple[str, str]:
    """``fn`` as (module, qualified name) when it can be found again that way, so the child imports its module
    only after lowering its priority (the imports of pandas and scikit-learn are a large part of its CPU time)."""
    module, name = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if module and name and "<" not in name:
        try:
            if _resolve((module, name)) is fn:
                return (module, name)
        except (ImportError, AttributeError):
            pass
    return fn


def _child(conn, memory_mb: int, nice: int, target: Callable | tuple[str, str], args: tuple, kwargs: dict) -> None:
    """Entry point of the child: lower its priority, load ``fn`` and its module, then set the memory cap."""
    if nice > 0:
        try:
            os.nice(nice)
        except OSError:  # not permitted here: run at the caller's priority
            pass
    try:
        fn = _resolve(target)
        with limited(Limits(memory_mb=memory_mb, timeout_s=0)):
            result = ("ok", fn(*args, **kwargs))
    except MemoryError:
        result = ("memory", None)
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        result = ("error", exc)
    try:
        conn.send(result)
    except Exception:  # noqa: BLE001 - an exception or result that does not pickle
        try:
            if result[0] == "ok":
                conn.send(("error", RuntimeError("结果无法传回")))
            else:
                text = "".join(traceback.format_exception_only(type(result[1]), result[1])).strip()
                conn.send(("error", RuntimeError(text)))
        except MemoryError:
            conn.send(("memory", None))
    finally:
        conn.close()


def run_isolated(fn: Callable, *args: Any, limits: Limits = Limits(), **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a child process under ``limits``; its result, or its exception raised here.

    ``fn`` and the arguments must pickle (a module-level function; no engines or open files: pass URLs and
    paths). A child that exceeds its memory (or dies of a signal) raises :class:`MemoryLimitExceeded`, one past
    ``timeout_s`` is killed and raises :class:`TimeLimitExceeded`."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, limits.memory_mb, limits.nice, _reference(fn), args, kwargs),
                        daemon=True, name="haocha-isolated")
    child.start()
    send.close()
    try:
        if not receive.poll(limits.timeout_s or None):
            raise TimeLimitExceeded(TIMEOUT_MESSAGE)
        try:
            status, value = receive.recv()
        except (EOFError, OSError):  # died without an answer: killed by the kernel or a signal
            raise MemoryLimitExceeded(MEMORY_MESSAGE) from None
    finally:
        receive.close()
        _reap(child)
    if status == "ok":
        return value
    if status == "memory":
        raise MemoryLimitExceeded(MEMORY_MESSAGE)
    raise value


def run_in_process(fn: Callable, *args: Any, limits: Limits = Limits(), **kwargs: Any) -> Any:
    """The same call without a child (tests with stand-in modules; no limits)."""
    return fn(*args, **kwargs)


def _reap(child) -> None:
    child.join(timeout=0.5)
    if child.is_alive():
        child.terminate()
        child.join(timeout=2)
    if child.is_alive():  # pragma: no cover - SIGTERM ignored
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    child.close()
