"""Every role's dashboard starts with its to-do list (issue 14 §1): each item's count matches the
data, and its link lands on the list page filtered to exactly those rows; zero counts are left
out; counts are worded with ngettext; the number of queries does not grow with the data. Also
the follow-up board's flag for an internship over without a confirmed return."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count

import pytest
from sqlalchemy import select

from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements.models import (
    Agreement,
    AgreementDocument,
    DocumentKind,
    Party,
    PrefectureDecision,
    Signature,
    SignatureMethod,
)
from mnc_exchange.applications.models import (
    Application,
    ApplicationStatus,
    Document,
    DocumentStatus,
)
from mnc_exchange.applications.reference import DocumentKind as FileKind
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.followup import services as followup_services
from mnc_exchange.followup.models import (
    CheckIn,
    EmploymentSurvey,
    EvaluationKind,
    Incident,
    IncidentCategory,
    IncidentStatus,
    Internship,
    Severity,
    TutorEvaluation,
)
from mnc_exchange.followup.schedule import checkin_months
from mnc_exchange.placements import services as placement_services
from mnc_exchange.placements.models import (
    CompanyRanking,
    MatchingSettings,
    Placement,
    PlacementStatus,
    StudentPreference,
)
from mnc_exchange.selection.models import (
    AssignmentStatus,
    Interview,
    ReviewAssignment,
    SeatOffer,
    SeatOfferStatus,
)
from tests.conftest import count_queries
from tests.factories import (
    PASSWORD,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    UserFactory,
    make_selected,
)

A = ApplicationStatus
TODAY = date.today()
_seq = count(1)


# --- reading the pages ------------------------------------------------------------------------

ITEM = re.compile(
    r'<li class="list-group-item px-0" data-todo="(?P<key>[^"]+)" data-count="(?P<count>\d+)"'
    r'(?: data-cohort="(?P<cohort>\d+)")?[^>]*>.*?'
    r'<a class="fw-semibold me-1" href="(?P<url>[^"]+)"(?: id="[^"]+")?>(?P<text>[^<]*)</a>'
    r"(?P<rest>.*?)</li>",
    re.S,
)


@dataclass
class Item:
    key: str
    count: int
    cohort: int | None
    url: str
    text: str
    detail: str


def todo_items(client) -> list[Item]:
    response = client.get("/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="todo"' in page
    return [
        Item(
            m["key"],
            int(m["count"]),
            int(m["cohort"]) if m["cohort"] else None,
            html_lib.unescape(m["url"]),
            html_lib.unescape(m["text"]),
            html_lib.unescape(re.sub(r"<[^>]+>", " ", m["rest"])).strip(),
        )
        for m in ITEM.finditer(page)
    ]


def item(items: list[Item], key: str, cohort=None) -> Item:
    found = [i for i in items if i.key == key and (cohort is None or i.cohort == cohort.id)]
    assert len(found) == 1, (key, items)
    return found[0]


def keys(items: list[Item]) -> set[str]:
    return {i.key for i in items}


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def section(page: str, start: str, end: str = "</table>") -> str:
    """The part of ``page`` from ``start`` to the next ``end``."""
    begin = page.index(start)
    return page[begin : page.index(end, begin)]


def ids(fragment: str, attribute: str) -> set[int]:
    """The numbers of ``attribute="<n>"`` (or of ``id="prefix-<n>"`` for ``'id="prefix-'``)."""
    pattern = rf'{attribute}(\d+)"' if attribute.endswith("-") else rf'{attribute}="(\d+)"'
    return {int(v) for v in re.findall(pattern, fragment)}


def login(client, user) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


# --- building the data ------------------------------------------------------------------------


def application(cohort, status=A.submitted, documents=(), **fields) -> Application:
    """An application of a new student in ``status`` with current documents in ``documents``
    statuses (no file on disk: the lists do not open them)."""
    student = UserFactory(role=Role.student)
    n = next(_seq)
    row = Application(
        cohort_id=cohort.id,
        student_id=student.id,
        status=status,
        first_name=f"Prénom{n}",
        last_name=f"Nom{n}",
        pole_ranking=[],
        eligibility_reasons=[],
        submitted_at=utcnow() if status is not A.draft else None,
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    for document_status in documents:
        db.session.add(
            Document(
                application_id=row.id,
                kind=FileKind.cv,
                original_name="cv.pdf",
                stored_name=f"applications/test-{next(_seq)}.pdf",
                content_type="application/pdf",
                size=100,
                sha256="0" * 64,
                status=document_status,
            )
        )
    db.session.commit()
    return row


def placement(cohort, company=None, status=PlacementStatus.confirmed, offer=None) -> Placement:
    offer = offer or OfferFactory(cohort=cohort, company=company or CompanyFactory())
    (selected,) = make_selected(cohort, 1, start_rank=next(_seq))
    row = Placement(
        cohort_id=cohort.id, application_id=selected.id, offer_id=offer.id, status=status
    )
    db.session.add(row)
    db.session.commit()
    return row


def agreement(
    place: Placement,
    signed=(),
    prefecture_required: bool = False,
    submitted_on: date | None = None,
    decision: PrefectureDecision = PrefectureDecision.pending,
    start_on: date | None = None,
) -> Agreement:
    """An agreement (version 1 in force) signed by the ``signed`` parties."""
    n = next(_seq)
    offer = place.offer
    row = Agreement(
        cohort_id=place.cohort_id,
        placement_id=place.id,
        sequence=n,
        number=f"MNC-T-{n:04d}",
        start_on=start_on or offer.start_on,
        end_on=(start_on + timedelta(days=150)) if start_on else offer.end_on,
        weekly_hours=35,
        daily_hours=7,
        monthly_stipend=700,
        work_address="10 rue de la Paix, 75002 Paris",
        work_city="Paris",
        referent_name="Pr. Référent",
        referent_email="referent@example.ma",
        prefecture_required=prefecture_required,
        prefecture_submitted_on=submitted_on,
        prefecture_decision=decision,
    )
    db.session.add(row)
    db.session.flush()
    document = AgreementDocument(
        agreement_id=row.id,
        kind=DocumentKind.agreement,
        version=1,
        reference=row.number,
        snapshot={},
        stored_name=f"agreements/test-{n}.pdf",
        sha256="0" * 64,
        size=100,
        verification_code=f"TESTCODE{n:012d}",
    )
    db.session.add(document)
    db.session.flush()
    for party in signed:
        db.session.add(
            Signature(
                document_id=document.id,
                party=party,
                method=SignatureMethod.paper,
                signer_name="Signataire",
            )
        )
    db.session.commit()
    return row


ALL_PARTIES = tuple(Party)


def internship(cohort, start: date, end: date, company=None) -> Internship:
    """A confirmed placement through the real flow (preferences, preview run, commit, the
    company's confirmation): its Internship, with its checklist."""
    company = company or CompanyFactory()
    host = UserFactory(role=Role.host, company_id=company.id)
    coordinator = UserFactory(role=Role.coordinator)
    offer = OfferFactory(cohort=cohort, company=company, start_on=start, end_on=end)
    (selected,) = make_selected(cohort, 1, start_rank=next(_seq))
    placement_services.set_preferences(selected, [offer.id], selected.student)
    db.session.commit()
    run = placement_services.run_preview(cohort, coordinator)
    (proposed,) = placement_services.commit_run(run, coordinator)
    db.session.commit()
    placement_services.confirm(proposed, host)
    db.session.commit()
    return db.session.scalar(select(Internship).where(Internship.placement_id == proposed.id))


def all_steps_done(row: Internship, on: date) -> None:
    for step in row.steps:
        step.done_on = on
    row.departed_on = on
    row.arrived_on = on
    db.session.commit()


def all_checkins(row: Internship, start: date, end: date) -> None:
    for month in checkin_months(start, end):
        db.session.add(CheckIn(internship_id=row.id, month=month, wellbeing=4, workload=3))
    db.session.commit()


def incident(row: Internship, reporter, status=IncidentStatus.open) -> Incident:
    found = Incident(
        internship_id=row.id,
        reported_by_id=reporter.id,
        category=IncidentCategory.housing,
        severity=Severity.medium,
        status=status,
        occurred_on=TODAY - timedelta(days=3),
        summary="Logement",
        description="Problème de logement.",
    )
    db.session.add(found)
    db.session.commit()
    return found


@pytest.fixture
def coordinator(auth):
    return auth.as_role("coordinator", locale="en")


# --- coordinators ------------------------------------------------------------------------------


def test_screening_items_count_the_files_and_link_to_the_filtered_list(client, coordinator):
    cohort = CohortFactory(state=CohortState.open, is_current=True)
    pending, accepted = DocumentStatus.pending, DocumentStatus.accepted
    submitted = [
        application(cohort, A.submitted, (pending, accepted)),
        application(cohort, A.submitted, (pending,)),
        application(cohort, A.submitted, (accepted,)),
        application(cohort, A.submitted),
    ]
    eligible_pending = application(cohort, A.eligible, (pending,))
    application(cohort, A.draft, (pending,))  # still the student's: not checked yet
    application(cohort, A.returned, (pending,))  # comes back with its corrections
    application(cohort, A.withdrawn, (pending,))
    archived = CohortFactory(state=CohortState.archived)
    application(archived, A.submitted, (pending,))  # an archived cohort is left out

    items = todo_items(client)
    screen = item(items, "files-to-screen")
    assert (screen.count, screen.cohort, screen.text) == (4, cohort.id, "4 applications to screen")
    listed = ids(page_of(client, screen.url), "data-application")
    assert listed == {a.id for a in submitted}

    documents = item(items, "documents-to-check")
    assert documents.count == 3
    assert documents.text == "3 applications with documents to check"
    listed = ids(page_of(client, documents.url), "data-application")
    assert listed == {submitted[0].id, submitted[1].id, eligible_pending.id}
    assert all(i.cohort == cohort.id for i in items)


def test_reviews_and_interviews_to_score(client, coordinator):
    cohort = CohortFactory(state=CohortState.selection, is_current=True)
    other = UserFactory(role=Role.coordinator)
    mine = []
    for status in (
        AssignmentStatus.assigned,
        AssignmentStatus.assigned,
        AssignmentStatus.submitted,
    ):
        row = ReviewAssignment(
            application_id=application(cohort, A.eligible).id,
            reviewer_id=coordinator.id,
            status=status,
        )
        db.session.add(row)
        mine.append(row)
    db.session.add(
        ReviewAssignment(
            application_id=application(cohort, A.eligible).id,
            reviewer_id=other.id,
            status=AssignmentStatus.assigned,
        )
    )
    now = utcnow()
    held = []
    for n, (status, starts, score) in enumerate(
        (
            (A.shortlisted, now - timedelta(days=2), None),  # held, to score
            (A.shortlisted, now - timedelta(hours=1), None),  # held, to score
            (A.shortlisted, now + timedelta(days=3), None),  # not held yet
            (A.interviewed, now - timedelta(days=5), 14),  # scored
        )
    ):
        shortlisted = application(cohort, status)
        db.session.add(
            Interview(
                application_id=shortlisted.id,
                starts_at=starts,
                location=f"Salle {n}",
                score=score,
            )
        )
        if score is None and starts < now:
            held.append(shortlisted)
    application(cohort, A.shortlisted)  # no interview yet
    db.session.commit()

    items = todo_items(client)
    reviews = item(items, "reviews-to-do")
    assert (reviews.count, reviews.cohort, reviews.text) == (
        2,
        None,
        "2 reviews assigned to you, not submitted yet",
    )
    page = page_of(client, reviews.url)
    assert ids(section(page, 'id="todo"'), "data-assignment") == {mine[0].id, mine[1].id}

    interviews = item(items, "interviews-to-score", cohort)
    assert (interviews.count, interviews.text) == (2, "2 interviews held, to score")
    page = page_of(client, interviews.url)
    assert ids(page, "data-application") == {a.id for a in held}


def test_companies_offers_placements_and_agreements_to_issue(client, coordinator):
    from mnc_exchange.hosts.models import CompanyStatus

    pending = [
        CompanyFactory(status=CompanyStatus.pending, approved_at=None),
        CompanyFactory(status=CompanyStatus.pending),  # a new identity waiting for approval
    ]
    CompanyFactory()  # approved
    open_cohort = CohortFactory(state=CohortState.open, is_current=True)
    matching = CohortFactory(state=CohortState.matching)
    submitted = [OfferFactory(cohort=open_cohort, status="submitted") for _ in range(2)]
    OfferFactory(cohort=open_cohort, status="published")
    lone = OfferFactory(cohort=matching, status="submitted")
    proposed = [placement(matching, status=PlacementStatus.proposed) for _ in range(2)]
    confirmed = placement(matching, status=PlacementStatus.confirmed)
    with_agreement = placement(matching, status=PlacementStatus.confirmed)
    agreement(with_agreement, signed=ALL_PARTIES)
    placement(matching, status=PlacementStatus.declined)

    items = todo_items(client)
    companies = item(items, "companies-to-approve")
    assert (companies.count, companies.text) == (2, "2 companies wait for approval.")
    assert ids(page_of(client, companies.url), 'id="company-') == {c.id for c in pending}

    offers = item(items, "offers-to-approve", open_cohort)
    assert (offers.count, offers.text) == (2, "2 offers to approve")
    assert ids(page_of(client, offers.url), "data-offer") == {o.id for o in submitted}
    single = item(items, "offers-to-approve", matching)
    assert (single.count, single.text) == (1, "1 offer to approve")
    assert ids(page_of(client, single.url), "data-offer") == {lone.id}

    waiting = item(items, "placements-awaiting-company", matching)
    assert (waiting.count, waiting.text) == (2, "2 placements awaiting the companies' answers")
    page = page_of(client, waiting.url)
    assert ids(section(page, 'id="placements"'), "data-placement") == {p.id for p in proposed}

    to_issue = item(items, "agreements-to-issue", matching)
    assert (to_issue.count, to_issue.text) == (1, "1 confirmed placement without an agreement")
    page = page_of(client, to_issue.url)
    assert ids(section(page, 'id="waiting"'), "data-placement") == {confirmed.id}


def test_agreements_awaiting_signatures_or_the_prefecture(client, coordinator):
    cohort = CohortFactory(state=CohortState.placed, is_current=True)
    company = CompanyFactory()
    start = TODAY + timedelta(days=120)

    def make(**kwargs):
        return agreement(placement(cohort, company), **kwargs)

    make(signed=ALL_PARTIES)  # nothing waits
    unsigned = make(signed=(Party.student, Party.programme))
    to_submit = make(signed=ALL_PARTIES, prefecture_required=True, start_on=start)
    both = make(
        signed=(Party.student,),
        prefecture_required=True,
        submitted_on=TODAY - timedelta(days=5),
        start_on=start,
    )
    make(
        signed=ALL_PARTIES,
        prefecture_required=True,
        submitted_on=TODAY - timedelta(days=20),
        decision=PrefectureDecision.stamped,
        start_on=start,
    )
    make(  # no answer within 30 days: refused, nothing more to wait for
        signed=ALL_PARTIES,
        prefecture_required=True,
        submitted_on=TODAY - timedelta(days=40),
        start_on=start,
    )

    items = todo_items(client)
    signatures = item(items, "agreements-awaiting-signatures", cohort)
    assert (signatures.count, signatures.text) == (2, "2 agreements awaiting signatures")
    page = page_of(client, signatures.url)
    assert ids(section(page, 'id="agreements"'), "data-agreement") == {unsigned.id, both.id}
    assert 'id="waiting-section"' not in page  # the filtered list shows only those

    prefecture = item(items, "agreements-awaiting-prefecture", cohort)
    assert (prefecture.count, prefecture.text) == (2, "2 agreements awaiting the préfecture")
    page = page_of(client, prefecture.url)
    assert ids(section(page, 'id="agreements"'), "data-agreement") == {to_submit.id, both.id}
    assert "agreements-to-issue" not in keys(items)


def test_followup_items_and_the_board_flag(client, coordinator):
    cohort = CohortFactory(state=CohortState.abroad, is_current=True)
    reporter = UserFactory(role=Role.coordinator)

    # Starting in 20 days: the visa appointment (42 days before) is overdue.
    starting = internship(cohort, TODAY + timedelta(days=20), TODAY + timedelta(days=170))
    # Arrived 100 days ago, checklist done, no check-in sent.
    start = TODAY - timedelta(days=100)
    silent = internship(cohort, start, TODAY + timedelta(days=60))
    all_steps_done(silent, start)
    # Over 30 days ago, checklist and check-ins done, return not confirmed.
    start, end = TODAY - timedelta(days=200), TODAY - timedelta(days=30)
    over = internship(cohort, start, end)
    all_steps_done(over, start)
    all_checkins(over, start, end)
    # Back in Morocco: the 3-month survey is due.
    start, end = TODAY - timedelta(days=300), TODAY - timedelta(days=120)
    back = internship(cohort, start, end)
    all_steps_done(back, start)
    all_checkins(back, start, end)
    followup_services.confirm_return(back, end + timedelta(days=2), reporter)
    db.session.commit()
    assert (
        db.session.scalar(
            select(EmploymentSurvey).where(
                EmploymentSurvey.internship_id == back.id, EmploymentSurvey.wave == 3
            )
        ).due_on
        < TODAY
    )
    incidents = [
        incident(starting, reporter),
        incident(over, reporter, IncidentStatus.in_progress),
    ]
    incident(back, reporter, IncidentStatus.closed)

    items = todo_items(client)
    assert all(i.cohort == cohort.id for i in items)
    expected = {
        "overdue-steps": ({starting.id}, "1 intern with overdue checklist steps"),
        "missing-checkins": ({silent.id}, "1 intern with missing monthly check-ins"),
        "returns-to-confirm": ({over.id}, "1 internship over without a confirmed return"),
        "surveys-due": ({back.id}, "1 alumnus with an employment survey overdue"),
    }
    for key, (rows, text) in expected.items():
        found = item(items, key, cohort)
        assert (found.count, found.text) == (len(rows), text), key
        page = page_of(client, found.url)
        table = 'id="returns"' if "/returns" in found.url else 'id="board"'
        assert ids(section(page, table), "data-internship") == rows, key

    opened = item(items, "open-incidents", cohort)
    assert (opened.count, opened.text) == (2, "2 open incidents")
    page = page_of(client, opened.url)
    assert ids(page, "data-incident") == {i.id for i in incidents}

    # The board flags the internship over without a confirmed return (no longer green).
    board = page_of(client, f"/followup?cohort={cohort.id}")
    row = re.search(rf'<tr data-internship="{over.id}" data-rating="(\w+)".*?</tr>', board, re.S)
    assert row and row.group(1) == "red" and "data-return-overdue" in row.group(0)
    assert "Over since" in row.group(0) and "return not confirmed" in row.group(0)
    assert 'data-count="return-overdue"' in board
    other = re.search(rf'<tr data-internship="{silent.id}".*?</tr>', board, re.S).group(0)
    assert "data-return-overdue" not in other

    # Once the return is confirmed, the item and the flag are gone.
    followup_services.confirm_return(over, TODAY - timedelta(days=1), reporter)
    db.session.commit()
    assert "returns-to-confirm" not in keys(todo_items(client))
    board = page_of(client, f"/followup?cohort={cohort.id}&flag=return")
    assert "data-internship=" not in board


def test_nothing_to_do_shows_done_never_zeros(client, coordinator):
    cohort = CohortFactory(state=CohortState.open, is_current=True)
    application(cohort, A.eligible)
    page = page_of(client, "/dashboard")
    assert 'id="todo-done"' in page and "Nothing waits for you right now." in page
    assert "data-todo=" not in page
    assert not re.search(r"\b0 (application|offer|intern|agreement)", page)


def test_counts_are_worded_in_french_with_plurals(client, auth):
    auth.as_role("coordinator", locale="fr")
    one = CohortFactory(state=CohortState.open, is_current=True)
    application(one, A.submitted)
    other = CohortFactory(state=CohortState.closed)
    for _ in range(3):
        application(other, A.submitted)
    items = todo_items(client)
    assert item(items, "files-to-screen", one).text == "1 dossier à examiner"
    assert item(items, "files-to-screen", other).text == "3 dossiers à examiner"
    # Newest cohort first.
    assert [i.cohort for i in items if i.key == "files-to-screen"] == [other.id, one.id]


def test_admins_see_what_they_may_do(client, auth):
    auth.as_role("admin", locale="en")
    cohort = CohortFactory(state=CohortState.selection, is_current=True)
    application(cohort, A.submitted)
    items = todo_items(client)  # admins do not review files: no review item
    assert keys(items) == {"files-to-screen"}


def _world(n: int, reporter) -> None:
    """``n`` of everything the coordinators' list counts."""
    cohort = CohortFactory(state=CohortState.abroad)
    company = CompanyFactory()
    for _ in range(n):
        application(cohort, A.submitted, (DocumentStatus.pending,))
        OfferFactory(cohort=cohort, company=company, status="submitted")
        placement(cohort, company, status=PlacementStatus.proposed)
        placement(cohort, company)
        agreement(placement(cohort, company), signed=(Party.student,))
        start = TODAY - timedelta(days=200)
        over = internship(cohort, start, TODAY - timedelta(days=10), company=company)
        incident(over, reporter)
        internship(cohort, TODAY + timedelta(days=20), TODAY + timedelta(days=100))


def test_the_coordinators_list_takes_a_fixed_number_of_queries(app, client, coordinator):
    reporter = UserFactory(role=Role.coordinator)
    _world(1, reporter)
    with count_queries(app) as few:
        small = todo_items(client)
    _world(3, reporter)
    with count_queries(app) as many:
        large = todo_items(client)
    assert len(large) == 2 * len(small)  # a second cohort, the same items
    assert sum(i.count for i in large) == 4 * sum(i.count for i in small)
    assert len(many) == len(few)


# --- students, interns, alumni ----------------------------------------------------------------


@pytest.fixture
def student(client):
    user = UserFactory(role=Role.student, locale="en")
    login(client, user)
    return user


def test_student_is_asked_to_apply_then_to_submit(client, student):
    cohort = CohortFactory(
        state=CohortState.open, is_current=True, applications_close_on=TODAY + timedelta(days=30)
    )
    items = todo_items(client)
    apply = item(items, "apply")
    assert apply.text == f"Apply to the {cohort.title} call" and apply.url == "/application/"
    assert apply.detail.startswith("Before ") and str((TODAY + timedelta(days=30)).year) in (
        apply.detail
    )
    draft = application(cohort, A.draft)
    draft.student_id = student.id
    db.session.commit()
    assert [i.key for i in todo_items(client)] == ["submit-application"]


def test_student_corrects_a_returned_file_and_its_rejected_documents(client, student):
    cohort = CohortFactory(state=CohortState.open, is_current=True)
    rejected, accepted = DocumentStatus.rejected, DocumentStatus.accepted
    returned = application(cohort, A.returned, (rejected, rejected, accepted))
    returned.student_id = student.id
    db.session.commit()
    items = todo_items(client)
    assert [i.key for i in items] == ["correct-application", "documents-to-correct"]
    documents = item(items, "documents-to-correct")
    assert (documents.count, documents.text) == (2, "2 documents to replace")
    assert documents.url.startswith("/application/")


def test_student_is_told_of_a_seat_offer_and_an_interview(client, student):
    from mnc_exchange.selection.models import SelectionSettings

    cohort = CohortFactory(state=CohortState.selection, is_current=True)
    waitlisted = application(cohort, A.waitlisted)
    waitlisted.student_id = student.id
    db.session.add(SelectionSettings(cohort_id=cohort.id, published_at=utcnow()))
    deadline = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    db.session.add(
        SeatOffer(application_id=waitlisted.id, deadline_at=deadline, status=SeatOfferStatus.open)
    )
    db.session.commit()
    offer = item(todo_items(client), "seat-offer")
    assert offer.url == "/application/selection/"
    assert "(Casablanca time)" in offer.detail

    waitlisted.status = A.shortlisted
    db.session.query(SeatOffer).delete()
    db.session.add(
        Interview(
            application_id=waitlisted.id,
            starts_at=utcnow() + timedelta(days=4),
            location="Salle 2",
        )
    )
    db.session.commit()
    interview = item(todo_items(client), "interview")
    assert "(Casablanca time)" in interview.detail


def test_selected_student_ranks_the_offers_before_the_deadline(client, student):
    from zoneinfo import ZoneInfo

    cohort = CohortFactory(state=CohortState.matching, is_current=True)
    (selected,) = make_selected(cohort, 1, start_rank=next(_seq))
    selected.student_id = student.id
    offer = OfferFactory(cohort=cohort)
    deadline = (utcnow() + timedelta(days=5)).replace(hour=22, minute=59, second=0, microsecond=0)
    db.session.add(MatchingSettings(cohort_id=cohort.id, preferences_deadline_at=deadline))
    db.session.commit()
    rank = item(todo_items(client), "rank-offers")
    assert rank.url == "/my/offers"
    local = deadline.astimezone(ZoneInfo("Africa/Casablanca"))
    assert local.strftime("%H:%M") in rank.detail and "(Casablanca time)" in rank.detail
    placement_services.set_preferences(selected, [offer.id], student)
    db.session.commit()
    assert "rank-offers" not in keys(todo_items(client))


def test_student_signs_and_an_alumnus_is_not_asked_to_apply(client, student):
    past = CohortFactory(state=CohortState.abroad)
    CohortFactory(state=CohortState.open, is_current=True)
    start = TODAY - timedelta(days=40)
    row = internship(past, start, TODAY + timedelta(days=100))
    row.placement.application.student_id = student.id
    db.session.commit()
    agreement(row.placement, signed=(Party.host,))
    items = todo_items(client)
    assert "apply" not in keys(items)
    sign = item(items, "sign")
    assert (sign.count, sign.text, sign.url) == (
        1,
        "1 agreement document to sign",
        "/agreements/mine",
    )
    assert {"checklist-step", "checkin"} <= keys(items)
    step = item(items, "checklist-step")
    assert step.text.startswith("Next step: ") and step.url == "/my/internship#checklist-title"


# --- host companies -----------------------------------------------------------------------------


def test_host_todo_items(client):
    cohort = CohortFactory(state=CohortState.matching, is_current=True)
    company = CompanyFactory()
    host = UserFactory(role=Role.host, company_id=company.id, locale="en")
    offer = OfferFactory(cohort=cohort, company=company)
    OfferFactory(cohort=cohort, company=company)  # nobody ranked it
    ranked = make_selected(cohort, 3, start_rank=next(_seq) * 10)
    for candidate in ranked:
        db.session.add(StudentPreference(application_id=candidate.id, offer_id=offer.id, rank=1))
    db.session.add(
        CompanyRanking(offer_id=offer.id, application_id=ranked[0].id, rank=1, acceptable=True)
    )
    deadline = utcnow() + timedelta(days=6)
    db.session.add(MatchingSettings(cohort_id=cohort.id, company_deadline_at=deadline))
    other_offer = OfferFactory(cohort=cohort)  # another company's
    db.session.add(StudentPreference(application_id=ranked[1].id, offer_id=other_offer.id, rank=2))
    db.session.commit()
    proposed = [placement(cohort, company, PlacementStatus.proposed) for _ in range(2)]
    placement(cohort, status=PlacementStatus.proposed)  # another company's
    unsigned = agreement(placement(cohort, company), signed=(Party.student,))
    agreement(placement(cohort, company), signed=(Party.host,))
    abroad = CohortFactory(state=CohortState.abroad)
    started = internship(abroad, TODAY - timedelta(days=30), TODAY + timedelta(days=100), company)
    now = utcnow()
    awaited = TutorEvaluation(
        internship_id=started.id,
        kind=EvaluationKind.midterm,
        tutor_name="Tuteur",
        tutor_email="tuteur@example.fr",
        token_hash="a" * 64,
        sent_at=now - timedelta(days=2),
        expires_at=now + timedelta(days=28),
    )
    db.session.add(awaited)
    db.session.add(
        TutorEvaluation(  # expired
            internship_id=started.id,
            kind=EvaluationKind.final,
            tutor_name="Tuteur",
            tutor_email="tuteur@example.fr",
            token_hash="b" * 64,
            sent_at=now - timedelta(days=40),
            expires_at=now - timedelta(days=10),
        )
    )
    db.session.commit()
    open_incident = incident(started, host)
    incident(started, host, IncidentStatus.closed)
    incident(started, started.placement.application.student)  # the intern's: not shown to hosts
    login(client, host)

    items = todo_items(client)
    rank = item(items, f"candidates-to-rank-{offer.id}")
    assert (rank.count, rank.text) == (2, f"2 candidates to rank for “{offer.title}”")
    assert "(Paris time)" in rank.detail
    page = page_of(client, rank.url)
    assert {int(i) for i in re.findall(r'data-application="(\d+)" data-to-rank', page)} == {
        ranked[1].id,
        ranked[2].id,
    }

    confirm = item(items, "placements-to-confirm")
    assert (confirm.count, confirm.text) == (2, "2 placements to confirm or decline")
    page = page_of(client, confirm.url)
    assert {int(i) for i in re.findall(r'data-placement="(\d+)" data-status="proposed"', page)} == {
        p.id for p in proposed
    }

    sign = item(items, "agreements-to-sign")
    assert (sign.count, sign.text) == (1, "1 agreement waits for your signature.")
    assert ids(page_of(client, sign.url), "data-agreement") == {unsigned.id}

    evaluations = item(items, "evaluations-awaited")
    assert (evaluations.count, evaluations.text) == (1, "1 tutor evaluation awaited")
    page = page_of(client, evaluations.url)
    assert ids(page, "data-evaluation-awaited") == {awaited.id}
    assert ids(page, "data-internship") == {started.id}

    incidents = item(items, "interns-incidents")
    assert (incidents.count, incidents.text) == (1, "1 incident about your interns not closed yet")
    page = page_of(client, incidents.url)
    assert ids(section(page, 'id="company-incidents"', "</section>"), 'id="incident-') == {
        open_incident.id
    }


def test_pending_host_has_no_todo(client):
    company = CompanyFactory(status="pending", approved_at=None)
    host = UserFactory(role=Role.host, company_id=company.id, approved_at=None, locale="en")
    login(client, host)
    page = page_of(client, "/dashboard")
    assert 'id="todo"' not in page and 'id="pending-notice"' in page


# --- officials ----------------------------------------------------------------------------------


def test_official_sees_the_current_and_previous_cohorts_key_figures(client, auth):
    from mnc_exchange.reports.data import load_records
    from mnc_exchange.reports.metrics import funnel

    auth.as_role("official", locale="en")
    previous = CohortFactory(year=2040, state=CohortState.abroad)
    current = CohortFactory(year=2041, state=CohortState.open, is_current=True)
    old = CohortFactory(year=2039, state=CohortState.archived)  # older: not shown
    for _ in range(3):
        application(current, A.submitted)
    application(current, A.eligible)
    placement(previous)
    placement(previous)
    page = page_of(client, "/dashboard")
    for cohort in (current, previous):
        block = section(page, f'data-cohort="{cohort.id}"', "</section>")
        counts = funnel(load_records(cohort, TODAY))
        for key in ("applied", "eligible", "selected", "placed"):
            match = re.search(
                rf'<tr data-stage="{key}">.*?href="([^"]+)" data-count="(\d+)"', block, re.S
            )
            assert match and int(match.group(2)) == counts[key], (cohort.year, key)
            assert html_lib.unescape(match.group(1)) == (
                f"/reports/{cohort.year}/students?stage={key}"
            )
        assert f'href="/reports?year={cohort.year}"' in block
    assert f'data-cohort="{old.id}"' not in page


def test_an_internship_over_asks_for_the_return_not_the_checklist(client, student):
    past = CohortFactory(state=CohortState.abroad)
    CohortFactory(state=CohortState.open, is_current=True)
    row = internship(past, TODAY - timedelta(days=150), TODAY - timedelta(days=10))
    row.placement.application.student_id = student.id
    db.session.commit()
    items = todo_items(client)
    assert "confirm-return" in keys(items) and "checklist-step" not in keys(items)
    assert item(items, "confirm-return").url == "/my/internship#return-title"
    page = page_of(client, "/dashboard")
    assert 'id="my-application-card"' not in page  # the new call is not for the alumnus
