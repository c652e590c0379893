"""The ``filter`` route's ``where`` condition: parsed by sqlglot, checked against an allow-list,
then evaluated as a pyarrow compute expression. No SQL engine ever sees the text.

Allowed: column names, string/number/boolean/NULL literals, comparisons (``= <> != < <= > >=``),
``AND``, ``OR``, ``NOT``, parentheses, ``IN (literals)``, ``LIKE 'pattern'`` and ``IS [NOT]
NULL``. Anything else (functions, arithmetic, subqueries, several statements, qualified names)
is refused with a 400 that names it, before anything runs.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from hubkit.hub.errors import HubError
from hubkit.hub.viewer import pages
from hubkit.hub.viewer.errors import invalid_parameter
from hubkit.hub.viewer.store import SplitData

MAX_WHERE = 4096
ALLOWED = "column names, literals, comparisons, AND, OR, NOT, IN, LIKE and IS NULL"
_COMPARISONS = {exp.EQ: "equal", exp.NEQ: "not_equal", exp.GT: "greater", exp.GTE: "greater_equal",
                exp.LT: "less", exp.LTE: "less_equal"}


class Condition:
    """A checked condition: its expression and the columns it reads."""

    def __init__(self, expression: pc.Expression, columns: set[str]):
        self.expression, self.columns = expression, columns


def parse(where: str, columns: list[str]) -> Condition:
    if len(where) > MAX_WHERE:
        raise invalid_parameter(f"Parameter 'where' is longer than {MAX_WHERE} characters.")
    if not where.strip():
        raise invalid_parameter("Parameter 'where' is empty.")
    try:
        tree = sqlglot.parse_one(where)
    except (SqlglotError, RecursionError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "cannot parse it"
        raise invalid_parameter(f"Invalid 'where' parameter: {first}") from None
    used: set[str] = set()
    expression = _condition(tree, set(columns), used)
    return Condition(expression, used)


def _refuse(node: exp.Expression) -> HubError:
    token = ";" if isinstance(node, exp.Block) else node.sql()
    return invalid_parameter(f"Invalid 'where' parameter: {token!r} is not allowed (only {ALLOWED}).")


def _condition(node: exp.Expression, columns: set[str], used: set[str]) -> pc.Expression:
    """A boolean expression; raises naming the first node outside the allow-list."""
    if isinstance(node, exp.Paren):
        return _condition(node.this, columns, used)
    if isinstance(node, exp.And):
        return _condition(node.this, columns, used) & _condition(node.expression, columns, used)
    if isinstance(node, exp.Or):
        return _condition(node.this, columns, used) | _condition(node.expression, columns, used)
    if isinstance(node, exp.Not):
        return ~_condition(node.this, columns, used)
    if type(node) in _COMPARISONS:
        left, right = _operand(node.this, columns, used), _operand(node.expression, columns, used)
        return getattr(pc, _COMPARISONS[type(node)])(left, right)
    if isinstance(node, exp.In):
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise _refuse(node)
        values = [_literal(item) for item in node.expressions]
        if any(isinstance(v, pc.Expression) for v in values):
            raise _refuse(node)
        try:
            value_set = pa.array([v for v in values if v is not None])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            raise invalid_parameter(f"Invalid 'where' parameter: the values of {node.sql()!r} mix types.") from None
        return pc.is_in(_column(node.this, columns, used), value_set=value_set)
    if isinstance(node, exp.Like) and not node.args.get("escape"):
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise _refuse(pattern)
        return pc.match_like(_column(node.this, columns, used), pattern=pattern.this)
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return pc.is_null(_column(node.this, columns, used))
    if isinstance(node, exp.Column):  # a boolean column on its own
        return _column(node, columns, used)
    raise _refuse(node)


def _operand(node: exp.Expression, columns: set[str], used: set[str]):
    if isinstance(node, exp.Column):
        return _column(node, columns, used)
    value = _literal(node)
    if isinstance(value, pc.Expression):
        raise _refuse(node)
    return pc.scalar(value)


def _literal(node: exp.Expression):
    """A literal's value; returns an Expression placeholder (refused by callers) for anything else."""
    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        value = _literal(node.this)
        return -value
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        try:
            return int(node.this)
        except ValueError:
            try:
                return float(node.this)
            except ValueError:
                raise _refuse(node) from None
    return pc.field("")  # not a literal


def _column(node: exp.Expression, columns: set[str], used: set[str]) -> pc.Expression:
    if not isinstance(node, exp.Column) or node.args.get("table") or not isinstance(node.this, exp.Identifier):
        raise _refuse(node)
    name = node.this.this
    if name not in columns:
        raise invalid_parameter(f"Invalid 'where' parameter: no column {name!r} in this split "
                                f"(its columns: {', '.join(sorted(columns))}).")
    used.add(name)
    return pc.field(name)


def matching_rows(split: SplitData, condition: Condition) -> np.ndarray:
    """Sorted row numbers of the rows where the condition holds (NULL counts as false)."""
    columns = sorted(condition.columns)
    found = []
    for first, batch in pages.scan(split, columns):
        table = pa.Table.from_batches([batch]).append_column(
            "\x00row", pa.array(np.arange(first, first + batch.num_rows, dtype=np.int64)))
        try:
            kept = table.filter(condition.expression)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError) as error:
            message = str(error).strip().splitlines()[0]
            raise invalid_parameter(f"Invalid 'where' parameter: the condition does not fit the columns' types "
                                    f"({message}).") from None
        found.append(kept.column("\x00row").to_numpy())
    return np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)
