"""Scaffolding shared by the read-only queries behind lists and previews (no domain model here).

A GET never writes: a page that shows per-cohort settings not configured yet shows an unsaved
object holding the model's column defaults (``preview``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def column_defaults(model, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The Python-side defaults of ``model``'s columns (primary key and ``skip`` left out)."""
    skipped = set(skip)
    values: dict[str, Any] = {}
    for column in model.__table__.columns:
        default = column.default
        if column.primary_key or default is None or column.key in skipped:
            continue
        if default.is_callable:
            values[column.key] = default.arg(None)
        elif default.is_scalar:
            values[column.key] = default.arg
    return values


def preview(model, *, skip: Iterable[str] = (), **values: Any):
    """An unsaved ``model`` holding its column defaults, then ``values`` (never added to the
    session: a read-only page shows it instead of creating the row)."""
    return model(**(column_defaults(model, skip=skip) | values))
