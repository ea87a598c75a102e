"""Delimited text tables (CSV, TSV): encoding and delimiter detection, streaming chunks, malformed lines kept."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import charset_normalizer
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from etl.sources.raw import ERROR, ROW, InputError, RawSource, clean_headers, frame_from_columns

SAMPLE_BYTES = 1 << 20
# One CSV record must fit in a block (a comment is cut at 5,000 characters, ~15 KB). Arrow's reader keeps blocks
# read ahead, so the block size sets much of a load's memory: 512 KB instead of 2 MB took a 1M-row PostgreSQL
# load's peak from ~500 to ~430 MB at the same speed (docs/performance.md).
BLOCK_BYTES = 512 << 10
DELIMITERS = (",", "\t", ";", "|")
_GB_FAMILY = {"gb2312", "gbk", "cp936", "gb18030", "hz", "euc_cn", "ms936"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _complete_lines(sample: bytes, complete: bool) -> bytes:
    """The sample cut after its last newline, so no multi-byte character is cut in half."""
    if complete:
        return sample
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def detect_encoding(sample: bytes, *, complete: bool, source: str) -> str:
    """Encoding of a text sample: BOMs first, then strict UTF-8, then charset-normalizer. GBK/GB2312 answers
    become GB18030 (a superset), and a Chinese text charset-normalizer mistakes for another CJK codec too."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = _complete_lines(sample, complete)
    if b"\x00" in sample:
        raise InputError(f"{source}：含有二进制数据（空字节），不是文本表格")
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(sample).best()
    name = best.encoding.lower().replace("-", "_") if best is not None else None
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        text = sample.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    if text and non_ascii and len(_CJK.findall(text)) >= 0.6 * non_ascii:
        return "gb18030"
    if name is None:
        raise InputError(f"{source}：不是文本表格（无法识别字符编码）")
    return name


def sniff_delimiter(first_line: str) -> str:
    """The candidate that occurs most often outside quotes in the header line (comma on a tie or none)."""
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


class CsvSource(RawSource):
    """A delimited text file read in chunks by Arrow's streaming CSV reader (serial, so malformed lines keep their
    row numbers). A line with the wrong number of fields is yielded with ``__error__`` set and the fields it has."""

    kind = "csv"

    def __init__(self, path: Path, *, chunk_size: int = 50_000):
        self.chunk_size = max(1, int(chunk_size))
        with open(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
            complete = len(sample) < SAMPLE_BYTES or not fh.read(1)
        self.encoding = detect_encoding(sample, complete=complete, source=path.name)
        text = _complete_lines(sample, complete).decode(self.encoding, errors="replace").lstrip("\ufeff")
        first_line = text.split("\n", 1)[0]
        if len(first_line) > 2000:
            raise InputError(f"{path.name}：不是表格（第一行长达 {len(first_line):,} 个字符）")
        self.delimiter = sniff_delimiter(first_line)
        try:
            header = next(csv.reader(io.StringIO(text), delimiter=self.delimiter))
        except (StopIteration, csv.Error) as exc:
            raise InputError(f"{path.name}：没有表头行（{exc or '文件是空的'}）") from exc
        super().__init__(path, clean_headers(header, path.name))

    def _reader(self, bad: list[tuple[int, int, str]]):
        def on_bad(row) -> str:
            bad.append((row.number, row.actual_columns, row.text))
            return "skip"

        enc = "utf8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding
        return pacsv.open_csv(
            str(self.path),
            read_options=pacsv.ReadOptions(
                encoding=enc, column_names=self.headers, skip_rows=1, block_size=BLOCK_BYTES, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.delimiter, newlines_in_values=True, ignore_empty_lines=False,
                invalid_row_handler=on_bad,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.large_string() for h in self.headers},
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )

    def _bad_frame(self, bad: list[tuple[int, int, str]]) -> pd.DataFrame:
        width = len(self.headers)
        cols: dict[str, list[str | None]] = {h: [] for h in self.headers}
        for _number, _actual, text in bad:
            fields = next(csv.reader(io.StringIO(text), delimiter=self.delimiter), [])
            for j, h in enumerate(self.headers):
                cols[h].append(fields[j] if j < len(fields) and fields[j] != "" else None)
        reasons = [f"该行有 {actual} 个字段，表头有 {width} 个（列数不符，无法对齐到表头）" for _, actual, _ in bad]
        return frame_from_columns({h: pd.array(v, dtype="str") for h, v in cols.items()},
                                  np.array([b[0] for b in bad], dtype=np.int64), reasons)

    def _frame(self, table: pa.Table, good: int, bad: list[tuple[int, int, str]], emitted_bad: int
               ) -> tuple[pd.DataFrame, int]:
        numbers = np.array([b[0] for b in bad], dtype=np.int64)
        before_bad = numbers - 2 - np.arange(len(numbers))  # good rows before the k-th bad row
        g = np.arange(good, good + table.num_rows, dtype=np.int64)
        rows = g + 2 + np.searchsorted(before_bad, g, side="right")
        df = frame_from_columns({h: table.column(i).to_pandas() for i, h in enumerate(self.headers)}, rows)
        take = [b for b in bad[emitted_bad:] if b[0] <= int(rows[-1])]
        if take:
            df = pd.concat([df, self._bad_frame(take)]).sort_values(ROW, kind="stable").reset_index(drop=True)
        return df, emitted_bad + len(take)

    def chunks(self) -> Iterator[pd.DataFrame]:
        bad: list[tuple[int, int, str]] = []
        emitted_bad = 0
        good = 0  # good rows yielded so far
        buffer: pa.Table | None = None
        try:
            for batch in self._reader(bad):
                if not batch.num_rows:
                    continue
                table = pa.Table.from_batches([batch])
                buffer = table if buffer is None else pa.concat_tables([buffer, table])
                while buffer.num_rows >= self.chunk_size:
                    part, buffer = buffer.slice(0, self.chunk_size), buffer.slice(self.chunk_size)
                    df, emitted_bad = self._frame(part, good, bad, emitted_bad)
                    good += part.num_rows
                    if len(df):
                        yield df
            if buffer is not None and buffer.num_rows:
                df, emitted_bad = self._frame(buffer, good, bad, emitted_bad)
                if len(df):
                    yield df
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            msg = str(exc).splitlines()[0]
            if "straddl" in msg:
                done = good + len(bad) + (buffer.num_rows if buffer is not None else 0) + 1  # the header is row 1
                raise InputError(f"{self.path.name}：第 {done} 行之后的一条记录超过 {BLOCK_BYTES >> 10} KB"
                                 "（或有引号没有闭合）") from exc
            raise InputError(f"{self.path.name}：无法按 {self.encoding} 编码读取为 CSV（{msg}）") from exc
        if emitted_bad < len(bad):
            yield self._bad_frame(bad[emitted_bad:])


__all__ = ["ERROR", "CsvSource", "detect_encoding", "sniff_delimiter"]
