"""The coordinators' selection pages, driven through HTTP: settings, rubric, reviewers,
shortlist, interviews, decisions, overrides, publication, minutes (PDF) and exports.

The client is switched to English; assertions are on structure and database state.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.applications.models import Application, ApplicationStatus
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import as_utc, utcnow
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.selection import minutes, services
from mnc_exchange.selection.models import (
    AssignmentStatus,
    Interview,
    ReviewAssignment,
    ReviewScore,
    RubricCriterion,
    SelectionSettings,
)
from tests.conftest import count_queries
from tests.factories import PASSWORD, CohortFactory, UserFactory

A = ApplicationStatus
CASABLANCA = ZoneInfo("Africa/Casablanca")

#: name, per reviewer (academic /20, french /10, technical /10, motivation /10), interview /10
#: Review scores: 100, 90, 71.76 (reviewers 40 points apart), 70, 70 (tie at the cut-off), 50.
#: Final scores: 88, 82.5, then 68.5 three times: Elham (interview 6, submitted first),
#: Driss (interview 6), Chaimae (interview 5).
ROUND = [
    ("Amina", "Alaoui", [(20, 10, 10, 10), (20, 10, 10, 10)], 2),
    ("Badr", "Bennani", [(18, 9, 9, 9), (18, 9, 9, 9)], 4),
    ("Chaimae", "Chraibi", [(18, 9, 9, 10), (10, 5, 5, 6)], 5),
    ("Driss", "Daoudi", [(14, 7, 7, 7), (14, 7, 7, 7)], 6),
    ("Elham", "Elfassi", [(14, 7, 7, 7), (14, 7, 7, 7)], 6),
    ("Fouad", "Fikri", [(10, 5, 5, 5), (10, 5, 5, 5)], None),
]


# --- helpers ---------------------------------------------------------------------------------


def english(client) -> None:
    client.post("/language", data={"lang": "en", "next": "/"})


@pytest.fixture
def coordinator(auth, client):
    user = auth.as_role("coordinator", locale="en", full_name="Carla Coordinator")
    english(client)
    return user


def make_user(role: Role, name: str, email: str) -> User:
    user = User(
        email=email,
        full_name=name,
        role=role,
        locale="en",
        active=True,
        approved_at=utcnow(),
        password_hash="!",
    )
    db.session.add(user)
    db.session.flush()
    return user


def build_round(quota: int = 2):
    """A cohort in selection with the six eligible applications of ROUND and two more
    coordinators (three reviewers in all with the logged-in one)."""
    cohort = CohortFactory(quota=quota, state=CohortState.selection, is_current=True)
    make_user(Role.coordinator, "Bruno Reviewer", "bruno@example.org")
    make_user(Role.coordinator, "Chloe Reviewer", "chloe@example.org")
    base = utcnow() - timedelta(days=30)
    applications = []
    for n, (first, last, _scores, _interview) in enumerate(ROUND, start=1):
        student = make_user(Role.student, f"{first} {last}", f"{first.lower()}@example.org")
        submitted = base - timedelta(hours=1) if last == "Elfassi" else base + timedelta(hours=n)
        application = Application(
            cohort_id=cohort.id,
            student_id=student.id,
            status=A.eligible,
            first_name=first,
            last_name=last,
            pole_ranking=[],
            eligibility_reasons=[],
            submitted_at=submitted,
        )
        db.session.add(application)
        applications.append(application)
    db.session.commit()
    return cohort, applications


def by_last_name(cohort) -> dict[str, Application]:
    db.session.expire_all()
    return {
        a.last_name: a
        for a in db.session.scalars(select(Application).where(Application.cohort_id == cohort.id))
    }


def text_of(response) -> str:
    return response.get_data(as_text=True)


def flashes(response) -> list[str]:
    return re.findall(r'<div class="alert alert-\w+" role="\w+">(.*?)</div>', text_of(response))


def assert_csp_friendly(page: str) -> None:
    """No inline script and no style attribute (the CSP forbids them)."""
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<script" not in main
    assert 'style="' not in page


def rubric_form(rows) -> dict:
    data = {}
    for i, row in enumerate(rows):
        key, label, weight, max_score, interview = row[:5]
        data |= {
            f"criteria-{i}-key": key,
            f"criteria-{i}-label": label,
            f"criteria-{i}-weight": weight,
            f"criteria-{i}-max_score": max_score,
        }
        if interview:
            data[f"criteria-{i}-is_interview"] = "y"
        if len(row) > 5 and row[5]:
            data[f"criteria-{i}-remove"] = "y"
    return data


DEFAULT_ROWS = [
    ("academic", "Academic record", "30", "20", False),
    ("french", "French level", "20", "10", False),
    ("technical", "Technical skills", "20", "10", False),
    ("motivation", "Motivation", "15", "10", False),
    ("interview", "Interview", "15", "10", True),
]
MOTIVATION_LABEL = "Motivation & <project>"


def submit_reviews(applications, only=None) -> None:
    """Each reviewer of each application submits the scores of ROUND (in assignment order)."""
    db.session.expire_all()
    scores = {a.id: row[2] for a, row in zip(applications, ROUND, strict=True)}
    for application in applications:
        if only is not None and application.id not in only:
            continue
        criteria = [c for c in services.rubric_for(application.cohort) if not c.is_interview]
        assignments = db.session.scalars(
            select(ReviewAssignment)
            .where(ReviewAssignment.application_id == application.id)
            .order_by(ReviewAssignment.id)
        ).all()
        for assignment, values in zip(assignments, scores[application.id], strict=True):
            if assignment.status is not AssignmentStatus.assigned:
                continue
            services.submit_review(
                assignment, {c.id: v for c, v in zip(criteria, values, strict=True)}
            )
    db.session.commit()


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- the whole round -------------------------------------------------------------------------


def test_whole_round_through_the_pages(app, client, coordinator):
    cohort, applications = build_round()
    base = f"/selection/{cohort.id}"

    # Overview: counts, seats, steps.
    response = client.get(base)
    assert response.status_code == 200
    page = text_of(response)
    assert 'data-count="eligible">6<' in page
    assert "Seats taken: 0 of 2" in page
    assert re.search(r'id="step-shortlist" disabled', page)
    assert re.search(r'id="step-decide" disabled', page)
    assert re.search(r'id="step-publish" disabled', page)
    assert not re.search(r'id="step-assign" disabled', page)
    assert db.session.scalar(select(func.count()).select_from(SelectionSettings)) == 0  # a GET

    # Settings.
    response = client.post(
        f"{base}/settings",
        data={
            "reviewers_per_application": "2",
            "disagreement_gap": "12,5",
            "shortlist_size": "",
            "seat_offer_days": "5",
        },
    )
    assert response.status_code == 302
    settings = db.session.scalar(select(SelectionSettings))
    assert (settings.reviewers_per_application, settings.disagreement_gap) == (2, Decimal("12.5"))
    assert (settings.shortlist_size, settings.seat_offer_days) == (None, 5)
    response = client.post(f"{base}/settings", data={"reviewers_per_application": "0"})
    assert response.status_code == 400

    # Rubric: the defaults, a criterion added, then removed and another relabelled.
    page = text_of(client.get(f"{base}/rubric"))
    assert 'name="criteria-4-key"' in page and 'name="criteria-6-key"' in page  # 5 + 2 blank
    assert 'value="Academic record"' in page
    response = client.post(
        f"{base}/rubric",
        data=rubric_form([*DEFAULT_ROWS, ("english", "English", "5", "10", False)]),
    )
    assert response.status_code == 302
    keys = db.session.scalars(select(RubricCriterion.key).order_by(RubricCriterion.position))
    assert list(keys) == ["academic", "french", "technical", "motivation", "interview", "english"]
    rows = [*DEFAULT_ROWS, ("english", "English", "5", "10", False, True)]
    rows[3] = ("motivation", MOTIVATION_LABEL, "15", "10", False)
    assert client.post(f"{base}/rubric", data=rubric_form(rows)).status_code == 302
    db.session.expire_all()
    criteria = db.session.scalars(select(RubricCriterion).order_by(RubricCriterion.position)).all()
    assert [c.key for c in criteria] == [
        "academic",
        "french",
        "technical",
        "motivation",
        "interview",
    ]
    assert criteria[3].label == MOTIVATION_LABEL
    # Invalid rows are shown with their errors; two interviews are refused by the service.
    bad = [*DEFAULT_ROWS]
    bad[0] = ("academic", "Academic record", "abc", "20", False)
    response = client.post(f"{base}/rubric", data=rubric_form(bad))
    assert response.status_code == 400 and 'aria-invalid="true"' in text_of(response)
    bad = [*DEFAULT_ROWS]
    bad[1] = ("french", "French level", "20", "10", True)
    response = client.post(f"{base}/rubric", data=rubric_form(bad), follow_redirects=True)
    assert "Only one criterion can be the interview." in flashes(response)
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count()).select_from(RubricCriterion).where(RubricCriterion.is_interview)
        )
        == 1
    )

    # Reviewers: 6 applications × 2 reviewers over 3 coordinators = 4 each.
    response = client.post(f"{base}/assign")
    assert response.status_code == 302 and response.headers["Location"].endswith("/assignments")
    assert db.session.scalar(select(func.count()).select_from(ReviewAssignment)) == 12
    page = text_of(client.get(f"{base}/assignments"))
    assert re.findall(r'data-load="(\d+)"', page) == ["4", "4", "4"]
    # Reassign an open review of Alaoui to the coordinator not on it.
    alaoui = by_last_name(cohort)["Alaoui"]
    on_it = db.session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.application_id == alaoui.id)
    ).all()
    coordinators = db.session.scalars(select(User).where(User.role == Role.coordinator)).all()
    free = next(u for u in coordinators if u.id not in {a.reviewer_id for a in on_it})
    moved = on_it[0]
    old_reviewer = moved.reviewer_id
    prefix = f"reassign-{moved.id}"
    response = client.post(
        f"/selection/assignments/{moved.id}/reassign",
        data={f"{prefix}-reviewer_id": str(on_it[1].reviewer_id)},
        follow_redirects=True,
    )
    assert "This reviewer already has this application." in flashes(response)
    response = client.post(
        f"/selection/assignments/{moved.id}/reassign", data={f"{prefix}-reviewer_id": str(free.id)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, moved.id).reviewer_id == free.id
    page = text_of(client.get(f"{base}/assignments"))
    assert sorted(re.findall(r'data-load="(\d+)"', page)) == ["3", "4", "5"]
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "selection.reassign")
    ).details == {"from": old_reviewer, "to": free.id}

    # Blind reviewing: the logged-in coordinator does not see the totals of an application
    # they still have to review.
    mine = db.session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.reviewer_id == coordinator.id)
    ).all()
    blind_app = mine[0].application_id
    other = db.session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id == blind_app,
            ReviewAssignment.reviewer_id != coordinator.id,
        )
    )
    blind = next(a for a in applications if a.id == blind_app)
    index = applications.index(blind)
    criteria_ids = [c.id for c in criteria if not c.is_interview]
    own = db.session.scalars(
        select(ReviewAssignment)
        .where(ReviewAssignment.application_id == blind_app)
        .order_by(ReviewAssignment.id)
    ).all()
    values = ROUND[index][2][own.index(other)]
    services.submit_review(other, dict(zip(criteria_ids, values, strict=True)))
    db.session.commit()
    page = text_of(client.get(f"{base}/assignments"))
    row = re.search(rf'<tr data-application="{blind_app}">(.*?)</tr>', page, re.S).group(1)
    assert "hidden until you submit your review" in row and "data-total" not in row

    # Scoring has started: the rubric is frozen (the service's refusal), the scoring settings too.
    rows[3] = ("motivation", "Changed", "15", "10", False)
    response = client.post(f"{base}/rubric", data=rubric_form(rows), follow_redirects=True)
    assert "Scoring has started: the rubric can no longer be changed." in flashes(response)
    db.session.expire_all()
    assert (
        db.session.scalar(select(RubricCriterion.label).where(RubricCriterion.key == "motivation"))
        == MOTIVATION_LABEL
    )
    assert 'id="rubric-frozen"' in text_of(client.get(f"{base}/rubric"))
    response = client.post(
        f"{base}/settings",
        data={
            "reviewers_per_application": "3",
            "disagreement_gap": "12.5",
            "shortlist_size": "",
            "seat_offer_days": "5",
        },
    )
    db.session.expire_all()
    assert db.session.scalar(select(SelectionSettings.reviewers_per_application)) == 2

    # Every review in: the disagreement is flagged, the shortlist step opens.
    submit_reviews(applications)
    named = by_last_name(cohort)
    assert all(a.status is A.scored for a in named.values())
    assert [named[n].review_score for n in ("Alaoui", "Bennani", "Chraibi", "Daoudi")] == [
        Decimal("100.00"),
        Decimal("90.00"),
        Decimal("71.76"),
        Decimal("70.00"),
    ]
    page = text_of(client.get(f"{base}/assignments"))
    flagged = re.findall(
        r'<tr data-application="(\d+)">(?:(?!</tr>).)*data-disagreement', page, re.S
    )
    assert flagged == [str(named["Chraibi"].id)]
    assert not re.search(r'id="step-shortlist" disabled', text_of(client.get(base)))

    # Shortlist: 2 × quota = 4, and the tie at the cut-off (Daoudi, Elfassi at 70) kept.
    response = client.post(f"{base}/shortlist")
    assert response.status_code == 302
    named = by_last_name(cohort)
    assert {n for n, a in named.items() if a.status is A.shortlisted} == {
        "Alaoui",
        "Bennani",
        "Chraibi",
        "Daoudi",
        "Elfassi",
    }
    assert named["Fikri"].status is A.rejected
    response = client.post(
        f"{base}/settings",
        data={
            "reviewers_per_application": "2",
            "disagreement_gap": "12.5",
            "shortlist_size": "3",
            "seat_offer_days": "5",
        },
        follow_redirects=True,
    )
    assert "The shortlist is made: its size can no longer be changed." in flashes(response)
    db.session.expire_all()
    assert db.session.scalar(select(SelectionSettings.shortlist_size)) is None

    # Interviews: a past slot is refused; then every shortlisted student gets one (e-mailed).
    page = text_of(client.get(f"{base}/interviews"))
    assert_csp_friendly(page)
    assert len(re.findall(r'<section class="card mb-3" id="interview-', page)) == 5
    day = date.today() + timedelta(days=14)
    alaoui = named["Alaoui"]
    response = client.post(
        f"/selection/applications/{alaoui.id}/interview",
        data={
            f"interview-{alaoui.id}-day": (date.today() - timedelta(days=1)).isoformat(),
            f"interview-{alaoui.id}-time": "10:30",
            f"interview-{alaoui.id}-duration_minutes": "30",
            f"interview-{alaoui.id}-location": "Rabat",
        },
        follow_redirects=True,
    )
    assert "The interview must be in the future." in flashes(response)
    assert db.session.scalar(select(func.count()).select_from(Interview)) == 0
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    for n, last in enumerate(("Alaoui", "Bennani", "Chraibi", "Daoudi", "Elfassi")):
        application = named[last]
        p = f"interview-{application.id}"
        response = client.post(
            f"/selection/applications/{application.id}/interview",
            data={
                f"{p}-day": day.isoformat(),
                f"{p}-time": f"{9 + n:02d}:30",
                f"{p}-duration_minutes": "45",
                f"{p}-location": "https://meet.example.org/mnc" if n else "MNC, Casablanca",
            },
        )
        assert response.status_code == 302, text_of(response)[:500]
    db.session.expire_all()
    interview = db.session.scalar(select(Interview).where(Interview.application_id == alaoui.id))
    expected = datetime.combine(day, time(9, 30), tzinfo=CASABLANCA).astimezone(UTC)
    assert as_utc(interview.starts_at) == expected
    assert (interview.duration_minutes, interview.location) == (45, "MNC, Casablanca")
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[before:]
    assert sorted(m.recipient for m in mails) == sorted(
        f"{first.lower()}@example.org" for first, *_ in ROUND[:5]
    )
    assert "MNC, Casablanca" in mails[0].body_text
    # Scores: out of the interview criterion's maximum (10).
    p = f"score-{alaoui.id}"
    response = client.post(
        f"/selection/applications/{alaoui.id}/interview-score",
        data={f"{p}-score": "11", f"{p}-notes": ""},
        follow_redirects=True,
    )
    assert any("must be between 0 and 10" in m for m in flashes(response))
    assert re.search(r'id="step-decide" disabled', text_of(client.get(base)))
    for first, last, _scores, interview_score in ROUND[:5]:
        application = named[last]
        p = f"score-{application.id}"
        response = client.post(
            f"/selection/applications/{application.id}/interview-score",
            data={f"{p}-score": str(interview_score), f"{p}-notes": f"Notes on {first}"},
        )
        assert response.status_code == 302
    named = by_last_name(cohort)
    assert all(named[n].status is A.interviewed for n in ("Alaoui", "Elfassi"))

    # Decisions: top quota selected, the next ones waitlisted in rank order; hidden until
    # published.
    assert not re.search(r'id="step-decide" disabled', text_of(client.get(base)))
    response = client.post(f"{base}/decide")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ranking")
    named = by_last_name(cohort)
    order = sorted((a for a in named.values() if a.final_rank), key=lambda a: a.final_rank)
    assert [a.last_name for a in order] == ["Alaoui", "Bennani", "Elfassi", "Daoudi", "Chraibi"]
    assert [a.final_score for a in order] == [
        Decimal("88.00"),
        Decimal("82.50"),
        Decimal("68.50"),
        Decimal("68.50"),
        Decimal("68.50"),
    ]
    assert [a.status for a in order] == [
        A.selected,
        A.selected,
        A.waitlisted,
        A.waitlisted,
        A.waitlisted,
    ]
    assert [a.waitlist_rank for a in order] == [None, None, 1, 2, 3]
    assert not db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.subject.ilike("%result%"))
    )
    page = text_of(client.get(f"{base}/ranking"))
    assert 'id="tie-break"' in page and "interview score" in page and "earlier submission" in page
    assert re.findall(r'<tr data-application="(\d+)" data-rank', page) == [str(a.id) for a in order]
    assert "Seats taken: 2 of 2" in page

    # Overrides: a reason is required; the quota holds; a reasoned override is audited.
    bennani, elfassi, fikri = named["Bennani"], named["Elfassi"], named["Fikri"]
    response = client.post(
        f"/selection/applications/{elfassi.id}/override",
        data={f"override-{elfassi.id}-outcome": "selected", f"override-{elfassi.id}-reason": " "},
    )
    assert response.status_code == 400
    assert "An override needs a written reason." in text_of(response)
    response = client.post(
        f"/selection/applications/{fikri.id}/override",
        data={
            f"override-{fikri.id}-outcome": "selected",
            f"override-{fikri.id}-reason": "Exceptional profile",
        },
        follow_redirects=True,
    )
    assert any("The quota is reached" in m for m in flashes(response))
    named = by_last_name(cohort)
    assert (named["Elfassi"].status, named["Fikri"].status) == (A.waitlisted, A.rejected)
    assert not db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "selection.override")
    )
    reason = "Plagiarised motivation letter <b>confirmed</b>"
    response = client.post(
        f"/selection/applications/{bennani.id}/override",
        data={
            f"override-{bennani.id}-outcome": "rejected",
            f"override-{bennani.id}-reason": reason,
        },
    )
    assert response.status_code == 302
    named = by_last_name(cohort)
    assert named["Bennani"].status is A.rejected
    assert named["Bennani"].decision_override_reason == reason
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "selection.override"))
    assert audit.details == {"from": "selected", "to": "rejected", "reason": reason}
    assert audit.actor_id == coordinator.id
    page = text_of(client.get(f"{base}/ranking"))
    assert_csp_friendly(page)
    assert "Plagiarised motivation letter &lt;b&gt;confirmed&lt;/b&gt;" in page
    assert "<b>confirmed</b>" not in page
    assert "Seats taken: 1 of 2" in page

    # Publication: every decided student is e-mailed, once.
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    confirmation = text_of(client.get(f"{base}/publish"))  # a page says what follows
    assert 'id="publish-form"' in confirmation and 'data-count="selected">1<' in confirmation
    response = client.post(f"{base}/publish")  # without the note, nothing is published
    assert response.status_code == 400 and 'id="note-error"' in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    response = client.post(f"{base}/publish", data={"note": "Comité du 12 mars"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(SelectionSettings.published_at)) is not None
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()[before:]
    assert sorted(m.recipient for m in mails) == sorted(
        f"{r[0].lower()}@example.org" for r in ROUND
    )
    response = client.post(f"{base}/publish", follow_redirects=True)
    assert "The decisions are already published." in flashes(response)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before + 6
    assert re.search(r'id="step-publish" disabled', text_of(client.get(base)))

    # The minutes: rubric, ranking names, the override and its reason.
    response = client.get(f"{base}/minutes.pdf")
    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.data.startswith(b"%PDF-")
    text = " ".join(pdf_text(response.data).split())
    for _first, last, *_rest in ROUND:
        assert last in text
    for label in ("Academic record", "French level", "Technical skills", MOTIVATION_LABEL):
        assert label in text
    assert reason in text
    assert "Chair of the selection committee" in text
    assert "page 1 /" in text

    # The ranking as CSV: BOM, rank order, then those left out of the shortlist.
    response = client.get(f"{base}/ranking.csv")
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body[1:])))
    assert table[0][:3] == ["Rank", "Application", "Last name"]
    assert [row[2] for row in table[1:]] == [
        "Alaoui",
        "Bennani",
        "Elfassi",
        "Daoudi",
        "Chraibi",
        "Fikri",
    ]
    assert [row[0] for row in table[1:]] == ["1", "2", "3", "4", "5", ""]
    assert table[1][7] == "88.00" and table[2][11] == reason
    assert table[3][10] == "1"

    # The same as XLSX: numbers as numbers, times as dates.
    from openpyxl import load_workbook

    response = client.get(f"{base}/ranking.xlsx")
    assert response.status_code == 200 and response.content_type == minutes.XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Rank"
    assert [row[2] for row in values[1:]] == [row[2] for row in table[1:]]
    first = values[1]
    assert first[0] == 1 and isinstance(first[0], int)
    assert first[7] == 88 and isinstance(first[7], int | float)
    assert isinstance(first[8], datetime)
    expected_local = as_utc(named["Alaoui"].submitted_at).astimezone(CASABLANCA)
    assert first[8] == expected_local.replace(tzinfo=None, microsecond=0) or abs(
        first[8] - expected_local.replace(tzinfo=None)
    ) < timedelta(seconds=1)
    assert values[2][11] == reason


def test_empty_round_pages_and_exports(client, coordinator):
    cohort = CohortFactory(quota=2)
    base = f"/selection/{cohort.id}"
    for url in ("", "/rubric", "/assignments", "/interviews", "/ranking"):
        response = client.get(base + url)
        assert response.status_code == 200, url
        assert_csp_friendly(text_of(response))
    response = client.get(f"{base}/minutes.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert "Draft: no decision has been made yet." in " ".join(pdf_text(response.data).split())
    table = list(csv.reader(io.StringIO(client.get(f"{base}/ranking.csv").data.decode()[1:])))
    assert len(table) == 1
    for step in ("shortlist", "decide", "publish"):
        response = client.post(f"{base}/{step}", follow_redirects=True)
        assert response.status_code == 200 and flashes(response), step
    assert client.get("/selection/999999").status_code == 404


def test_url_fetcher_refuses_everything_but_data_urls(app):
    html = (
        "<p>x</p><img src='file:///etc/passwd'><img src='http://127.0.0.1:9/x.png'>"
        "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>"
    )
    fetcher = minutes._data_only_fetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.org/"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    assert minutes.render_pdf(html).startswith(b"%PDF-")


def test_exports_neutralise_formulas(client, coordinator):
    cohort = CohortFactory(quota=1)
    student = make_user(Role.student, "=HYPERLINK()", "evil@example.org")
    application = Application(
        cohort_id=cohort.id,
        student_id=student.id,
        status=A.selected,
        first_name="+cmd",
        last_name="=1+1",
        pole_ranking=[],
        eligibility_reasons=[],
        final_rank=1,
        final_score=Decimal("50"),
        review_score=Decimal("50"),
        submitted_at=utcnow(),
    )
    db.session.add(application)
    db.session.commit()
    table = list(
        csv.reader(io.StringIO(client.get(f"/selection/{cohort.id}/ranking.csv").data.decode()[1:]))
    )
    assert table[1][2:4] == ["'=1+1", "'+cmd"]
    from openpyxl import load_workbook

    sheet = load_workbook(
        io.BytesIO(client.get(f"/selection/{cohort.id}/ranking.xlsx").data)
    ).active
    assert sheet.cell(2, 3).value == "'=1+1" and sheet.cell(2, 3).data_type == "s"


@pytest.mark.parametrize("role", ["official", "student", "host"])
def test_other_roles_are_refused(client, role):
    cohort = CohortFactory()
    user = UserFactory(role=Role(role))
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )
    base = f"/selection/{cohort.id}"
    for url in ("", "/ranking", "/minutes.pdf", "/ranking.csv", "/ranking.xlsx", "/rubric"):
        assert client.get(base + url).status_code == 403, url
    for url in ("/assign", "/shortlist", "/decide", "/publish", "/settings", "/rubric"):
        assert client.post(base + url).status_code == 403, url


# --- fixed number of queries -----------------------------------------------------------------


def _decided_round(cohort, count: int, start: int, reviewers: list[User]) -> None:
    """``count`` decided applications with reviews, interviews and an override (direct rows)."""
    criteria = services.rubric_for(cohort)
    for n in range(start, start + count):
        student = make_user(Role.student, f"Student {n}", f"s{n}@example.org")
        application = Application(
            cohort_id=cohort.id,
            student_id=student.id,
            status=A.waitlisted if n % 2 else A.rejected,
            first_name="S",
            last_name=f"Student{n}",
            pole_ranking=[],
            eligibility_reasons=[],
            review_score=Decimal("60"),
            final_score=Decimal("61"),
            final_rank=n,
            waitlist_rank=n if n % 2 else None,
            decision_override_reason="Reason" if n % 3 == 0 else None,
            submitted_at=utcnow(),
        )
        db.session.add(application)
        db.session.flush()
        for reviewer in reviewers:
            assignment = ReviewAssignment(
                application_id=application.id,
                reviewer_id=reviewer.id,
                status=AssignmentStatus.submitted,
                total=Decimal("60"),
                submitted_at=utcnow(),
            )
            assignment.scores = [
                ReviewScore(criterion_id=c.id, score=Decimal(1))
                for c in criteria
                if not c.is_interview
            ]
            db.session.add(assignment)
        db.session.add(
            Interview(
                application_id=application.id,
                starts_at=utcnow() + timedelta(days=1),
                location="Rabat",
                score=Decimal(5),
            )
        )
        if n % 3 == 0:
            db.session.add(
                AuditEvent(
                    action="selection.override",
                    target_type="applications",
                    target_id=application.id,
                    details={"from": "selected", "to": "rejected", "reason": "Reason"},
                )
            )
    db.session.commit()


def test_pages_and_exports_use_a_fixed_number_of_queries(app, client, coordinator):
    cohort = CohortFactory(quota=1)
    reviewers = [coordinator, make_user(Role.coordinator, "Other Reviewer", "other@example.org")]
    db.session.commit()
    base = f"/selection/{cohort.id}"
    urls = [
        base,
        f"{base}/assignments",
        f"{base}/ranking",
        f"{base}/ranking.csv",
        f"{base}/minutes.pdf",
    ]
    _decided_round(cohort, 3, 1, reviewers)
    counts = {}
    for url in urls:
        with count_queries(app) as statements:
            assert client.get(url).status_code == 200
        counts[url] = len(statements)
    _decided_round(cohort, 6, 4, reviewers)
    for url in urls:
        with count_queries(app) as statements:
            assert client.get(url).status_code == 200
        assert len(statements) == counts[url], url
