"""One way to paginate every list page: ``?page=`` and ``?per_page=`` read safely, two SQL
queries per list (the page's rows, and a count), the ``forms.pager`` macro to show it.

- ``paginate(select)`` pages a SELECT in SQL: ``LIMIT``/``OFFSET`` for the rows, ``count(*)``
  over the same filters for the total. A select of one entity gives the objects, a select of
  several columns (an entity and aggregate counts) gives the rows.
- ``paginate_list(items)`` pages a list already computed in Python (a board whose order comes
  from a computed rating): no query at all.

Bad input never gives an error: a page that is not a number is page 1, a page past the end is
the last page, a page size other than ``PER_PAGE_CHOICES`` is the list's default. Several
lists on one page use their own parameter (``param="unplaced_page"``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from ..extensions import db

#: The page sizes a user may pick (``?per_page=``).
PER_PAGE_CHOICES = (20, 50, 100)
DEFAULT_PER_PAGE = 50
PER_PAGE_PARAM = "per_page"


def _positive(value: str | None) -> int | None:
    try:
        number = int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and 0 < number < 10**9 else None


def page_args(param: str = "page", default_per_page: int = DEFAULT_PER_PAGE) -> tuple[int, int]:
    """The page asked for (1 if absent or not a number) and the page size (one of
    ``PER_PAGE_CHOICES``, else ``default_per_page``)."""
    page = _positive(request.args.get(param)) or 1
    per_page = _positive(request.args.get(PER_PAGE_PARAM))
    if per_page not in PER_PAGE_CHOICES:
        per_page = default_per_page
    return page, per_page


class _Paged(Pagination):
    """What the pager macro needs, plus ``param`` (the page's query parameter) and
    ``default_per_page`` (left out of the links)."""

    param: str = "page"
    default_per_page: int = DEFAULT_PER_PAGE

    @property
    def per_page_choices(self) -> tuple[int, ...]:
        return PER_PAGE_CHOICES


class SelectPage(_Paged):
    """A page of a SELECT: ``select`` and ``rows`` (tuples instead of objects) in kwargs."""

    def _query_items(self) -> list[Any]:
        statement: Select = self._query_args["select"]
        page_select = self._query_args.get("page_select")
        if page_select is not None:
            statement = page_select(self.per_page, self._query_offset)
        else:
            statement = statement.limit(self.per_page).offset(self._query_offset)
        result = db.session.execute(statement)
        if self._query_args.get("rows"):
            return list(result.all())
        return list(result.unique().scalars())

    def _query_count(self) -> int:
        total = self._query_args.get("total")
        if callable(total):
            return total(self.items)
        if total is not None:
            return total
        statement: Select = self._query_args["select"]
        count = self._query_args.get("count_select")
        if count is None:
            inner = statement.options(lazyload("*")).order_by(None).subquery()
            count = select(func.count()).select_from(inner)
        return db.session.execute(count).scalar_one()


class ListPage(_Paged):
    """A page of a list computed in Python: ``items`` in kwargs."""

    def _query_items(self) -> list[Any]:
        items: Sequence[Any] = self._query_args["items"]
        return list(items[self._query_offset : self._query_offset + self.per_page])

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def _build(cls: type[_Paged], param: str, per_page: int, **kwargs: Any) -> _Paged:
    page_number, size = page_args(param, per_page)
    page = cls(page=page_number, per_page=size, max_per_page=None, error_out=False, **kwargs)
    if not page.items and page.total and page.page > page.pages:
        # Past the end (the list shrank, or a hand-typed number): show the last page.
        page = cls(page=page.pages, per_page=size, max_per_page=None, error_out=False, **kwargs)
    page.param, page.default_per_page = param, per_page
    return page


def paginate(
    statement: Select,
    *,
    param: str = "page",
    per_page: int = DEFAULT_PER_PAGE,
    rows: bool = False,
    count_select: Select | None = None,
    total: int | Callable[[list[Any]], int] | None = None,
    page_select: Callable[[int, int], Select] | None = None,
) -> SelectPage:
    """The page of ``statement`` asked for by the request (two queries: rows and count).

    ``rows``: the select has several columns; give the rows (tuples). ``count_select``: a
    cheaper query for the total (default: ``count(*)`` over ``statement`` without its order);
    ``total``: the total, already known (e.g. from counts per status shown on the page), or a
    function of the page's rows that gives it (rows that carry the total, from a window
    function; it is also called with no rows); ``page_select(limit, offset)``: the page's own
    select, for a list that finds the page's rows before it loads them (``statement`` is then
    only counted).
    """
    return _build(
        SelectPage,
        param,
        per_page,
        select=statement,
        rows=rows,
        count_select=count_select,
        total=total,
        page_select=page_select,
    )


def paginate_list(
    items: Sequence[Any], *, param: str = "page", per_page: int = DEFAULT_PER_PAGE
) -> ListPage:
    """The page of ``items`` asked for by the request (no query)."""
    return _build(ListPage, param, per_page, items=items)
