"""Names only: a 事项 or department given by name without its code gets the code already known for that name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

# (code column, name column) pairs filled by name
PAIRS = (("service_code", "service_name"), ("dept_code", "dept_name"))
# Spaces, dots and brackets vary between systems for the same name: “社保卡申领（补换）” = "社保卡申领 (补换)"
_NOISE = re.compile(r"[\s\u3000·・.,，。、:：;；\-—_()（）\[\]【】《》<>\"'“”‘’]+")


def name_key(name: object) -> str | None:
    """The normalised form two spellings of one name share: NFKC (full-width → ASCII), case folded, without
    whitespace and punctuation. ``None`` for an empty name."""
    if name is None or (isinstance(name, float) and name != name) or name is pd.NA:
        return None
    key = _NOISE.sub("", unicodedata.normalize("NFKC", str(name)).casefold())
    return key or None


@dataclass
class NameCodes:
    """Known (code, name) pairs per pair of columns; a name written for two different codes is ambiguous and is
    never used to fill a code."""

    codes: dict[str, dict[str, str | None]] = field(default_factory=lambda: {c: {} for c, _ in PAIRS})

    @classmethod
    def from_pairs(cls, pairs: dict[str, Iterable[tuple[str, str]]]) -> NameCodes:
        """``pairs``: code column → (code, name) pairs already stored."""
        known = cls()
        for code_col, rows in pairs.items():
            known._learn(code_col, rows)
        return known

    def _learn(self, code_col: str, rows: Iterable[tuple[object, object]]) -> None:
        table = self.codes.setdefault(code_col, {})
        for code, name in rows:
            key = name_key(name)
            if key is None or code is None or code is pd.NA or (isinstance(code, float) and code != code):
                continue
            if table.get(key, code) != code:
                table[key] = None  # ambiguous from now on
            else:
                table[key] = str(code)

    def fill(self, records: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
        """``records`` with empty codes filled from their names (pairs in ``records`` itself count too), and the
        number of rows filled per code column. Keys and content hashes are left as they were, so loading the same
        file again stays a no-op whatever was learnt in between."""
        filled: dict[str, int] = {}
        for code_col, name_col in PAIRS:
            if code_col not in records or name_col not in records:
                continue
            codes, names = records[code_col], records[name_col]
            both = (codes.notna() & names.notna()).to_numpy(dtype=bool)
            if both.any():  # distinct pairs only: a chunk repeats the same few 事项 thousands of times
                pairs = pd.DataFrame({"c": codes[both], "n": names[both]}).drop_duplicates()
                self._learn(code_col, zip(pairs["c"], pairs["n"], strict=True))
            todo = (codes.isna() & names.notna()).to_numpy(dtype=bool)
            if not todo.any():
                continue
            table = self.codes.get(code_col, {})
            wanted = names[todo]
            lookup = {n: table.get(name_key(n)) for n in wanted.unique()}
            found = wanted.map(lookup)
            found = found[found.notna()]
            if len(found):
                records = records.copy() if not filled else records
                records.loc[found.index, code_col] = found.astype(codes.dtype)
                filled[code_col] = len(found)
        return records, filled
