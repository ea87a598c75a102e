"""The layout's rules, read from the source (no product code is imported): import directions, where SQL may live,
module size and docstrings. A failure lists every offending file:line, with what to do about it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("feedback", "etl", "dashboards")
MAX_LINES = 400

# (package, imported top-level names it must never use, why)
FORBIDDEN_IMPORTS = [
    ("feedback", {"flask", "werkzeug", "etl", "dashboards", "bench", "tests"},
     "the domain core depends on nothing of the web or the ETL (dashboards → feedback ← etl)"),
    ("etl", {"flask", "werkzeug", "dashboards", "bench", "tests"}, "the ETL writes into feedback, never into the web"),
    ("dashboards", {"bench", "tests"}, "benchmarks and tests are not part of the product"),
]
DASHBOARD_ETL_ENTRY = "etl.pipeline"  # the one ETL module the dashboard may import

# Names whose import from SQLAlchemy means a module builds SQL.
SQL_CONSTRUCTS = {
    "text", "select", "insert", "update", "delete", "func", "union", "union_all", "case", "exists", "literal",
    "literal_column", "column", "table", "tuple_", "bindparam", "and_", "or_", "not_", "distinct", "cast", "null",
    "true", "false", "over", "within_group", "lateral", "values", "except_", "intersect",
}
SQL_MODULES = ("sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression", "sqlalchemy.dialects.postgresql",
               "sqlalchemy.dialects.sqlite")
SQL_TEXT = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\b(?:CREATE|DROP|ALTER)\s+(?:TEMP\w*\s+)?(?:TABLE|INDEX|VIEW|SCHEMA|DATABASE)\b|\bPRAGMA\s+\w+|\bTRUNCATE\s+\w+"
    r"|\bCOPY\s+\w+",
)
# Modules that hold SQL without being named queries/repository, each for a reason.
SQL_ALLOWED = {
    "feedback/migrations/": "Alembic migrations: schema changes are SQL by nature",
    "feedback/db.py": "the engine and the schema: connection pragmas, upgrade and reset",
    "etl/dbwrite.py": "the bulk record writer (executemany / COPY into a staging table), the ETL's repository",
    "etl/stage.py": "the bulk writer's ADBC staging tables (their own sessions: create, empty, drop)",
    "etl/sources/sql.py": "an input format: reads the user's own source database with the user's query",
}


@dataclass(frozen=True)
class Module:
    path: Path
    rel: str  # posix path from the repository root
    name: str  # dotted module name
    tree: ast.Module
    lines: int


@cache
def _package(package: str) -> tuple[Module, ...]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        name = rel[:-3].replace("/", ".").removesuffix(".__init__")
        out.append(Module(path, rel, name, ast.parse(source, rel), len(source.splitlines())))
    return tuple(out)


def modules(*packages: str) -> list[Module]:
    """Every Python module under the packages, parsed once per test session."""
    return [m for package in packages for m in _package(package)]


def imports(module: Module) -> Iterator[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) of every import, lazy ones too; relative ones resolved."""
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            for alias in node.names:
                yield node.lineno, base, alias.name


def import_violations() -> list[str]:
    found = []
    for package, banned, why in FORBIDDEN_IMPORTS:
        for module in modules(package):
            for line, target, _ in imports(module):
                if target.split(".")[0] in banned:
                    found.append(f"{module.rel}:{line} imports {target} ({why})")
    for module in modules("dashboards"):
        for line, target, name in imports(module):
            full = f"{target}.{name}" if name and target == "etl" else target
            if full.split(".")[0] == "etl" and not (full == DASHBOARD_ETL_ENTRY
                                                    or full.startswith(DASHBOARD_ETL_ENTRY + ".")):
                found.append(f"{module.rel}:{line} imports {full} (the dashboard uses the ETL only through "
                             f"{DASHBOARD_ETL_ENTRY})")
    return found


def sql_home(rel: str) -> bool:
    """Whether SQL belongs in this module: a queries/repository module, inside a queries/ package, or allowed."""
    parts = rel.split("/")
    return (parts[-1] in ("queries.py", "repository.py") or "queries" in parts[:-1]
            or any(rel.startswith(prefix) for prefix in SQL_ALLOWED))


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring constants (prose about SQL is not SQL)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal but docstrings; an f-string's fixed parts joined by spaces."""
    skip = _docstrings(tree)
    inside_fstring = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            inside_fstring.update(id(v) for v in node.values)
            yield node.lineno, " x ".join(parts)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
                and id(node) not in inside_fstring):
            yield node.lineno, node.value


def sql_in(module: Module) -> list[str]:
    """What in a module builds or holds SQL: SQLAlchemy SQL constructs imported, SQL text in string literals."""
    found = []
    aliases = set()
    constructs: dict[tuple[int, str], list[str]] = {}
    for line, target, name in imports(module):
        if name is None and target == "sqlalchemy":
            aliases.add("sqlalchemy")
        elif target in SQL_MODULES and name in SQL_CONSTRUCTS:
            constructs.setdefault((line, target), []).append(name)
    for (line, target), names in constructs.items():
        found.append(f"{module.rel}:{line} imports {', '.join(names)} from {target}")
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            aliases.update(a.asname or a.name for a in node.names if a.name == "sqlalchemy")
        if (isinstance(node, ast.Attribute) and node.attr in SQL_CONSTRUCTS and isinstance(node.value, ast.Name)
                and node.value.id in aliases):
            found.append(f"{module.rel}:{node.lineno} uses {node.value.id}.{node.attr}")
        if (isinstance(node, ast.Attribute) and node.attr in ("insert", "update", "delete", "select")
                and isinstance(node.value, ast.Attribute) and node.value.attr == "__table__"):
            found.append(f"{module.rel}:{node.lineno} calls __table__.{node.attr}()")
    for line, value in _strings(module.tree):
        match = SQL_TEXT.search(value)
        if match:
            found.append(f"{module.rel}:{line} SQL text {' '.join(match.group(0).split())[:40]!r}")
    return sorted(found, key=lambda f: int(f.split(" ", 1)[0].rsplit(":", 1)[1]))


def sql_violations() -> list[str]:
    return [v for module in modules(*PRODUCT) if not sql_home(module.rel) for v in sql_in(module)]


def _report(title: str, found: list[str]) -> str:
    return f"{title} ({len(found)}):\n  " + "\n  ".join(found)


def test_imports_point_inward():
    found = import_violations()
    assert not found, _report("imports against dashboards → feedback ← etl", found)


def test_sql_lives_in_queries_and_repository_modules():
    found = sql_violations()
    assert not found, _report(
        "SQL outside queries.py / repository.py / queries/ (move it there, or add the module to SQL_ALLOWED with "
        "its reason)", found)


@pytest.mark.parametrize("prefix", sorted(SQL_ALLOWED))
def test_each_sql_exception_still_holds_sql(prefix):
    assert any(sql_in(m) for m in modules(*PRODUCT) if m.rel.startswith(prefix)), \
        f"{prefix} holds no SQL any more: drop it from SQL_ALLOWED"


@pytest.mark.parametrize("package", [*PRODUCT, "bench"])
def test_no_module_over_the_size_limit(package):
    found = [f"{m.rel}: {m.lines} lines" for m in modules(package) if m.lines > MAX_LINES]
    assert not found, _report(f"modules over {MAX_LINES} lines (split them by responsibility)", found)


@pytest.mark.parametrize("package", [*PRODUCT, "bench"])
def test_every_module_says_what_it_is(package):
    found = [m.rel for m in modules(package) if m.lines and not ast.get_docstring(m.tree)]
    assert not found, _report("modules without a docstring (an empty __init__.py is fine)", found)


def test_the_checks_see_what_they_look_for():
    """The scanners themselves: a forbidden import, SQL constructs and SQL text are found; prose is not."""
    source = '''"""SELECT a FROM b in a docstring is prose."""
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import Connection, select
from ..etl import readers
Q = f"SELECT {1} FROM records"
def f(conn):
    """Runs UPDATE t SET x, in words."""
    conn.execute(sa.text("x"))
    Record.__table__.update()
    return "DELETE FROM t"
'''
    module = Module(ROOT / "feedback/x/y.py", "feedback/x/y.py", "feedback.x.y", ast.parse(source), 11)
    assert [(line, target) for line, target, _ in imports(module)] == [
        (2, "sqlalchemy"), (3, "flask"), (4, "sqlalchemy"), (4, "sqlalchemy"), (5, "feedback.etl")]
    found = sql_in(module)
    assert [f.split(" ", 1)[0] for f in found] == ["feedback/x/y.py:4", "feedback/x/y.py:6", "feedback/x/y.py:9",
                                                   "feedback/x/y.py:10", "feedback/x/y.py:11"], found
    assert sql_home("dashboards/queries/tasks.py") and sql_home("feedback/scoring/repository.py")
    assert sql_home("feedback/migrations/versions/0001_initial.py") and not sql_home("feedback/stats/kpi.py")
