"""The joins between distributed tables in SQL text, found with PostgreSQL's own parser (pglast): on Citus a join
of two distributed tables runs shard by shard only when it equates their distribution columns.

``joins(sql)`` lists, per query level, every pair of sources that read a distributed table — a table of the plan
(``feedback.models.distribution.DISTRIBUTED``), or a subquery / CTE with an output column taken from a
distribution column — and whether the level's equalities connect them on those columns: ``a.id = b.record_id``
in a JOIN's ON or USING or in the WHERE clause's top-level ANDs, transitively (``s.record_id = r.id AND
t.record_id = r.id`` connects s and t). A correlated subquery that reads a distributed table and refers to a
distributed source of an outer level is a join with that source too. Uncorrelated subqueries joined on anything
else are not joins here: Citus plans them on their own. Aliases, unqualified columns (by the models' columns),
CTEs, ``SELECT *``, casts and UNIONs are followed; anything the analyser cannot resolve counts as no equality.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind, BoolExprType, SetOperation, SubLinkType

Output = list[tuple[str, bool]]  # a query's output columns: (name, carries a distribution column)


@dataclass(frozen=True)
class Join:
    left: str
    right: str
    ok: bool  # connected by equalities of distribution columns

    def __str__(self) -> str:
        return f"{self.left} ⋈ {self.right}" + ("" if self.ok else " (不在分布列上)")


@dataclass(eq=False)
class Source:
    label: str  # for messages: "records r", "子查询 s", "CTE c"
    name: str  # how the query refers to it (alias, else table or CTE name)
    columns: set[str] | None  # known column names (None: unknown)
    dist: set[str]  # its columns that carry a distribution column's values

    @property
    def distributed(self) -> bool:
        return bool(self.dist)


@dataclass(eq=False)
class Scope:
    parent: Scope | None
    sources: list[Source] = field(default_factory=list)
    conditions: list[ast.Node] = field(default_factory=list)
    edges: list[tuple[Source, Source]] = field(default_factory=list)
    outer_refs: list[Source] = field(default_factory=list)


def driver_sql_to_postgres(statement: str, has_parameters: bool) -> str:
    """A statement as psycopg receives it (``%(name)s`` / ``%s`` placeholders, ``%%`` for %) in PostgreSQL's own
    form (``$1`` …), which the parser reads."""
    if not has_parameters:
        return statement
    n = 0

    def number(_match: re.Match) -> str:
        nonlocal n
        n += 1
        return f"${n}"

    return re.sub(r"%\(\w+\)s|%s", number, statement).replace("%%", "%")


class Analyser:
    def __init__(self, distributed: Mapping[str, str], columns: Mapping[str, Iterable[str]]):
        self.distributed = dict(distributed)
        self.columns = {t: set(c) for t, c in columns.items()}

    def joins(self, sql: str) -> list[Join]:
        found: list[Join] = []
        for raw in parse_sql(sql):
            self._statement(raw.stmt, found)
        return found

    # --- statements ---------------------------------------------------------------------------------------------
    def _statement(self, stmt: ast.Node, found: list[Join]) -> None:
        if isinstance(stmt, ast.SelectStmt):
            self._select(stmt, None, {}, found)
        elif isinstance(stmt, ast.InsertStmt):
            ctes = self._ctes(stmt.withClause, None, {}, found)
            if stmt.selectStmt is not None:
                self._select(stmt.selectStmt, None, ctes, found)
        elif isinstance(stmt, ast.UpdateStmt | ast.DeleteStmt):
            ctes = self._ctes(stmt.withClause, None, {}, found)
            scope = Scope(None)
            self._from_item(stmt.relation, scope, ctes, found)
            for item in (stmt.fromClause if isinstance(stmt, ast.UpdateStmt) else stmt.usingClause) or ():
                self._from_item(item, scope, ctes, found)
            scope.conditions.append(stmt.whereClause)
            extra = [t.val for t in stmt.targetList or ()] if isinstance(stmt, ast.UpdateStmt) else []
            self._finish(scope, ctes, found, extra)
        elif isinstance(stmt, ast.ExplainStmt):
            self._statement(stmt.query, found)

    def _ctes(self, with_clause: ast.WithClause | None, parent: Scope | None, ctes: dict[str, Output],
              found: list[Join]) -> dict[str, Output]:
        ctes = dict(ctes)
        for cte in (with_clause.ctes if with_clause else ()) or ():
            query = cte.ctequery
            if isinstance(query, ast.SelectStmt):
                out = self._select(query, parent, ctes, found)
            else:  # a data-modifying CTE: its RETURNING list is not followed
                self._statement(query, found)
                out = []
            names = [s.sval for s in cte.aliascolnames or ()]
            ctes[cte.ctename] = _renamed(out, names)
        return ctes

    def _select(self, stmt: ast.SelectStmt, parent: Scope | None, ctes: dict[str, Output],
                found: list[Join]) -> Output:
        ctes = self._ctes(stmt.withClause, parent, ctes, found)
        if stmt.op != SetOperation.SETOP_NONE:
            left = self._select(stmt.larg, parent, ctes, found)
            right = self._select(stmt.rarg, parent, ctes, found)
            return [(name, d and r) for (name, d), (_, r) in zip(left, right, strict=False)]
        scope = Scope(parent)
        for item in stmt.fromClause or ():
            self._from_item(item, scope, ctes, found)
        scope.conditions.append(stmt.whereClause)
        extra = [t.val for t in stmt.targetList or ()] + [stmt.havingClause]
        extra.append(stmt.valuesLists)
        self._finish(scope, ctes, found, extra)
        return self._outputs(stmt.targetList or (), scope)

    def _finish(self, scope: Scope, ctes: dict[str, Output], found: list[Join], extra: list) -> None:
        """Equalities of the level, the subqueries in its expressions, then its joins."""
        for condition in scope.conditions:
            for conjunct in _conjuncts(condition):
                self._equality(conjunct, scope)
        for expr in [*scope.conditions, *extra]:
            for sublink in _sublinks(expr):
                out = self._select(sublink.subselect, scope, ctes, found)
                test = self._resolve(sublink.testexpr, scope) if sublink.testexpr is not None else None
                if (sublink.subLinkType == SubLinkType.ANY_SUBLINK and test and test[1] in test[0].dist
                        and out and out[0][1]):  # x IN (SELECT …) on distribution columns: a co-located semi-join
                    found.append(Join(test[0].label, "IN (子查询)", True))
        nodes = [s for s in scope.sources if s.distributed]
        outer = [s for s in dict.fromkeys(scope.outer_refs) if s.distributed]
        groups = _Groups(scope.edges)
        for i, a in enumerate(nodes):
            for b in nodes[i + 1:] + outer:
                found.append(Join(a.label, b.label, groups.connected(a, b)))

    # --- FROM ---------------------------------------------------------------------------------------------------
    def _from_item(self, item: ast.Node, scope: Scope, ctes: dict[str, Output], found: list[Join]) -> list[Source]:
        if isinstance(item, ast.JoinExpr):
            left = self._from_item(item.larg, scope, ctes, found)
            right = self._from_item(item.rarg, scope, ctes, found)
            if item.quals is not None:
                scope.conditions.append(item.quals)
            for using in item.usingClause or ():
                a, b = _having(left, using.sval), _having(right, using.sval)
                if a is not None and b is not None and using.sval in a.dist and using.sval in b.dist:
                    scope.edges.append((a, b))
            return left + right
        alias = getattr(item, "alias", None)
        alias_name = alias.aliasname if alias is not None else None
        renames = [s.sval for s in (alias.colnames or ())] if alias is not None else []
        if isinstance(item, ast.RangeVar):
            if item.schemaname is None and item.relname in ctes:
                out = _renamed(ctes[item.relname], renames)
                source = Source(f"CTE {item.relname}" + (f" {alias_name}" if alias_name else ""),
                                alias_name or item.relname, {n for n, _ in out}, {n for n, d in out if d})
            else:
                dist = {self.distributed[item.relname]} if item.relname in self.distributed else set()
                source = Source(item.relname + (f" {alias_name}" if alias_name else ""), alias_name or item.relname,
                                self.columns.get(item.relname), dist)
        elif isinstance(item, ast.RangeSubselect):
            # a LATERAL subquery sees this level's earlier items; any other only the levels outside this one
            out = _renamed(self._select(item.subquery, scope if item.lateral else scope.parent, ctes, found), renames)
            source = Source(f"子查询 {alias_name or ''}".strip(), alias_name or "", {n for n, _ in out},
                            {n for n, d in out if d})
        else:  # a function in FROM, a VALUES list …: reads no distributed table
            source = Source(type(item).__name__, alias_name or "", set(renames) or None, set())
        scope.sources.append(source)
        return [source]

    # --- expressions --------------------------------------------------------------------------------------------
    def _resolve(self, expr: ast.Node, scope: Scope) -> tuple[Source, str] | None:
        """The source and column a column reference (possibly cast) names, looking outwards level by level."""
        while isinstance(expr, ast.TypeCast):
            expr = expr.arg
        if not isinstance(expr, ast.ColumnRef) or not all(isinstance(f, ast.String) for f in expr.fields):
            return None
        names = [f.sval for f in expr.fields]
        column, qualifier = names[-1], (names[-2] if len(names) > 1 else None)
        level: Scope | None = scope
        while level is not None:
            if qualifier is not None:
                match = [s for s in level.sources if s.name == qualifier]
            else:
                match = [s for s in level.sources
                         if (column in s.columns if s.columns is not None else column in s.dist)]
            if len(match) > 1:
                return None
            if match:
                if level is not scope:
                    scope.outer_refs.append(match[0])
                return match[0], column
            level = level.parent
        return None

    def _equality(self, expr: ast.Node, scope: Scope) -> None:
        if (isinstance(expr, ast.A_Expr) and expr.kind == A_Expr_Kind.AEXPR_OP
                and [n.sval for n in expr.name] == ["="]):
            a, b = self._resolve(expr.lexpr, scope), self._resolve(expr.rexpr, scope)
            if a and b and a[0] is not b[0] and a[1] in a[0].dist and b[1] in b[0].dist:
                scope.edges.append((a[0], b[0]))

    def _outputs(self, targets: Iterable[ast.ResTarget], scope: Scope) -> Output:
        out: Output = []
        for target in targets:
            val = target.val
            if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
                qualifier = val.fields[-2].sval if len(val.fields) > 1 else None
                for s in scope.sources:
                    if qualifier is None or s.name == qualifier:
                        out += [(c, c in s.dist) for c in sorted(s.columns if s.columns is not None else s.dist)]
                continue
            resolved = self._resolve(val, scope)
            name = target.name or (resolved[1] if resolved else "?column?")
            out.append((name, bool(resolved and resolved[1] in resolved[0].dist)))
        return out


class _Groups:
    """Sources connected by equalities (union-find)."""

    def __init__(self, edges: Iterable[tuple[Source, Source]]):
        self.parent: dict[int, int] = {}
        for a, b in edges:
            self.parent[self._root(id(a))] = self._root(id(b))

    def _root(self, x: int) -> int:
        while self.parent.get(x, x) != x:
            x = self.parent[x]
        return x

    def connected(self, a: Source, b: Source) -> bool:
        return self._root(id(a)) == self._root(id(b))


def _renamed(out: Output, names: list[str]) -> Output:
    return [(names[i] if i < len(names) else n, d) for i, (n, d) in enumerate(out)]


def _having(sources: list[Source], column: str) -> Source | None:
    match = [s for s in sources if s.columns is not None and column in s.columns or column in s.dist]
    return match[0] if len(match) == 1 else None


def _conjuncts(expr: ast.Node | None) -> Iterator[ast.Node]:
    if expr is None:
        return
    if isinstance(expr, ast.BoolExpr) and expr.boolop == BoolExprType.AND_EXPR:
        for arg in expr.args:
            yield from _conjuncts(arg)
    else:
        yield expr


def _sublinks(node: object) -> Iterator[ast.SubLink]:
    """The subqueries in an expression (not those inside them: each level finds its own)."""
    if isinstance(node, ast.SubLink):
        if isinstance(node.subselect, ast.SelectStmt):
            yield node
        yield from _sublinks(node.testexpr)
    elif isinstance(node, ast.Node):
        for attr in node:
            yield from _sublinks(getattr(node, attr))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _sublinks(item)
