"""Records pushed over the API (a list of JSON objects in memory) read like a JSON Lines file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from etl.sources.jsonl import object_chunks
from etl.sources.raw import InputError, RawSource, clean_headers, column_to_str, frame_from_columns


class RecordsSource(RawSource):
    """Headers are the keys of the objects in order of first appearance (cleaned like CSV headers). Values are
    turned into strings as the JSON Lines reader does. Row numbers are the 1-based positions in the list, so a
    reject's ``row_number - 1`` is its index in the request. An item that is not an object, or an empty object,
    is yielded with ``__error__`` set: it ends in the rejects, never silently skipped."""

    kind = "push"

    def __init__(self, records: Sequence[object], *, label: str = "push", chunk_size: int = 50_000):
        self.records = records
        self.chunk_size = max(1, int(chunk_size))
        keys: dict[str, None] = {}
        for obj in records:
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(str(k) for k in obj))
        if not keys:
            raise InputError(f"{label}：没有一条记录是带字段的 JSON 对象")
        self._keys = list(keys)
        super().__init__(Path(label), clean_headers(self._keys, label))
        self._name_of = dict(zip(self._keys, self.headers, strict=True))

    def _frame(self, items: list[dict], numbers: list[int], errors: list[str | None]) -> pd.DataFrame:
        data = {self._name_of[k]: column_to_str(r.get(k) for r in items) for k in self._keys}
        return frame_from_columns(data, np.array(numbers, dtype=np.int64), errors)

    def chunks(self) -> Iterator[pd.DataFrame]:
        yield from object_chunks(self._objects(), self.chunk_size, self._frame)

    def _objects(self) -> Iterator[tuple[int, object, str | None]]:
        for number, obj in enumerate(self.records, 1):
            if not isinstance(obj, dict):
                error = f"第 {number} 条记录是 JSON {type(obj).__name__}，不是对象"
            elif not obj or all(v is None or v == "" for v in obj.values()):
                error = f"第 {number} 条记录没有任何字段值"
            else:
                error = None
            yield number, obj, error
