"""Untrusted work under limits: a child that runs out of memory or time is stopped; the caller survives."""

from __future__ import annotations

import os
import resource
import time

import pytest

from feedback.isolate import (
    MEMORY_MESSAGE,
    TIMEOUT_MESSAGE,
    Limits,
    MemoryLimitExceeded,
    TimeLimitExceeded,
    limited,
    run_isolated,
)


def test_result_and_exception_come_back_from_the_child():
    assert run_isolated(divmod, 17, 5) == (3, 2)
    with pytest.raises(ValueError, match="invalid literal"):
        run_isolated(int, "十七")


def test_a_child_over_its_memory_is_refused_with_the_message():
    with pytest.raises(MemoryLimitExceeded) as info:
        run_isolated(bytearray, 1 << 30, limits=Limits(memory_mb=64, timeout_s=120))  # 1 GB under a 64 MB cap
    assert str(info.value) == MEMORY_MESSAGE
    assert bytearray(1 << 30)  # the parent itself is not capped


def test_a_child_past_its_time_is_stopped():
    with pytest.raises(TimeLimitExceeded) as info:
        run_isolated(time.sleep, 600, limits=Limits(memory_mb=64, timeout_s=1))
    assert str(info.value) == TIMEOUT_MESSAGE


def test_in_process_limits_are_lifted_afterwards():
    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(MemoryLimitExceeded):
        with limited(Limits(memory_mb=32, timeout_s=0)):
            bytearray(1 << 30)
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    with pytest.raises(TimeLimitExceeded):
        with limited(Limits(memory_mb=0, timeout_s=0.2)):
            time.sleep(5)
    assert bytearray(1 << 30)


def test_the_child_runs_at_a_lower_cpu_priority():
    here = os.nice(0)
    assert run_isolated(os.nice, 0, limits=Limits(memory_mb=0, timeout_s=120, nice=7)) == min(here + 7, 19)
    assert run_isolated(os.nice, 0, limits=Limits(memory_mb=0, timeout_s=120)) == here  # nice 0: unchanged
