"""Peak resident memory of this process alone.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is not that in a child process: Linux carries the parent's high-water
mark into a child started with fork/exec (Python's ``subprocess`` included), so a child of a parent that once held
1 GB reports at least 1 GB whatever it used itself. ``VmHWM`` in ``/proc/self/status`` belongs to the process's own
address space and starts afresh at exec."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's own peak resident memory in MB (``VmHWM``; ``ru_maxrss`` where /proc is absent)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def inherited_rss_mb() -> float:
    """``ru_maxrss`` in MB as getrusage reports it (includes a parent's high-water mark in a child)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
