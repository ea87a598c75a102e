"""JSON Lines files (one object per line, as pushed by platform interfaces) read in chunks of string columns."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from etl.sources.raw import (
    SPECIAL_COLUMNS,
    InputError,
    RawSource,
    clean_headers,
    column_to_str,
    frame_from_columns,
)
from feedback.text.normalise import clean_scalar

HEADER_SCAN_LINES = 1000
MAX_DEPTH = 32  # nesting of objects / arrays a line may have; deeper lines are rejects (no real export nests so)


def too_deep(obj: object, limit: int = MAX_DEPTH) -> bool:
    """Whether ``obj`` nests objects / arrays more than ``limit`` levels (iterative: no recursion limit)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value)
                         if isinstance(v, dict | list))
    return False


def parse_line(line: str) -> tuple[object, str | None]:
    """(object, None) or (None, the Chinese reason the line is rejected)."""
    try:
        obj = json.loads(line)
    except ValueError as exc:
        return None, f"该行不是有效的 JSON（{exc.msg}，第 {exc.colno} 个字符）"
    except RecursionError:
        return None, f"该行 JSON 嵌套过深（超过 {MAX_DEPTH} 层）"
    if not isinstance(obj, dict):
        return None, f"该行是 JSON {type(obj).__name__}，不是对象"
    if too_deep(obj):
        return None, f"该行 JSON 嵌套过深（超过 {MAX_DEPTH} 层）"
    return obj, None


def object_chunks(items: Iterator[tuple[int, object, str | None]], chunk_size: int,
                  frame: Callable[[list[dict], list[int], list[str | None]], pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """(row number, object, error) triples cut into frames of ``chunk_size`` rows; a row with an error keeps its
    number and an empty object, so it ends in the rejects."""
    records: list[dict] = []
    numbers: list[int] = []
    errors: list[str | None] = []
    for number, obj, error in items:
        records.append(obj if error is None else {})
        numbers.append(number)
        errors.append(error)
        if len(records) >= chunk_size:
            yield frame(records, numbers, errors)
            records, numbers, errors = [], [], []
    if records:
        yield frame(records, numbers, errors)


class JsonlSource(RawSource):
    """Headers are the keys of the objects in the first 1000 lines, in order of first appearance (cleaned like
    CSV headers). A key first seen later becomes an extra column of the chunks it occurs in. Values: strings as
    they are, numbers without ``.0``, ``true``/``false``, nested values as JSON text, null = NA. A line that is
    not a JSON object is yielded with ``__error__`` set; blank lines are skipped (they keep their numbers)."""

    kind = "jsonl"

    def __init__(self, path: Path, *, encoding: str = "utf-8", chunk_size: int = 50_000):
        self.encoding = encoding
        self.chunk_size = max(1, int(chunk_size))
        keys: dict[str, None] = {}
        with open(path, encoding=encoding, errors="replace") as fh:
            for line in islice(fh, HEADER_SCAN_LINES):
                obj, error = parse_line(line)
                if error is None:
                    keys.update(dict.fromkeys(obj))
        if not keys:
            raise InputError(f"{path.name}：前 {HEADER_SCAN_LINES} 行中没有 JSON 对象")
        self._keys = list(keys)
        super().__init__(path, clean_headers(self._keys, path.name))
        self._name_of = dict(zip(self._keys, self.headers, strict=True))

    def _frame(self, records: list[dict], numbers: list[int], errors: list[str | None]) -> pd.DataFrame:
        extra = [k for k in dict.fromkeys(k for r in records for k in r) if k not in self._name_of]
        for k in extra:
            name = base = clean_scalar(k) or f"column_{len(self._name_of) + 1}"
            taken = set(self._name_of.values())
            n = 1
            while name in taken or name in SPECIAL_COLUMNS:
                n += 1
                name = f"{base}.{n}"
            self._name_of[k] = name
        data = {self._name_of[k]: column_to_str(r.get(k) for r in records) for k in [*self._keys, *extra]}
        return frame_from_columns(data, np.array(numbers, dtype=np.int64), errors)

    def chunks(self) -> Iterator[pd.DataFrame]:
        with open(self.path, encoding=self.encoding, errors="replace") as fh:
            yield from object_chunks(self._objects(fh), self.chunk_size, self._frame)

    @staticmethod
    def _objects(lines) -> Iterator[tuple[int, object, str | None]]:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            obj, error = parse_line(line)
            yield number, obj, error
