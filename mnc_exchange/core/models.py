"""Model mixins and column types shared by every domain."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Enum, ForeignKey, Index, String, TypeDecorator, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .timeutils import as_utc, utcnow


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are stored as
    UTC and given back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return as_utc(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return as_utc(value)


def enum_type(cls: type[enum.Enum], name: str, length: int = 20) -> Enum:
    """An enum stored as a VARCHAR of ``length`` (no native type, no CHECK constraint)."""
    return Enum(cls, name=name, native_enum=False, length=length)


def enum_column(
    cls: type[enum.Enum], name: str, default: Any = None, *, length: int = 20, **kw: Any
) -> Any:
    """A non-null enum column (``default`` when given: a status, its starting value)."""
    if default is not None:
        kw["default"] = default
    return mapped_column(enum_type(cls, name, length), nullable=False, **kw)


def partial_unique_index(name: str, column: str, where: str) -> Index:
    """A unique index on ``column`` over the rows where the SQL condition ``where`` holds
    (a partial index, on SQLite and PostgreSQL alike)."""
    return Index(name, column, unique=True, sqlite_where=text(where), postgresql_where=text(where))


def at_column(**kw: Any) -> Any:
    """A UTC timestamp (nullable unless the annotation or ``nullable=False`` says otherwise)."""
    return mapped_column(UTCDateTime(), **kw)


def now_column(**kw: Any) -> Any:
    """A non-null UTC timestamp set to the current time on insert (``created_at``-like)."""
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False, **kw)


def fk_column(
    target: str,
    *,
    cascade: bool = False,
    required: bool = False,
    index: bool = False,
    unique: bool = False,
    **kw: Any,
) -> Any:
    """A foreign key to ``target`` (``"table.id"``): ``cascade`` deletes the row with its
    parent, ``required`` makes it NOT NULL; ``index``/``unique`` as in ``mapped_column``."""
    fk = ForeignKey(target, ondelete="CASCADE") if cascade else ForeignKey(target)
    if required:
        kw["nullable"] = False
    if index:
        kw["index"] = True
    if unique:
        kw["unique"] = True
    return mapped_column(fk, **kw)


def parent_column(target: str, *, index: bool = True, unique: bool = False) -> Any:
    """The required link to the row this one belongs to, deleted with it (indexed unless
    ``unique`` or ``index=False``)."""
    return fk_column(target, cascade=True, required=True, index=index and not unique, unique=unique)


def user_column(**kw: Any) -> Any:
    """A link to the user who did something (``reviewed_by_id``…): nullable by default."""
    return fk_column("users.id", **kw)


class PkModel(db.Model):
    """The base of every model whose primary key is a plain integer ``id`` (kept the table's
    first column)."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)


class CohortSettingsMixin:
    """A cohort's one row of settings: ``id`` and a unique ``cohort_id``, deleted with it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = parent_column("cohorts.id", unique=True)


class TimestampMixin:
    """``created_at`` / ``updated_at`` computed per row, in UTC."""

    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column(onupdate=utcnow)


class DataVersion(db.Model):
    """One row (``id`` 1): a random token that every transaction writing to the database
    replaces, in the same transaction (``core.page_cache``). A page kept under one token is
    built from the data that token stands for. Not data: the backup leaves it out."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
