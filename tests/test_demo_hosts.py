"""Demo data of issue 5: host companies, offers, and the previous cohort's matching.

The demo is loaded once for the module: this module's ``_app_context`` replaces the per-test
one of ``tests/conftest.py`` (same context and wipe, at the end of the module instead of after
each test). The tests only read, except the last one, which loads again and checks that
nothing was added.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import phonenumbers
import pytest
from sqlalchemy import func, select
from stdnum.fr import siret as stdnum_siret

from mnc_exchange import internship_law
from mnc_exchange.accounts.models import Role, User
from mnc_exchange.applications.models import Application, ApplicationStatus
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import Cohort
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.demo import DEMO_HOST_EMAIL, DEMO_PASSWORD, load_demo_data
from mnc_exchange.extensions import db, limiter
from mnc_exchange.hosts.models import Company, CompanyStatus, Tutor
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.offers import law
from mnc_exchange.offers.models import Offer, OfferStatus
from mnc_exchange.placements import services
from mnc_exchange.placements.models import (
    CompanyRanking,
    MatchingRun,
    Placement,
    PlacementStatus,
    StudentPreference,
)
from mnc_exchange.selection import services as selection
from tests.conftest import _wipe

#: A day in the demo's "current cohort open" period (the cohorts are 2027 and 2026).
TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module", autouse=True)
def _app_context(app, data_app):
    """One app context and one database for the module; wiped at its end."""
    with data_app.app_context():
        yield
        db.session.remove()
    _wipe(app)
    limiter.reset()


@pytest.fixture(scope="module")
def cohorts(_app_context):
    load_demo_data(TODAY, history=False)
    db.session.commit()
    previous = db.session.scalar(select(Cohort).where(Cohort.year == 2026))
    current = db.session.scalar(select(Cohort).where(Cohort.year == 2027))
    assert current.is_current
    return previous, current


def _offers(cohort) -> list[Offer]:
    return list(db.session.scalars(select(Offer).where(Offer.cohort_id == cohort.id)))


def test_companies_contacts_and_tutors(cohorts):
    companies = db.session.scalars(select(Company).order_by(Company.id)).all()
    assert len(companies) == 15
    assert all(c.status is CompanyStatus.approved and c.approved_at for c in companies)
    assert all(stdnum_siret.is_valid(c.siret) for c in companies)
    assert len({c.siret for c in companies}) == 15
    assert len({c.city for c in companies}) >= 10
    assert 4 <= sum(c.mnc_member for c in companies) <= 6
    assert any(c.headcount < 20 for c in companies)
    assert all(c.representative_name and c.representative_title for c in companies)

    demo_host = db.session.scalar(select(User).where(User.email == DEMO_HOST_EMAIL))
    assert demo_host.company_id == companies[0].id
    contacts = Counter(
        db.session.scalars(select(User.company_id).where(User.role == Role.host)).all()
    )
    assert set(contacts) == {c.id for c in companies}  # every company has a contact
    assert sorted(contacts.values()).count(2) == 3  # three have a second (HR) account
    hr = db.session.scalars(select(User).where(User.email.like("rh@%"))).all()
    assert len(hr) == 4 and all(u.approved_at and u.company_id for u in hr)
    assert all(u.check_password(DEMO_PASSWORD) for u in hr)

    for company in companies:
        assert 2 <= len(company.tutors) <= 3
        domain = company.contacts[0].email.split("@")[1]
        for tutor in company.tutors:
            assert tutor.email.endswith("@" + domain)
            number = phonenumbers.parse(tutor.phone)
            assert phonenumbers.is_valid_number(number) and number.country_code == 33


def test_offers_are_legal_and_spread(cohorts):
    previous, current = cohorts
    old, new = _offers(previous), _offers(current)
    assert len(old) == 40 and len(new) == 12
    assert sum(o.seats for o in old) >= 40
    assert len({o.company_id for o in old}) == 15
    assert {o.status for o in old} <= {OfferStatus.published, OfferStatus.filled}
    assert Counter(o.status for o in new) == {
        OfferStatus.published: 9,
        OfferStatus.draft: 1,
        OfferStatus.submitted: 1,
        OfferStatus.approved: 1,
    }
    demo_company = db.session.scalar(select(Company).order_by(Company.id))
    assert {o.status for o in new if o.company_id == demo_company.id} == {
        OfferStatus.draft,
        OfferStatus.submitted,
        OfferStatus.approved,
        OfferStatus.published,
    }
    per_tutor: Counter[tuple[int, int]] = Counter()
    for offer in old + new:
        report = law.check_offer(offer, today=internship_law.add_months(offer.start_on, -3))
        assert report.ok, (offer.title, [law.message(f) for f in report.violations])
        assert offer.monthly_stipend % 50 == 0
        assert offer.monthly_stipend >= report.monthly_minimum
        assert offer.city == offer.company.city
        assert offer.tutor.company_id == offer.company_id
        assert 7 <= offer.daily_hours <= 8 and offer.weekly_hours in (35, 37, 39)
        per_tutor[(offer.cohort_id, offer.tutor_id)] += offer.seats
        if offer.status is not OfferStatus.draft:
            assert offer.submitted_at and offer.law_warnings
    assert max(per_tutor.values()) <= 3
    # Next year's ceiling is not published yet: the current offers carry the warning.
    assert all(
        "ceiling_provisional" in [w["key"] for w in o.law_warnings]
        for o in new
        if o.status is not OfferStatus.draft
    )
    assert all(o.start_on.month == 4 and o.start_on.year == 2026 for o in old)


def test_previous_cohort_matching(cohorts):
    previous, _current = cohorts
    applications = db.session.scalars(
        select(Application).where(Application.cohort_id == previous.id)
    ).all()
    statuses = Counter(a.status for a in applications)
    assert statuses == {ApplicationStatus.selected: 30, ApplicationStatus.waitlisted: 4}
    assert selection.is_published(previous)
    waitlisted = [a for a in applications if a.status is ApplicationStatus.waitlisted]
    assert sorted(a.waitlist_rank for a in waitlisted) == [1, 2, 3, 4]
    assert all(a.final_score and a.final_rank and a.institution_id for a in applications)
    assert all(a.student.email.startswith("alumni") for a in applications)

    # Both sides ranked; the deadlines have passed.
    counts = Counter(
        db.session.scalars(
            select(StudentPreference.application_id)
            .join(Application, Application.id == StudentPreference.application_id)
            .where(Application.cohort_id == previous.id)
        ).all()
    )
    assert len(counts) == 30 and set(counts.values()) <= {3, 4, 5}
    rankings = db.session.scalars(
        select(CompanyRanking).join(Offer).where(Offer.cohort_id == previous.id)
    ).all()
    assert len({r.offer.company_id for r in rankings}) == 10
    assert any(not r.acceptable for r in rankings)
    settings = services.settings_for(previous)
    assert settings.preferences_deadline_at < settings.company_deadline_at < utcnow()

    # Two committed runs, reproducible; 30 confirmed placements after two declines.
    runs = db.session.scalars(
        select(MatchingRun).where(MatchingRun.cohort_id == previous.id).order_by(MatchingRun.id)
    ).all()
    assert len(runs) == 2 and all(run.committed_at for run in runs)
    for run in runs:
        assert services.reproduce(run) == run.result
    assert runs[0].statistics["matched"] == 30 and runs[1].statistics["matched"] == 2
    assert runs[0].substituted_offers  # companies that did not rank: the scores stood in
    placements = db.session.scalars(
        select(Placement).where(Placement.cohort_id == previous.id)
    ).all()
    by_status = Counter(p.status for p in placements)
    assert by_status == {PlacementStatus.confirmed: 30, PlacementStatus.declined: 2}
    assert services.confirmed_count(previous) == 30
    declined = [p for p in placements if p.status is PlacementStatus.declined]
    assert all(len(p.decline_reason) > 40 and p.responded_by_id for p in declined)
    assert len({p.offer.company_id for p in declined}) == 2
    confirmed = {p.application_id for p in placements if p.status is PlacementStatus.confirmed}
    assert confirmed == {a.id for a in applications if a.status is ApplicationStatus.selected}
    for placement in placements:
        ranked = services.preferences(placement.application)
        assert placement.offer_id in {preference.offer_id for preference in ranked}


def test_no_email_left_and_a_second_load_adds_nothing(cohorts):
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    tables = (User, Company, Tutor, Offer, Application, StudentPreference, CompanyRanking)
    tables += (MatchingRun, Placement, AuditEvent, OutboxMessage)

    def counts():
        return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in tables}

    before = counts()
    load_demo_data(TODAY, history=False)
    db.session.commit()
    assert counts() == before
