"""A labelled corpus for training and evaluation: CSV (UTF-8/GBK/GB18030), XLSX or JSON Lines, by content."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feedback.files import FormatError, WorkbookLimits, check_workbook, sniff_format
from feedback.scoring.scorer import scoring_text


class LabelledDataError(ValueError):
    """The labelled file cannot be used; the message names the file, and the row and column where it applies."""


def _read(path: Path, limits: WorkbookLimits | None) -> pd.DataFrame:
    try:
        kind = sniff_format(path)
        if kind == "xlsx":
            check_workbook(path, limits)
    except FormatError as exc:
        raise LabelledDataError(str(exc)) from None
    if kind in ("xlsx", "xls"):
        return pd.read_excel(path, dtype=str, engine="calamine")
    if kind == "jsonl":
        return pd.read_json(path, lines=True, dtype=False, encoding="utf-8-sig")  # a BOM, as the ETL allows
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise LabelledDataError(f"{path}: neither UTF-8 nor GB18030")
    from io import StringIO

    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)


def read_labelled(path: str | Path, text_col: str, label_col: str, *, title_col: str | None = None,
                  limits: WorkbookLimits | None = None) -> tuple[list[str], list[str]]:
    """(texts, labels) of every row; an empty text or label is an error naming its row (1 = first data row). An
    .xlsx is inspected against ``limits`` (default: WorkbookLimits()) before it is read. ``title_col``: a message's
    subject, joined before its text as ``haocha score`` reads a message."""
    path = Path(path)
    if not path.exists():
        raise LabelledDataError(f"{path}: no such file")
    try:
        frame = _read(path, limits)
    except LabelledDataError:
        raise
    except Exception as exc:  # parser errors of pandas/calamine: say which file
        raise LabelledDataError(f"{path}: cannot read ({exc})") from exc
    for col in (text_col, label_col, *([title_col] if title_col else [])):
        if col not in frame.columns:
            raise LabelledDataError(f"{path}: no column {col!r} (columns: {', '.join(map(str, frame.columns))})")
    texts = frame[text_col].fillna("").astype(str).str.strip()
    if title_col:
        titles = frame[title_col].fillna("").astype(str).tolist()
        texts = pd.Series([scoring_text("message", t, x) for t, x in zip(titles, texts, strict=True)],
                          index=frame.index)
    labels = frame[label_col].fillna("").astype(str).str.strip()
    for col, values in ((text_col, texts), (label_col, labels)):
        empty = values.eq("")
        if empty.any():
            row = int(empty.to_numpy().argmax()) + 1
            raise LabelledDataError(f"{path}: row {row}, column {col!r}: empty ({int(empty.sum())} such rows)")
    if len(frame) == 0:
        raise LabelledDataError(f"{path}: no rows")
    return texts.tolist(), labels.tolist()
