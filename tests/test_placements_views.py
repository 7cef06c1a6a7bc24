"""The matching-phase pages driven through HTTP: students rank offers, companies rank their
candidates and answer proposed placements, coordinators set the deadlines, preview, commit,
cancel and release; host contacts download the documents of the candidates they can see.

Users are switched to English; assertions are on the pages and on the database state.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from mnc_exchange.accounts.models import Role
from mnc_exchange.applications import uploads
from mnc_exchange.applications.models import ApplicationStatus, Document
from mnc_exchange.applications.reference import DocumentKind
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import CASABLANCA, as_utc, utcnow
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.placements import services
from mnc_exchange.placements.models import (
    CompanyRanking,
    MatchingRun,
    MatchingSettings,
    Placement,
    PlacementStatus,
    StudentPreference,
)
from mnc_exchange.selection.services import open_offer
from tests.factories import (
    SAMPLE_PDF,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    UserFactory,
    make_selected,
)

P = PlacementStatus


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def phase():
    """A current cohort in matching: company X (offers A and B), company Y (offer C), a host
    contact of each, a coordinator and three selected students (s1 best ranked)."""
    cohort = CohortFactory(state=CohortState.matching, is_current=True, quota=5)
    x = CompanyFactory(legal_name="Atlas Numérique SAS")
    y = CompanyFactory(legal_name="Brest Logiciels SARL")
    a = OfferFactory(cohort=cohort, company=x, title="Backend A", seats=1)
    b = OfferFactory(cohort=cohort, company=x, title="Mobile B", seats=1)
    c = OfferFactory(cohort=cohort, company=y, title="Data C", seats=1)
    host_x = UserFactory(role=Role.host, company_id=x.id, locale="en")
    host_y = UserFactory(role=Role.host, company_id=y.id, locale="en")
    coordinator = UserFactory(role=Role.coordinator, locale="en")
    s1, s2, s3 = make_selected(cohort, 3)
    for application in (s1, s2, s3):
        application.student.locale = "en"
    db.session.commit()
    return SimpleNamespace(
        cohort=cohort,
        x=x,
        y=y,
        a=a,
        b=b,
        c=c,
        host_x=host_x,
        host_y=host_y,
        coordinator=coordinator,
        s1=s1,
        s2=s2,
        s3=s3,
    )


def login(auth, user):
    auth.logout()
    response = auth.login(user.email)
    assert response.status_code == 302


def page(response) -> str:
    return response.get_data(as_text=True)


def saved_preferences(application) -> list[int]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(StudentPreference.offer_id)
            .where(StudentPreference.application_id == application.id)
            .order_by(StudentPreference.rank)
        )
    )


def set_deadlines(cohort, **values):
    settings = services.settings_for(cohort)
    for name, value in values.items():
        setattr(settings, name, value)
    db.session.commit()


def rank(application, offer_ids):
    services.set_preferences(application, offer_ids, application.student)
    db.session.commit()


def add_document(application, kind: DocumentKind) -> Document:
    checked = uploads.check_upload(io.BytesIO(SAMPLE_PDF), f"{kind.value}.pdf")
    document = Document(
        application_id=application.id,
        kind=kind,
        original_name=f"{kind.value}.pdf",
        stored_name=uploads.store(checked, f"applications/{application.id}"),
        content_type=checked.content_type,
        size=len(SAMPLE_PDF),
        sha256=checked.sha256,
        uploaded_by_id=application.student_id,
    )
    db.session.add(document)
    db.session.commit()
    return document


def placements_of(cohort) -> dict[int, Placement]:
    db.session.expire_all()
    return {
        p.application_id: p
        for p in db.session.scalars(select(Placement).where(Placement.cohort_id == cohort.id))
    }


# --- the student ranks offers ------------------------------------------------------------------


def test_student_sees_the_offers_and_saves_a_ranking(client, auth, phase):
    deadline = utcnow() + timedelta(days=3)
    set_deadlines(phase.cohort, preferences_deadline_at=deadline)
    login(auth, phase.s1.student)
    response = client.get("/my/offers")
    assert response.status_code == 200
    html = page(response)
    for offer in (phase.a, phase.b, phase.c):
        assert offer.title in html
        assert f"/offers/{offer.id}" in html
    assert "Atlas Numérique SAS" in html
    assert "€700.00" in html
    assert "1st choice" in html and "5th choice" in html
    assert "You can change your ranking until" in html

    response = client.post(
        "/my/offers", data={"choice_1": str(phase.b.id), "choice_2": str(phase.a.id)}
    )
    assert response.status_code == 302
    assert saved_preferences(phase.s1) == [phase.b.id, phase.a.id]
    html = page(client.get("/my/offers"))
    assert "Your ranking is saved" in html
    assert f'<option selected value="{phase.b.id}">' in html


@pytest.mark.parametrize("case", ["duplicate", "gap", "too_many", "unpublished", "other_cohort"])
def test_an_invalid_ranking_is_refused_and_nothing_is_saved(client, auth, phase, case):
    rank(phase.s1, [phase.c.id])
    extra = [OfferFactory(cohort=phase.cohort, company=phase.y) for _ in range(3)]
    a, b, c = phase.a.id, phase.b.id, phase.c.id
    draft = OfferFactory(cohort=phase.cohort, company=phase.x, status="draft", title="Brouillon")
    elsewhere = OfferFactory(company=phase.x, title="Autre année")  # another cohort, published
    data, message = {
        "duplicate": (
            {"choice_1": a, "choice_2": a},
            "You already chose this offer as your choice no. 1.",
        ),
        "gap": (
            {"choice_1": a, "choice_2": "", "choice_3": b},
            "Fill your choices in order: your choice no. 2 is empty.",
        ),
        "too_many": (
            {
                "choice_1": a,
                "choice_2": b,
                "choice_3": c,
                "choice_4": extra[0].id,
                "choice_5": extra[1].id,
                "choice_6": extra[2].id,
            },
            "You can rank at most 5 offers.",
        ),
        "unpublished": ({"choice_1": draft.id}, "Choose an offer from the list."),
        "other_cohort": (
            {"choice_1": a, "choice_2": elsewhere.id},
            "Choose an offer from the list.",
        ),
    }[case]
    login(auth, phase.s1.student)
    response = client.post("/my/offers", data={k: str(v) for k, v in data.items()})
    assert response.status_code == 400
    html = page(response)
    assert message in html
    assert "Please correct the errors shown in the form." in html
    assert saved_preferences(phase.s1) == [phase.c.id]


def test_ranking_after_the_deadline_is_refused(client, auth, phase):
    rank(phase.s1, [phase.a.id])
    set_deadlines(phase.cohort, preferences_deadline_at=utcnow() - timedelta(minutes=5))
    login(auth, phase.s1.student)
    html = page(client.get("/my/offers"))
    assert "The deadline for ranking offers has passed." in html
    assert 'id="ranking-form"' not in html
    assert "Backend A" in html  # the saved ranking stays visible
    response = client.post("/my/offers", data={"choice_1": str(phase.b.id)})
    assert response.status_code == 302
    assert "The deadline for ranking offers has passed." in page(client.get("/my/offers"))
    assert saved_preferences(phase.s1) == [phase.a.id]


def test_a_student_who_is_not_selected_cannot_rank(client, auth, phase):
    phase.s1.status = ApplicationStatus.waitlisted
    db.session.commit()
    login(auth, phase.s1.student)
    html = page(client.get("/my/offers"))
    assert "Only selected students rank offers." in html
    response = client.post("/my/offers", data={"choice_1": str(phase.a.id)})
    assert response.status_code == 302
    assert saved_preferences(phase.s1) == []


def test_student_reads_the_explanation_of_the_committed_run(client, auth, phase):
    rank(phase.s1, [phase.a.id])
    rank(phase.s2, [phase.a.id, phase.b.id])
    services.set_company_ranking(phase.b, {phase.s2.id: None}, phase.host_x)
    db.session.commit()
    run = services.run_preview(phase.cohort, phase.coordinator)
    services.commit_run(run, phase.coordinator)
    db.session.commit()
    login(auth, phase.s2.student)
    html = page(client.get("/my/offers"))
    assert "The matching could not give you any of the offers you ranked." in html
    assert "The offer filled its 1 seat(s) with candidates it ranked higher." in html
    assert "The company did not rank you for this offer." in html
    assert "Backend A (Atlas Numérique SAS)" in html
    assert "Mobile B (Atlas Numérique SAS)" in html

    login(auth, phase.s1.student)
    html = page(client.get("/my/offers"))
    assert "You already have a placement." in html
    assert "You obtained this offer (your choice no. 1)." in html
    assert 'id="placement-status"' in html and "Proposed, awaiting the company" in html

    # A later committed run without s1 (placed): s1 still reads the run that placed them.
    rank(phase.s3, [phase.b.id])
    run2 = services.run_preview(phase.cohort, phase.coordinator)
    services.commit_run(run2, phase.coordinator)
    db.session.commit()
    assert str(phase.s1.id) not in run2.explanations
    assert "You obtained this offer (your choice no. 1)." in page(client.get("/my/offers"))


# --- the company's side ------------------------------------------------------------------------


def test_company_sees_only_the_candidates_of_its_offers(client, auth, phase):
    rank(phase.s1, [phase.a.id])
    rank(phase.s2, [phase.c.id])
    phase.s1.cin = "AB123456"
    phase.s1.phone = "+212600000001"
    phase.s1.english_level = "C1"
    db.session.commit()
    login(auth, phase.host_x)
    html = page(client.get(f"/company/offers/{phase.a.id}/candidates"))
    assert phase.s1.full_name in html
    assert phase.s2.full_name not in html
    assert "programme's selection scores" in html
    assert f"/company/candidates/{phase.s1.id}" in html

    response = client.get(f"/company/candidates/{phase.s1.id}")
    assert response.status_code == 200
    html = page(response)
    assert "Génie logiciel" in html and "14.50" in html and "C1" in html
    assert "Découvrir" in html  # motivation
    assert "AB123456" not in html and "+212600000001" not in html

    assert client.get(f"/company/candidates/{phase.s2.id}").status_code == 404
    assert client.get(f"/company/candidates/{phase.s3.id}").status_code == 404
    assert client.get(f"/company/offers/{phase.c.id}/candidates").status_code == 404
    assert client.post(f"/company/offers/{phase.c.id}/candidates", data={}).status_code == 404
    assert client.get("/company/offers/999999/candidates").status_code == 404


def test_company_ranks_and_marks_not_acceptable(client, auth, phase):
    for application in (phase.s1, phase.s2, phase.s3):
        rank(application, [phase.a.id])
    login(auth, phase.host_x)
    url = f"/company/offers/{phase.a.id}/candidates"
    response = client.post(
        url,
        data={f"rank_{phase.s3.id}": "1", f"rank_{phase.s1.id}": "2", f"reject_{phase.s2.id}": "y"},
    )
    assert response.status_code == 302

    def rankings():
        db.session.expire_all()
        return {
            row.application_id: (row.rank, row.acceptable)
            for row in db.session.scalars(
                select(CompanyRanking).where(CompanyRanking.offer_id == phase.a.id)
            )
        }

    assert rankings() == {
        phase.s3.id: (1, True),
        phase.s1.id: (2, True),
        phase.s2.id: (None, False),
    }
    html = page(client.get(url))
    assert "Your ranking of the candidates is saved." in html
    assert f'<input checked class="form-check-input" id="reject_{phase.s2.id}"' in html
    rank_input = f'name="rank_{phase.s1.id}" type="number" value="2"'
    assert rank_input in html

    # Two candidates with the same rank: refused, nothing changes.
    response = client.post(url, data={f"rank_{phase.s1.id}": "1", f"rank_{phase.s3.id}": "1"})
    assert response.status_code == 400
    assert "Two candidates cannot share rank 1." in page(response)
    assert rankings() == {
        phase.s3.id: (1, True),
        phase.s1.id: (2, True),
        phase.s2.id: (None, False),
    }

    # A rank and "not acceptable" together: refused.
    response = client.post(url, data={f"rank_{phase.s1.id}": "1", f"reject_{phase.s1.id}": "y"})
    assert response.status_code == 400
    assert "not both" in page(response)

    # Not a whole number: refused.
    response = client.post(url, data={f"rank_{phase.s1.id}": "0"})
    assert response.status_code == 400

    # Blank = not ranked any more.
    response = client.post(url, data={f"rank_{phase.s1.id}": "1"})
    assert response.status_code == 302
    assert rankings() == {phase.s1.id: (1, True)}


def test_company_ranking_after_its_deadline_is_refused(client, auth, phase):
    rank(phase.s1, [phase.a.id])
    set_deadlines(phase.cohort, company_deadline_at=utcnow() - timedelta(hours=1))
    login(auth, phase.host_x)
    url = f"/company/offers/{phase.a.id}/candidates"
    response = client.post(url, data={f"rank_{phase.s1.id}": "1"}, follow_redirects=True)
    assert "The deadline for ranking candidates has passed." in page(response)
    assert db.session.scalar(select(func.count()).select_from(CompanyRanking)) == 0


def test_documents_download_for_host_contacts(client, auth, phase):
    rank(phase.s1, [phase.a.id])
    rank(phase.s2, [phase.c.id])
    cv = add_document(phase.s1, DocumentKind.cv)
    passport = add_document(phase.s1, DocumentKind.passport)
    other_cv = add_document(phase.s2, DocumentKind.cv)
    login(auth, phase.host_x)
    html = page(client.get(f"/company/candidates/{phase.s1.id}"))
    assert f"/documents/{cv.id}/download" in html
    assert f"/documents/{passport.id}/download" not in html

    response = client.get(f"/documents/{cv.id}/download")
    assert response.status_code == 200
    assert response.data == SAMPLE_PDF
    assert client.get(f"/documents/{passport.id}/download").status_code == 404
    assert client.get(f"/documents/{other_cv.id}/download").status_code == 404

    # Company Y sees its own candidate, not company X's.
    login(auth, phase.host_y)
    assert client.get(f"/documents/{other_cv.id}/download").status_code == 200
    assert client.get(f"/documents/{cv.id}/download").status_code == 404

    # A contact waiting for approval sees nothing.
    pending = UserFactory(role=Role.host, company_id=phase.x.id, approved_at=None)
    login(auth, pending)
    assert client.get(f"/documents/{cv.id}/download").status_code == 404


# --- the coordinators: settings, preview, commit, answers, follow-up ---------------------------


def test_coordinator_sets_the_deadlines_in_casablanca_time(client, auth, phase):
    login(auth, phase.coordinator)
    year = phase.cohort.year
    response = client.post(
        f"/matching/settings?cohort={phase.cohort.id}",
        data={
            "preferences_deadline_at": f"{year}-02-10T18:00",
            "company_deadline_at": f"{year}-02-20T12:30",
            "confirmation_days": "5",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    settings = db.session.scalar(select(MatchingSettings))
    expected = datetime(year, 2, 10, 18, 0, tzinfo=CASABLANCA).astimezone(UTC)
    assert as_utc(settings.preferences_deadline_at) == expected
    assert as_utc(settings.company_deadline_at) == datetime(
        year, 2, 20, 12, 30, tzinfo=CASABLANCA
    ).astimezone(UTC)
    assert settings.confirmation_days == 5
    html = page(client.get("/matching"))
    assert f'value="{year}-02-10T18:00"' in html

    # The companies' deadline before the students': refused, nothing changes.
    response = client.post(
        f"/matching/settings?cohort={phase.cohort.id}",
        data={
            "preferences_deadline_at": f"{year}-02-10T18:00",
            "company_deadline_at": f"{year}-02-01T12:00",
            "confirmation_days": "5",
        },
    )
    assert response.status_code == 400
    assert "their deadline cannot come first" in page(response)
    db.session.expire_all()
    assert as_utc(db.session.scalar(select(MatchingSettings)).company_deadline_at) == datetime(
        year, 2, 20, 12, 30, tzinfo=CASABLANCA
    ).astimezone(UTC)

    response = client.post(
        f"/matching/settings?cohort={phase.cohort.id}",
        data={"preferences_deadline_at": "not a date", "confirmation_days": "0"},
    )
    assert response.status_code == 400
    assert client.post("/matching/settings?cohort=999999", data={}).status_code == 404


def test_preview_commit_answers_and_follow_up(client, auth, phase):
    s1, s2, s3 = phase.s1, phase.s2, phase.s3
    rank(s1, [phase.a.id])
    rank(s2, [phase.a.id, phase.c.id, phase.b.id])
    rank(s3, [phase.a.id, phase.c.id])
    login(auth, phase.coordinator)
    html = page(client.get("/matching"))
    assert 'id="count-selected">3<' in html
    assert 'id="count-ranked">3<' in html
    assert 'id="count-free-seats">3<' in html
    assert "the coordinators' scores stand in" in html

    # Preview (the scores stand in: s1 > s2 > s3): s1 gets A, s2 C, s3 nothing; B stays free.
    response = client.post(f"/matching/run?cohort={phase.cohort.id}")
    assert response.status_code == 302
    run = db.session.scalar(select(MatchingRun))
    assert response.headers["Location"].endswith(f"/matching/runs/{run.id}")
    assert run.committed_at is None
    assert placements_of(phase.cohort) == {}
    html = page(client.get(f"/matching/runs/{run.id}"))
    assert 'id="stat-students">3<' in html
    assert 'id="stat-matched">2 (67 %)<' in html
    assert '<tr data-rank="1"><th scope="row">Choice no. 1</th><td>1</td><td>33 %</td>' in html
    assert '<tr data-rank="2"><th scope="row">Choice no. 2</th><td>1</td><td>33 %</td>' in html
    assert "unmatched" in html
    assert "Backend A" in html and "Data C" in html
    assert "filled its 1 seat(s) with candidates it ranked higher" in html
    assert 'id="commit-run"' in html

    # Commit: placements proposed, e-mails to the students and the host contacts.
    last_message = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    response = client.post(f"/matching/runs/{run.id}/commit", follow_redirects=True)
    assert "2 placements are proposed" in page(response)
    placements = placements_of(phase.cohort)
    assert {k: (p.offer_id, p.status) for k, p in placements.items()} == {
        s1.id: (phase.a.id, P.proposed),
        s2.id: (phase.c.id, P.proposed),
    }
    recipients = set(
        db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.id > last_message))
    )
    assert {s1.student.email, s2.student.email, phase.host_x.email, phase.host_y.email} <= (
        recipients
    )
    # Committing again is refused with the service's message.
    response = client.post(f"/matching/runs/{run.id}/commit", follow_redirects=True)
    assert "This run has already been committed." in page(response)
    assert len(placements_of(phase.cohort)) == 2

    # Company X confirms s1; company Y declines s2, first without a reason.
    login(auth, phase.host_x)
    html = page(client.get("/company/placements"))
    assert s1.full_name in html and "Answer by" in html
    assert s2.full_name not in html
    # Company X cannot answer company Y's placement.
    assert client.post(f"/company/placements/{placements[s2.id].id}/confirm").status_code == 404
    response = client.post(f"/company/placements/{placements[s1.id].id}/confirm")
    assert response.status_code == 302

    login(auth, phase.host_y)
    decline_url = f"/company/placements/{placements[s2.id].id}/decline"
    prefix = f"decline-{placements[s2.id].id}"
    response = client.post(decline_url, data={f"{prefix}-reason": "  "})
    assert response.status_code == 400
    assert "Give the reason for declining." in page(response)
    assert placements_of(phase.cohort)[s2.id].status is P.proposed
    response = client.post(decline_url, data={f"{prefix}-reason": "Profil trop junior"})
    assert response.status_code == 302
    placements = placements_of(phase.cohort)
    assert placements[s1.id].status is P.confirmed
    assert placements[s2.id].status is P.declined
    assert placements[s2.id].decline_reason == "Profil trop junior"
    html = page(client.get("/company/placements"))
    assert "Profil trop junior" in html

    # Follow-up run among the remaining: s2 and s3 (s1 is placed, A is filled); s2 may not
    # get C again, so s2 gets B and s3 gets C.
    login(auth, phase.coordinator)
    html = page(client.get("/matching"))
    assert "Profil trop junior" in html
    assert 'id="count-to-place">2<' in html
    client.post(f"/matching/run?cohort={phase.cohort.id}")
    follow_up = db.session.scalar(select(MatchingRun).order_by(MatchingRun.id.desc()))
    assert follow_up.id != run.id
    assert follow_up.inputs["student_prefs"] == {
        str(s2.id): [str(phase.b.id)],
        str(s3.id): [str(phase.c.id)],
    }
    assert follow_up.result == {str(s2.id): str(phase.b.id), str(s3.id): str(phase.c.id)}


def test_commit_refused_when_the_inputs_changed_or_a_newer_run_exists(client, auth, phase):
    rank(phase.s1, [phase.a.id])
    login(auth, phase.coordinator)
    client.post(f"/matching/run?cohort={phase.cohort.id}")
    first = db.session.scalar(select(MatchingRun))
    rank(phase.s2, [phase.b.id])
    html = page(client.get(f"/matching/runs/{first.id}"))
    assert 'id="stale"' in html
    response = client.post(f"/matching/runs/{first.id}/commit", follow_redirects=True)
    assert "Preferences or seats changed since this preview" in page(response)
    assert placements_of(phase.cohort) == {}

    client.post(f"/matching/run?cohort={phase.cohort.id}")
    html = page(client.get(f"/matching/runs/{first.id}"))
    assert 'id="commit-run"' not in html and 'id="not-latest"' in html
    response = client.post(f"/matching/runs/{first.id}/commit", follow_redirects=True)
    assert "A newer run exists" in page(response)
    assert placements_of(phase.cohort) == {}


def test_a_run_without_preferences_is_refused(client, auth, phase):
    login(auth, phase.coordinator)
    response = client.post(f"/matching/run?cohort={phase.cohort.id}", follow_redirects=True)
    assert "has ranked any offer" in page(response)
    assert db.session.scalar(select(func.count()).select_from(MatchingRun)) == 0


def test_confirm_refused_past_the_deadline_and_over_the_quota(client, auth, phase):
    rank(phase.s1, [phase.a.id])
    rank(phase.s2, [phase.b.id])
    run = services.run_preview(phase.cohort, phase.coordinator)
    services.commit_run(run, phase.coordinator)
    db.session.commit()
    placements = placements_of(phase.cohort)
    placements[phase.s1.id].respond_by_at = utcnow() - timedelta(minutes=1)
    phase.cohort.quota = 1
    db.session.commit()
    login(auth, phase.host_x)
    response = client.post(
        f"/company/placements/{placements[phase.s1.id].id}/confirm", follow_redirects=True
    )
    assert "The deadline to answer has passed" in page(response)
    client.post(f"/company/placements/{placements[phase.s2.id].id}/confirm")
    assert placements_of(phase.cohort)[phase.s2.id].status is P.confirmed
    # The quota (1) is reached: a further proposed placement cannot be confirmed.
    rank(phase.s3, [phase.c.id])
    run = services.run_preview(phase.cohort, phase.coordinator)
    services.commit_run(run, phase.coordinator)
    db.session.commit()
    login(auth, phase.host_y)
    placement = placements_of(phase.cohort)[phase.s3.id]
    response = client.post(f"/company/placements/{placement.id}/confirm", follow_redirects=True)
    assert "The quota is reached" in page(response)
    assert placements_of(phase.cohort)[phase.s3.id].status is P.proposed
    assert placements_of(phase.cohort)[phase.s1.id].status is P.proposed


def test_coordinator_cancels_a_placement_with_a_reason(client, auth, phase):
    rank(phase.s1, [phase.a.id])
    run = services.run_preview(phase.cohort, phase.coordinator)
    services.commit_run(run, phase.coordinator)
    db.session.commit()
    placement = placements_of(phase.cohort)[phase.s1.id]
    login(auth, phase.coordinator)
    url = f"/matching/placements/{placement.id}/cancel"
    response = client.post(url, data={})
    assert response.status_code == 400
    assert "Give the reason for cancelling this placement." in page(response)
    assert placements_of(phase.cohort)[phase.s1.id].status is P.proposed
    response = client.post(url, data={f"cancel-{placement.id}-reason": "Visa refusé"})
    assert response.status_code == 302
    placement = placements_of(phase.cohort)[phase.s1.id]
    assert placement.status is P.cancelled and placement.cancel_reason == "Visa refusé"
    html = page(client.get("/matching"))
    assert "Visa refusé" in html
    assert f'<tr data-application="{phase.s1.id}">' in html  # back among the unplaced


def test_release_an_unplaced_student_offers_the_seat_to_the_waitlist(client, auth, phase):
    phase.cohort.quota = 3
    waitlisted = make_selected(phase.cohort, 1, start_rank=10)[0]
    waitlisted.status = ApplicationStatus.waitlisted
    waitlisted.waitlist_rank = 1
    db.session.commit()
    login(auth, phase.coordinator)
    html = page(client.get("/matching"))
    assert f'id="release-form-{phase.s3.id}"' in html
    url = f"/matching/applications/{phase.s3.id}/release"
    response = client.post(url, data={})
    assert response.status_code == 400
    assert "Give the reason why this student cannot be placed." in page(response)
    db.session.expire_all()
    assert phase.s3.status is ApplicationStatus.selected
    assert open_offer(waitlisted) is None

    response = client.post(url, data={f"release-{phase.s3.id}-reason": "Aucune offre compatible"})
    assert response.status_code == 302
    db.session.expire_all()
    assert phase.s3.status is ApplicationStatus.rejected
    assert open_offer(waitlisted) is not None
    assert db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.recipient == phase.s3.student.email)
    )
    # Releasing again is refused with the service's message.
    response = client.post(
        url, data={f"release-{phase.s3.id}-reason": "Encore"}, follow_redirects=True
    )
    assert "Only a selected student can be released." in page(response)


def test_staff_pages_name_students_and_offers_without_a_query_per_row(
    app, client, auth, phase, no_kept_pages
):
    extra = make_selected(phase.cohort, 6, start_rank=4)
    for application in [phase.s1, phase.s2, phase.s3, *extra]:
        rank(application, [phase.a.id, phase.b.id, phase.c.id])
    run = services.run_preview(phase.cohort, phase.coordinator)
    services.commit_run(run, phase.coordinator)
    db.session.commit()
    login(auth, phase.coordinator)
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/matching/runs/{run.id}").status_code == 200
        detail = len(statements)
        statements.clear()
        assert client.get("/matching").status_code == 200
        overview = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Fixed numbers of queries, whatever the number of students (9 here): the overview adds a
    # count per paginated list (placements, unplaced) and the working cohort's stage query.
    assert detail <= 8, detail
    assert overview <= 22, overview
