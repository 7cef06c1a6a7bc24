"""Turn the pure law core's findings into translated sentences, and gather the facts the core
needs about an offer from the database (other offers of the host, the tutor's load).

The numbers and the rules live in ``mnc_exchange.internship_law``; this module only asks the
database and translates.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import format_date, format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import internship_law as law
from ..extensions import db
from .models import Offer, OfferStatus

#: Offers that hold seats at the host (they may become agreements).
ACTIVE_OFFER = (OfferStatus.approved, OfferStatus.published, OfferStatus.filled)

MESSAGES = {
    "dates_inverted": _l("the end date %(end)s must be after the start date %(start)s"),
    "hours_invalid": _l(
        "weekly hours (%(weekly_hours)s) and daily hours (%(daily_hours)s) must be positive"
    ),
    "ceiling_unknown": _l(
        "no social-security hourly ceiling is known for %(year)s (known years: "
        "%(known_years)s): the minimum stipend cannot be checked"
    ),
    "ceiling_provisional": _l(
        "the social-security hourly ceiling for %(year)s is not published yet: the "
        "%(known_year)s figure (%(ceiling)s €) is used provisionally; check the stipend again "
        "in January"
    ),
    "max_hours_per_host": _l(
        "%(total_hours)s h at this host this academic year (%(hours)s h now + "
        "%(hours_already)s h before) > legal maximum %(max_hours)s h (6 months)"
    ),
    "stipend_missing": _l(
        "a stipend is mandatory above %(threshold)s h of presence at the same host in an "
        "academic year (%(total_hours)s h here); legal minimum %(minimum)s €/month"
    ),
    "stipend_below_minimum": _l(
        "stipend %(stipend)s €/month < legal minimum %(minimum)s €/month: "
        "%(monthly_hours)s h × %(hourly)s €"
    ),
    "too_many_interns_at_host": _l(
        "%(interns)s interns in the same week (%(already)s already + this one) > maximum "
        "%(maximum)s for a headcount of %(headcount)s"
    ),
    "tutor_overloaded": _l(
        "the tutor already tutors %(running)s running agreements; the maximum is %(maximum)s"
    ),
    "daily_hours_exceeded": _l("%(daily_hours)s h a day > legal maximum %(maximum)s h"),
    "weekly_hours_exceeded": _l("%(weekly_hours)s h a week > legal maximum %(maximum)s h"),
    "weekly_hours_above_legal": _l(
        "%(weekly_hours)s h a week is above the legal working week of %(legal)s h"
    ),
    "leave_missing": _l(
        "an internship of more than 2 months (%(hours)s h of presence > %(threshold)s h) must "
        "provide for leave and absences: give at least %(minimum)s day of leave"
    ),
    "start_not_in_future": _l(
        "the internship starts on %(start)s, which is not in the future: check the dates"
    ),
    "prefecture_submission": _l(
        "internship over %(months)s months for a non-EU student: the host must submit the "
        "agreement to the préfecture by %(deadline)s"
    ),
    "prefecture_deadline_passed": _l(
        "the préfecture submission deadline (%(deadline)s) has passed (today %(today)s): "
        "the start date must move"
    ),
    "resources_below_minimum": _l(
        "monthly resources %(stipend)s € < %(minimum)s € required for the visa; other "
        "resources (scholarship) must make up the difference"
    ),
}

MONEY_KEYS = {"stipend", "minimum", "hourly", "ceiling"}


def _format(key: str, value):
    if isinstance(value, date):
        return format_date(value, "long")
    if isinstance(value, Decimal):
        pattern = "#,##0.00" if key in MONEY_KEYS else "#,##0.##"
        return format_decimal(value, pattern)
    return value


def message(finding: law.Finding) -> str:
    """The finding as a translated sentence, with its article: ``R124-10: …``."""
    params = {key: _format(key, value) for key, value in finding.params.items()}
    template = MESSAGES.get(finding.message_key)
    text = str(template) % params if template is not None else finding.default_message
    return text if finding.code == "—" else f"{text} ({finding.code})"


def _weeks(start: date, end: date) -> list[date]:
    """Mondays of the calendar weeks touched by ``start``..``end``."""
    monday = start - timedelta(days=start.weekday())
    weeks = []
    while monday <= end:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def _other_active_offers(offer: Offer, until: date) -> tuple:
    """The conditions on the other active offers running on a day from ``offer``'s start
    to ``until``."""
    return (
        Offer.id != offer.id,
        Offer.status.in_(ACTIVE_OFFER),
        Offer.start_on <= until,
        Offer.end_on >= offer.start_on,
    )


def host_interns_in_same_week(offer: Offer) -> int:
    """Most interns the host already has (other active offers' seats) in any week of this
    offer, plus this offer's other seats (each seat is one intern)."""
    others = db.session.execute(
        select(Offer.start_on, Offer.end_on, Offer.seats).where(
            Offer.company_id == offer.company_id, *_other_active_offers(offer, offer.end_on)
        )
    ).all()
    peak = 0
    for monday in _weeks(offer.start_on, offer.end_on):
        sunday = monday + timedelta(days=6)
        peak = max(
            peak, sum(seats for start, end, seats in others if start <= sunday and end >= monday)
        )
    return peak + offer.seats - 1


def tutor_running(offer: Offer) -> int:
    """Interns the tutor already follows on this offer's start date (other active offers'
    seats), plus this offer's other seats."""
    if offer.tutor_id is None:
        return 0
    others = db.session.scalars(
        select(Offer.seats).where(
            Offer.tutor_id == offer.tutor_id, *_other_active_offers(offer, offer.start_on)
        )
    ).all()
    return sum(others) + offer.seats - 1


def check_offer(offer: Offer, today: date | None = None) -> law.LawReport:
    """Run the French-law checks on an offer's terms (per seat, for one intern)."""
    terms = law.InternshipTerms(
        start=offer.start_on,
        end=offer.end_on,
        weekly_hours=offer.weekly_hours,
        daily_hours=offer.daily_hours,
        monthly_stipend=offer.monthly_stipend,
        host_headcount=offer.company.headcount,
        host_interns_in_same_week=host_interns_in_same_week(offer),
        tutor_running_agreements=tutor_running(offer),
        today=today or date.today(),
        leave_days=offer.leave_days or 0,
    )
    report = law.check_internship(terms)
    if offer.start_on <= terms.today:
        # Allowed (an internship recorded after the fact), but worth a second look.
        report.warnings.append(law.Finding("—", "start_not_in_future", {"start": offer.start_on}))
    return report
