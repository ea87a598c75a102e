"""Incremental SQL source: watermark filter with bound parameters, ordering, headers, errors."""

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from etl.sources.detect import InputError
from etl.sources.sql import read_sql_source


@pytest.fixture
def source_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = sa.create_engine(url)
    md = sa.MetaData()
    t = sa.Table("好差评", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("projectNo", sa.String),
                 sa.Column("satisfaction", sa.Integer), sa.Column("areaCode", sa.String),
                 sa.Column("assessTime", sa.DateTime), sa.Column("score", sa.Float))
    md.create_all(engine)
    rows = [dict(id=i, projectNo=f"P{i:03d}", satisfaction=i % 5 + 1, areaCode="043010",
                 assessTime=dt.datetime(2024, 1, 1, 10, 0, 0) + dt.timedelta(minutes=10 - i), score=2.0)
            for i in range(1, 11)]
    with engine.begin() as conn:
        conn.execute(t.insert(), rows)
    engine.dispose()
    return url


def _all(src):
    chunks = list(src.chunks())
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(), chunks


def test_table_pull_ordered_strings_and_watermark(source_url):
    src = read_sql_source(source_url, table="好差评", watermark_column="assessTime", after=None, chunk_size=4)
    assert src.headers == ["id", "projectNo", "satisfaction", "areaCode", "assessTime", "score"]
    df, chunks = _all(src)
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert df["id"].tolist() == [str(i) for i in range(10, 0, -1)]  # ordered by the watermark
    assert df["areaCode"].iloc[0] == "043010" and df["score"].iloc[0] == "2"
    assert df["assessTime"].iloc[0] == "2024-01-01 10:00:00"
    assert df["__row__"].tolist() == list(range(1, 11))
    assert src.max_watermark == "2024-01-01 10:09:00"


def test_incremental_after_watermark(source_url):
    src = read_sql_source(source_url, table="好差评", watermark_column="assessTime", after="2024-01-01 10:06:00")
    df, _ = _all(src)
    assert df["id"].tolist() == ["3", "2", "1"]
    again = read_sql_source(source_url, table="好差评", watermark_column="assessTime", after=src.max_watermark)
    assert _all(again)[0].empty and again.max_watermark == src.max_watermark


def test_integer_watermark_and_query(source_url):
    src = read_sql_source(source_url, table="好差评", watermark_column="id", after="7")
    assert _all(src)[0]["id"].tolist() == ["8", "9", "10"] and src.max_watermark == "10"
    q = read_sql_source(source_url, query='SELECT id, "projectNo" FROM "好差评" WHERE satisfaction >= 3',
                        watermark_column="id", after="5")
    assert q.headers == ["id", "projectNo"]
    df, _ = _all(q)
    assert df["id"].tolist() == ["7", "8", "9"] and q.max_watermark == "9"


def test_after_value_is_bound_not_formatted(source_url):
    evil = "0 OR 1=1; DROP TABLE 好差评"
    with pytest.raises(InputError):
        _all(read_sql_source(source_url, table="好差评", watermark_column="id", after=evil))
    src = read_sql_source(source_url, table="好差评", watermark_column="projectNo", after="P008' OR '1'='1")
    assert _all(src)[0]["projectNo"].tolist() == ["P009", "P010"]
    assert len(_all(read_sql_source(source_url, table="好差评", watermark_column="id", after=None))[0]) == 10


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(table="nope"), "没有表 'nope'"),
    (dict(table='好差评"; DROP TABLE x; --'), "没有表"),
    (dict(table="好差评", watermark_column="updated"), "没有列 'updated'"),
    (dict(table="好差评", query="SELECT 1"), "须且只须给出一个"),
    (dict(), "须且只须给出一个"),
    (dict(query="SELEC nonsense"), "SQL 数据源 query"),
])
def test_errors(source_url, kwargs, message):
    kwargs.setdefault("watermark_column", "id")
    with pytest.raises(InputError, match=message):
        read_sql_source(source_url, after=None, **kwargs)
