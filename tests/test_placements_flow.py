"""Service-level flow of the matching phase: preferences on both sides, a preview run kept with
its inputs, commit into proposed placements, the company's confirmation and decline, and a
follow-up run among what remains."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mnc_exchange.accounts.models import Role
from mnc_exchange.applications.models import ApplicationStatus
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.errors import DomainError
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.offers.models import OfferStatus
from mnc_exchange.placements import services
from mnc_exchange.placements.models import PlacementStatus
from tests.factories import CohortFactory, CompanyFactory, OfferFactory, UserFactory, make_selected


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are asserted in English (the app's default language is French)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def phase():
    cohort = CohortFactory(state=CohortState.matching, is_current=True, quota=3)
    company = CompanyFactory()
    host = UserFactory(role=Role.host, company_id=company.id)
    coordinator = UserFactory(role=Role.coordinator)
    a = OfferFactory(cohort=cohort, company=company, seats=1, title="A")
    b = OfferFactory(cohort=cohort, company=company, seats=1, title="B")
    apps = make_selected(cohort, 3)
    return cohort, host, coordinator, a, b, apps


def test_preview_commit_confirm_decline_and_follow_up(phase):
    cohort, host, coordinator, a, b, apps = phase
    s1, s2, s3 = apps
    services.set_preferences(s1, [a.id, b.id], s1.student)
    services.set_preferences(s2, [a.id], s2.student)
    services.set_preferences(s3, [b.id, a.id], s3.student)
    # The company ranks s2 above s1 for A; nobody ranks for B (final scores stand in).
    services.set_company_ranking(a, {s2.id: 1, s1.id: 2, s3.id: None}, host)
    db.session.commit()

    run = services.run_preview(cohort, coordinator)
    db.session.commit()
    assert run.result == {str(s1.id): str(b.id), str(s2.id): str(a.id), str(s3.id): None}
    assert run.substituted_offers == [str(b.id)]
    assert services.reproduce(run) == run.result
    assert run.statistics["matched"] == 2
    why = run.explanations[str(s3.id)]
    assert [item["reason"] for item in why] == ["filled_by_higher", "not_acceptable"]

    placements = services.commit_run(run, coordinator)
    db.session.commit()
    assert {p.application_id: p.status for p in placements} == {
        s1.id: PlacementStatus.proposed,
        s2.id: PlacementStatus.proposed,
    }
    with pytest.raises(DomainError):
        services.commit_run(run, coordinator)
    db.session.rollback()

    by_app = {p.application_id: p for p in placements}
    services.confirm(by_app[s2.id], host)
    db.session.commit()
    assert a.status is OfferStatus.filled
    services.decline(by_app[s1.id], "Profil trop junior pour ce poste", host)
    db.session.commit()
    assert by_app[s1.id].status is PlacementStatus.declined

    # Follow-up: s1 and s3 are free, only B has a seat; s1 may not get B again (declined).
    run2 = services.run_preview(cohort, coordinator)
    assert run2.result == {str(s1.id): None, str(s3.id): str(b.id)}
    services.commit_run(run2, coordinator)
    db.session.commit()


def test_a_changed_input_refuses_the_commit(phase):
    cohort, host, coordinator, a, b, apps = phase
    services.set_preferences(apps[0], [a.id], apps[0].student)
    db.session.commit()
    run = services.run_preview(cohort, coordinator)
    db.session.commit()
    services.set_preferences(apps[1], [a.id], apps[1].student)
    db.session.commit()
    with pytest.raises(DomainError, match="changed"):
        services.commit_run(run, coordinator)


def test_preferences_rules(phase):
    cohort, host, coordinator, a, b, apps = phase
    with pytest.raises(DomainError):
        services.set_preferences(apps[0], [a.id, a.id], apps[0].student)
    other = OfferFactory(status="draft", cohort=cohort)
    with pytest.raises(DomainError):
        services.set_preferences(apps[0], [other.id], apps[0].student)
    settings = services.settings_for(cohort)
    settings.preferences_deadline_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(DomainError):
        services.set_preferences(apps[0], [a.id], apps[0].student)


def test_confirmations_never_exceed_the_quota(phase):
    cohort, host, coordinator, a, b, apps = phase
    cohort.quota = 1
    for application in apps[:2]:
        services.set_preferences(application, [a.id, b.id], application.student)
    db.session.commit()
    run = services.run_preview(cohort, coordinator)
    placements = services.commit_run(run, coordinator)
    db.session.commit()
    services.confirm(placements[0], host)
    db.session.commit()
    with pytest.raises(DomainError, match="quota"):
        services.confirm(placements[1], host)


def test_releasing_an_unplaced_student_offers_the_seat_to_the_waitlist(phase):
    cohort, host, coordinator, a, b, apps = phase
    waitlisted = make_selected(cohort, 1, start_rank=10)[0]
    waitlisted.status = ApplicationStatus.waitlisted
    waitlisted.waitlist_rank = 1
    db.session.commit()
    services.release_unplaced(apps[2], "Aucune offre compatible", coordinator)
    db.session.commit()
    assert apps[2].status is ApplicationStatus.rejected
    from mnc_exchange.selection.services import open_offer

    assert open_offer(waitlisted) is not None


def test_unanswered_proposals_expire_and_free_the_seat(phase, runner):
    cohort, host, coordinator, a, b, apps = phase
    services.set_preferences(apps[0], [a.id], apps[0].student)
    db.session.commit()
    run = services.run_preview(cohort, coordinator)
    (placement,) = services.commit_run(run, coordinator)
    placement.respond_by_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    result = runner.invoke(args=["matching", "expire-placements"])
    assert result.exit_code == 0, result.output
    assert "1 proposed placement(s) expired" in result.output
    db.session.expire_all()
    assert placement.status is PlacementStatus.declined
    # The student is free for a follow-up run; the pair is not proposed again.
    assert services.run_preview(cohort, coordinator).result == {str(apps[0].id): None}
    assert runner.invoke(args=["matching", "expire-placements"]).output.startswith("0 ")
