"""Region names (行政区划名称) for screens, task titles and bulletins: a CSV of ``code,name`` rows.

Records carry only the region code; names come from the file named by ``[paths] region_names`` (by default
``instance/region_names.csv``, which `haocha demo` writes for its city). Without the file, codes are shown."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedback.settings import Settings


def read_region_names(path: str | Path | None) -> dict[str, str]:
    """Region names from a CSV of code,name rows (a header row is allowed); empty without a path."""
    if not path:
        return {}
    names: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 2 and row[0].strip().isdigit() and row[1].strip():
                names[row[0].strip()] = row[1].strip()
    return names


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int) -> dict[str, str]:
    return read_region_names(path)


def region_names(settings: Settings) -> dict[str, str]:
    """The configured names (re-read when the file changes); empty when the file does not exist."""
    path = settings.region_names_path
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return {}
    return dict(_cached(str(path), mtime))


def short_code(code: str) -> str:
    """A 12-digit region code without its zero padding: 6 digits (county) or 9 (township) when the rest is 0."""
    return code[:6] if code[6:].strip("0") == "" else code[:9] if code[9:].strip("0") == "" else code


def region_name(code: str | None, names: Mapping[str, str]) -> str | None:
    """A code's name, looked up by the 12-digit or the short code; None if unnamed."""
    if not code:
        return None
    return names.get(code) or names.get(short_code(code))


def write_region_names(path: Path, rows: list[tuple[str, str]]) -> Path:
    """Write code,name rows (with a header) as UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "name"])
        writer.writerows(rows)
    return path
