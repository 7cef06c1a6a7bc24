"""The kept figures of the cohorts (``reports.snapshots``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import at_column
from ..extensions import db


class ReportSnapshot(db.Model):
    """The figures of a cohort, computed once per version of its data (a finished cohort's,
    once for all).

    ``version`` counts the changes to the data behind the cohort's figures: every transaction
    that adds, changes or deletes a row feeding them adds one as it commits (``snapshots``
    listens to the session). The figures are used while ``figures_version == version`` and
    the cut-off date asked for lies in ``[computed_for, valid_until)``: a survey falling due
    changes the figures, and ``valid_until`` is the next due date after ``computed_for``.
    """

    __tablename__ = "report_snapshots"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(nullable=False, default=0)
    figures_version: Mapped[int | None]
    computed_for: Mapped[date | None]
    valid_until: Mapped[date | None]
    figures: Mapped[str | None] = mapped_column(Text)  # metrics.Figures as JSON
    digest: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime | None] = at_column()
