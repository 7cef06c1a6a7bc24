"""The selection round seen by the reviewers (blind scoring, conflicts of interest) and by the
students (hidden decisions until publication, interview, waitlist offers), through HTTP.

The state is built with the models and ``selection.services`` in the test context; then the
reviewers and students act through the web pages.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from babel.dates import format_datetime
from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.applications.models import Application, ApplicationStatus
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import CASABLANCA, utcnow
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.selection import services
from mnc_exchange.selection.models import (
    AssignmentStatus,
    ReviewAssignment,
    ReviewScore,
    SeatOffer,
    SeatOfferStatus,
)
from mnc_exchange.templating import datetime_pattern
from tests.factories import PASSWORD, CohortFactory, UserFactory, make_application_with_document

A = ApplicationStatus
_seq = count(1)

REVIEWS = "/reviews/"
MINE = "/application/selection/"


# --- helpers ---------------------------------------------------------------------------------


def login(client, user: User) -> None:
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.data[:300]
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 302


def make_cohort(quota: int = 1):
    return CohortFactory(state=CohortState.selection, is_current=True, quota=quota)


def coordinator() -> User:
    return UserFactory(role=Role.coordinator)


def student() -> User:
    return UserFactory(role=Role.student)


def make_application(cohort, owner: User | None = None, status=A.eligible) -> Application:
    n = next(_seq)
    application = Application(
        cohort_id=cohort.id,
        student_id=(owner or student()).id,
        status=status,
        first_name=f"Prénom{n}",
        last_name=f"Nom{n}",
        programme="Génie logiciel",
        year_of_study=4,
        grade_average=Decimal("14.50"),
        french_level="B2",
        pole_ranking=["software", "mobile", "security", "multimedia"],
        motivation="Je souhaite découvrir l'écosystème numérique français.",
        submitted_at=utcnow() - timedelta(days=30 - n % 20),
        eligibility_reasons=[],
    )
    db.session.add(application)
    db.session.commit()
    return application


def assignment_of(application: Application, reviewer: User) -> ReviewAssignment:
    return db.session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id == application.id,
            ReviewAssignment.reviewer_id == reviewer.id,
        )
    )


def file_criteria(cohort):
    return [c for c in services.rubric_for(cohort) if not c.is_interview]


def score_form(cohort, values: dict[str, str], comment: str = "") -> dict[str, str]:
    data = {f"score_{key}": value for key, value in values.items()}
    data["comment"] = comment
    return data


FULL = {"academic": "16", "french": "8", "technical": "7,5", "motivation": "9"}


def main_html(response) -> str:
    """The page's <main> (the navigation holds e.g. the language <option selected>)."""
    text = response.get_data(as_text=True)
    match = re.search(r"<main\b.*?</main>", text, re.S)
    assert match, text[:500]
    return match.group(0)


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --- reviewers -------------------------------------------------------------------------------


@pytest.fixture
def two_reviewers():
    """A cohort, one eligible application (with a document) and its two reviewers."""
    cohort = make_cohort()
    first, second = coordinator(), coordinator()
    application, document = make_application_with_document(student(), cohort)
    application.status = A.eligible
    application.first_name, application.last_name = "Salma", "Bennani"
    db.session.commit()
    assert services.assign_reviewers(cohort) == 2
    db.session.commit()
    return cohort, application, document, first, second


def test_my_reviews_lists_the_assignment_and_the_file(client, two_reviewers):
    cohort, application, document, first, _second = two_reviewers
    mine = assignment_of(application, first)
    login(client, first)
    response = client.get(REVIEWS)
    assert response.status_code == 200
    html = main_html(response)
    assert 'id="count-todo" data-count="1"' in html
    assert f'data-assignment="{mine.id}"' in html
    assert f"/reviews/{mine.id}" in html

    response = client.get(f"{REVIEWS}{mine.id}")
    assert response.status_code == 200
    html = main_html(response)
    assert "Salma" in html and "Bennani" in html
    assert f"/documents/{document.id}/download" in html
    assert client.get(f"/documents/{document.id}/download").status_code == 200
    for criterion in file_criteria(cohort):
        assert f'name="score_{criterion.key}"' in html
    assert 'name="score_interview"' not in html  # scored at the interview, not here
    assert 'id="conflict-form"' in html


def test_blind_review(client, two_reviewers):
    cohort, application, _document, first, second = two_reviewers
    a, b = assignment_of(application, first), assignment_of(application, second)

    login(client, first)
    response = client.post(
        f"{REVIEWS}{a.id}",
        data=score_form(cohort, FULL, comment="Excellent dossier, très motivée (A)."),
    )
    assert response.status_code == 302
    a = fresh(a)
    assert a.status is AssignmentStatus.submitted
    a_total = str(a.total)
    html = main_html(client.get(f"{REVIEWS}{a.id}"))
    assert 'id="my-total"' in html and f'data-total="{a_total}"' in html
    assert 'id="pending-others"' in html  # B's review is still to come, and not shown

    # B has not submitted: nothing of A's review is shown.
    login(client, second)
    html = main_html(client.get(f"{REVIEWS}{b.id}"))
    assert "Excellent dossier" not in html
    assert f'data-total="{a_total}"' not in html
    assert "data-other-assignment" not in html
    assert 'id="blind-note"' in html
    assert client.get(f"{REVIEWS}{a.id}").status_code == 404  # nor through A's page

    response = client.post(
        f"{REVIEWS}{b.id}",
        data=score_form(
            cohort, {"academic": "12", "french": "6", "technical": "5", "motivation": "7"}
        ),
    )
    assert response.status_code == 302
    html = main_html(client.get(f"{REVIEWS}{b.id}"))
    assert f'data-other-assignment="{a.id}"' in html
    assert "Excellent dossier" in html
    assert f'data-total="{a_total}"' in html
    assert 'data-criterion="technical" data-score="7.50"' in html
    # Every review is in: the application is scored.
    assert fresh(application).status is A.scored


@pytest.mark.parametrize(
    "field, value",
    [
        ("academic", "21"),  # above the maximum (20)
        ("academic", "-1"),
        ("french", "10,5"),  # max 10
        ("motivation", "abc"),
        ("technical", "7,555"),  # more than two decimals
        ("french", ""),  # missing
    ],
)
def test_scores_out_of_range_are_refused_and_nothing_is_stored(client, two_reviewers, field, value):
    cohort, application, _document, first, _second = two_reviewers
    mine = assignment_of(application, first)
    login(client, first)
    values = dict(FULL, **{field: value})
    response = client.post(f"{REVIEWS}{mine.id}", data=score_form(cohort, values))
    assert response.status_code == 400
    html = main_html(response)
    assert 'aria-invalid="true"' in html and f'id="score_{field}"' in html
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ReviewScore)) == 0
    mine = fresh(mine)
    assert mine.status is AssignmentStatus.assigned and mine.total is None


def test_decimal_comma(client, two_reviewers):
    cohort, application, _document, first, _second = two_reviewers
    mine = assignment_of(application, first)
    login(client, first)
    values = {"academic": "12,5", "french": "7.25", "technical": " 9,5 ", "motivation": "10"}
    response = client.post(f"{REVIEWS}{mine.id}", data=score_form(cohort, values))
    assert response.status_code == 302
    mine = fresh(mine)
    scores = {s.criterion.key: s.score for s in mine.scores}
    assert scores == {
        "academic": Decimal("12.50"),
        "french": Decimal("7.25"),
        "technical": Decimal("9.50"),
        "motivation": Decimal("10.00"),
    }
    # A submitted review cannot be changed.
    response = client.post(f"{REVIEWS}{mine.id}", data=score_form(cohort, FULL))
    assert response.status_code == 302
    assert {s.criterion.key: s.score for s in fresh(mine).scores} == scores


def test_conflict_of_interest_reassigns(client):
    cohort = make_cohort()
    first, second, third = coordinator(), coordinator(), coordinator()
    application = make_application(cohort)
    services.assign_reviewers(cohort)  # two reviewers: the first two coordinators
    db.session.commit()
    mine = assignment_of(application, first)
    assert mine is not None and assignment_of(application, third) is None

    login(client, first)
    response = client.post(f"{REVIEWS}{mine.id}/conflict", data={"reason": "  "})
    assert response.status_code == 400  # a reason is required
    assert fresh(mine).status is AssignmentStatus.assigned

    response = client.post(f"{REVIEWS}{mine.id}/conflict", data={"reason": "She is my niece."})
    assert response.status_code == 302
    mine = fresh(mine)
    assert mine.status is AssignmentStatus.conflict
    assert mine.conflict_reason == "She is my niece."
    replacement = assignment_of(application, third)
    assert replacement is not None and replacement.status is AssignmentStatus.assigned
    assert assignment_of(application, second).status is AssignmentStatus.assigned

    html = main_html(client.get(REVIEWS))
    assert 'id="count-todo" data-count="0"' in html
    assert 'id="count-conflict" data-count="1"' in html
    html = main_html(client.get(f"{REVIEWS}{mine.id}"))
    assert 'id="review-form"' not in html and 'id="conflict-declared"' in html
    # No scoring on a conflicted assignment.
    assert client.post(f"{REVIEWS}{mine.id}", data=score_form(cohort, FULL)).status_code == 302
    assert fresh(mine).status is AssignmentStatus.conflict

    login(client, third)
    html = main_html(client.get(REVIEWS))
    assert 'id="count-todo" data-count="1"' in html
    assert f'data-assignment="{replacement.id}"' in html


def test_someone_elses_assignment_is_404(client, two_reviewers):
    cohort, application, _document, first, second = two_reviewers
    theirs = assignment_of(application, first)
    login(client, second)
    assert client.get(f"{REVIEWS}{theirs.id}").status_code == 404
    assert client.post(f"{REVIEWS}{theirs.id}", data=score_form(cohort, FULL)).status_code == 404
    assert client.post(f"{REVIEWS}{theirs.id}/conflict", data={"reason": "x"}).status_code == 404
    assert client.get(f"{REVIEWS}999999").status_code == 404
    assert fresh(theirs).status is AssignmentStatus.assigned


def test_students_and_admins_cannot_review(client, auth, two_reviewers):
    _cohort, application, _document, first, _second = two_reviewers
    theirs = assignment_of(application, first)
    auth.as_role("admin")
    assert client.get(REVIEWS).status_code == 403
    assert client.get(f"{REVIEWS}{theirs.id}").status_code == 403
    auth.logout()
    auth.as_role("student")
    assert client.get(f"{REVIEWS}{theirs.id}").status_code == 403


# --- the round up to the decisions -----------------------------------------------------------


def run_round(cohort, students: list[User], shortlist: int, interview_at=None):
    """Eligible applications, reviewed (first student best), shortlisted, interviewed and
    decided — not published. Returns the applications in the students' order."""
    reviewers = [coordinator(), coordinator()]
    applications = [make_application(cohort, s) for s in students]
    settings = services.settings_for(cohort)
    settings.shortlist_size = shortlist
    services.assign_reviewers(cohort)
    criteria = file_criteria(cohort)
    for index, application in enumerate(applications):
        fraction = Decimal(1) - Decimal(index) / 10
        for reviewer in reviewers:
            services.submit_review(
                assignment_of(application, reviewer),
                {c.id: (c.max_score * fraction).quantize(Decimal("0.01")) for c in criteria},
            )
    services.make_shortlist(cohort)
    when = interview_at or utcnow() + timedelta(days=3)
    for application in applications:
        if application.status is A.shortlisted:
            services.schedule_interview(application, when, "Salle 2, ENSIAS Rabat")
            services.score_interview(application, Decimal(8), "", reviewers[0])
    services.make_decisions(cohort)
    db.session.commit()
    return applications


SUMMARY = (
    '{% set selection = my_selection(application) %}{% include "my_selection/_summary.html" %}'
)
OUTCOME_WORDS = ("selected", "waitlist", "rank", "not selected")


def test_decisions_are_hidden_until_published(client):
    cohort = make_cohort(quota=1)
    students = [student() for _ in range(4)]
    apps = run_round(cohort, students, shortlist=3)
    assert [a.status for a in apps] == [A.selected, A.waitlisted, A.waitlisted, A.rejected]
    assert [a.waitlist_rank for a in apps[:3]] == [None, 1, 2]

    for owner in (students[0], students[1], students[3]):
        login(client, owner)
        response = client.get(MINE)
        assert response.status_code == 200
        html = main_html(response)
        status = re.search(r'id="selection-status" data-status="(\w+)"', html).group(1)
        assert status in ("eligible", "interviewed")
        for word in OUTCOME_WORDS:
            assert word not in html.lower(), (owner.email, word)
        assert 'id="decline-seat-form"' not in html

    services.publish(cohort)
    db.session.commit()

    expectations = [
        (students[0], "selected", "Selected"),
        (students[1], "waitlisted", "Waitlisted, rank 1"),
        (students[2], "waitlisted", "Waitlisted, rank 2"),
        (students[3], "rejected", "Not selected"),
    ]
    for owner, status, label in expectations:
        login(client, owner)
        html = main_html(client.get(MINE))
        assert f'data-status="{status}">{label}</span>' in html, (status, html)
        assert ('id="decline-seat-form"' in html) == (status == "selected")


def test_the_dashboard_summary_never_reveals_an_unpublished_decision(app):
    cohort = make_cohort(quota=1)
    students = [student() for _ in range(2)]
    apps = run_round(cohort, students, shortlist=2)
    template = (
        '{% set selection = my_selection(application) %}<span data-status="'
        '{{ selection.status.value }}">{{ selection.label }}</span>'
        '{% include "my_selection/_summary.html" %}'
    )
    with app.test_request_context("/"), force_locale("en"):
        html = render_template_string(template, application=db.session.get(Application, apps[0].id))
        assert 'data-status="interviewed"' in html and "selected" not in html.lower()
        assert render_template_string("{{ my_selection(None) }}") == "None"
    services.publish(cohort)
    db.session.commit()
    with app.test_request_context("/"), force_locale("en"):
        html = render_template_string(template, application=db.session.get(Application, apps[1].id))
        assert 'data-status="waitlisted">Waitlisted, rank 1</span>' in html


def test_interview_is_shown_to_the_student(client, app):
    cohort = make_cohort(quota=1)
    owner = student()
    application = make_application(cohort, owner)
    application.status = A.shortlisted  # (set directly: no reviews needed here)
    starts = (utcnow() + timedelta(days=10)).replace(hour=10, minute=0, second=0, microsecond=0)
    services.schedule_interview(application, starts, "https://meet.example.org/mnc-42")
    db.session.commit()
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == owner.email)
    ).all()
    assert len(mails) == 1

    login(client, owner)
    html = main_html(client.get(MINE))
    assert 'data-status="shortlisted"' in html
    medium = datetime_pattern("medium", "en")  # the date and the time, to the minute
    expected = format_datetime(starts.astimezone(CASABLANCA), medium, locale="en")
    assert f'<dd class="col-sm-7" id="interview-when">{expected}</dd>' in html
    assert 'href="https://meet.example.org/mnc-42"' in html

    template = (
        '{% set selection = my_selection(application) %}{% include "my_selection/_summary.html" %}'
    )
    with app.test_request_context("/"):
        html = render_template_string(
            template, application=db.session.get(Application, application.id)
        )
    assert 'id="my-selection-interview"' in html and "meet.example.org/mnc-42" in html


def test_no_cohort_and_no_application(client, auth):
    auth.as_role("student")
    client.post("/language", data={"lang": "en", "next": "/"})
    html = main_html(client.get(MINE))
    assert 'id="no-cohort"' in html
    make_cohort()
    html = main_html(client.get(MINE))
    assert 'id="no-application"' in html
    assert client.post(MINE + "offer", data={"response": "accept"}).status_code == 302
    assert client.post(MINE + "decline", data={"confirm": "y"}).status_code == 302


# --- the waitlist ----------------------------------------------------------------------------


def seats(cohort) -> int:
    db.session.expire_all()
    return services.seats_taken(cohort)


def open_offer_of(application) -> SeatOffer | None:
    db.session.expire_all()
    return services.open_offer(db.session.get(Application, application.id))


@pytest.fixture
def published_round():
    cohort = make_cohort(quota=1)
    students = [student() for _ in range(3)]
    apps = run_round(cohort, students, shortlist=3)
    services.publish(cohort)
    db.session.commit()
    assert [a.status for a in apps] == [A.selected, A.waitlisted, A.waitlisted]
    return cohort, students, apps


def _count_mails(user: User) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.recipient == user.email)
    )


def test_waitlist_chain_through_http(client, published_round):
    cohort, (s1, s2, s3), (a1, a2, a3) = published_round
    assert seats(cohort) == 1

    # The selected student declines the seat (a confirmation is required).
    login(client, s1)
    response = client.post(MINE + "decline", data={"reason": ""})
    assert response.status_code == 400
    assert fresh(a1).status is A.selected
    mails_before = _count_mails(s2)
    response = client.post(MINE + "decline", data={"confirm": "y", "reason": "Health reasons"})
    assert response.status_code == 302
    assert fresh(a1).status is A.withdrawn
    assert seats(cohort) == 0
    offer2 = open_offer_of(a2)
    assert offer2 is not None
    assert _count_mails(s2) == mails_before + 1  # the seat offer is e-mailed
    assert open_offer_of(a3) is None

    # #1 on the waitlist sees the offer and declines it (again with a confirmation).
    login(client, s2)
    html = main_html(client.get(MINE))
    assert f'data-offer="{offer2.id}"' in html and 'id="accept-offer"' in html
    assert 'data-status="waitlisted">Waitlisted, rank 1</span>' in html
    response = client.post(MINE + "offer", data={"offer_id": offer2.id, "response": "decline"})
    assert response.status_code == 400
    assert fresh(offer2).status is SeatOfferStatus.open
    mails_before = _count_mails(s3)
    response = client.post(
        MINE + "offer", data={"offer_id": offer2.id, "response": "decline", "confirm": "y"}
    )
    assert response.status_code == 302
    assert fresh(offer2).status is SeatOfferStatus.declined
    assert fresh(a2).status is A.withdrawn
    offer3 = open_offer_of(a3)
    assert offer3 is not None
    assert _count_mails(s3) == mails_before + 1
    assert seats(cohort) == 0

    # #2 accepts: selected, within the quota.
    login(client, s3)
    response = client.post(MINE + "offer", data={"offer_id": offer3.id, "response": "accept"})
    assert response.status_code == 302
    assert fresh(offer3).status is SeatOfferStatus.accepted
    assert fresh(a3).status is A.selected
    assert seats(cohort) == 1
    html = main_html(client.get(MINE))
    assert 'data-status="selected">Selected</span>' in html
    assert 'data-offer-status="accepted"' in html
    # The offer cannot be answered twice.
    response = client.post(MINE + "offer", data={"offer_id": offer3.id, "response": "accept"})
    assert response.status_code == 302
    assert seats(cohort) == 1 <= cohort.quota


def test_an_expired_offer_cannot_be_accepted_and_the_cli_moves_the_seat_on(
    client, runner, published_round
):
    cohort, (s1, s2, s3), (a1, a2, a3) = published_round
    login(client, s1)
    assert client.post(MINE + "decline", data={"confirm": "y"}).status_code == 302
    offer2 = open_offer_of(a2)
    offer2.deadline_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    login(client, s2)
    html = main_html(client.get(MINE))
    assert 'id="offer-expired"' in html and 'id="accept-offer"' not in html
    response = client.post(MINE + "offer", data={"offer_id": offer2.id, "response": "accept"})
    assert response.status_code == 302
    assert fresh(offer2).status is SeatOfferStatus.open
    assert fresh(a2).status is A.waitlisted
    assert seats(cohort) == 0

    result = runner.invoke(args=["selection", "expire-offers"])
    assert result.exit_code == 0, result.output
    assert "1 seat offer(s) expired" in result.output
    assert fresh(offer2).status is SeatOfferStatus.expired
    assert fresh(a2).status is A.waitlisted
    offer3 = open_offer_of(a3)
    assert offer3 is not None
    assert seats(cohort) == 0

    html = main_html(client.get(MINE))  # still s2
    assert 'data-offer-status="expired"' in html and 'id="accept-offer"' not in html

    login(client, s3)
    assert (
        client.post(MINE + "offer", data={"offer_id": offer3.id, "response": "accept"}).status_code
        == 302
    )
    assert fresh(a3).status is A.selected
    assert seats(cohort) == 1


def test_a_stale_offer_id_is_refused(client, published_round):
    _cohort, (s1, s2, _s3), (_a1, a2, _a3) = published_round
    login(client, s1)
    client.post(MINE + "decline", data={"confirm": "y"})
    offer2 = open_offer_of(a2)
    login(client, s2)
    response = client.post(MINE + "offer", data={"offer_id": offer2.id + 1, "response": "accept"})
    assert response.status_code == 302
    assert fresh(offer2).status is SeatOfferStatus.open
    # Another student cannot answer it: their own application has no open offer.
    login(client, s1)
    client.post(MINE + "offer", data={"offer_id": offer2.id, "response": "accept"})
    assert fresh(offer2).status is SeatOfferStatus.open
