"""SQL expressions written once for SQLite and PostgreSQL (each dialect's own spelling)."""

from __future__ import annotations

from sqlalchemy import Date, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class month_start(FunctionElement):  # noqa: N801 - used like a SQL function
    """The first day of the month of a date: ``month_start(Offer.start_on)``."""

    type = Date()
    inherit_cache = True


@compiles(month_start)
def _month_start(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('month', CAST({day} AS TIMESTAMP)) AS DATE)"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


class codepoint(FunctionElement):  # noqa: N801 - used like a SQL function
    """A text compared character code by character code (to sort as Python sorts strings),
    whatever the database's collation."""

    type = String()
    inherit_cache = True


@compiles(codepoint)
def _codepoint(element, compiler, **kw):
    return f'({compiler.process(element.clauses, **kw)} COLLATE "C")'


@compiles(codepoint, "sqlite")
def _codepoint_sqlite(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} COLLATE BINARY)"
