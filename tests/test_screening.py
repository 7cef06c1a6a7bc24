"""The coordinators' side of applications: list, filters, search, sort, counts, CSV export,
detail page, returns, document reviews, eligibility screening and decisions, access."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.applications import views_staff
from mnc_exchange.applications.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    Document,
    DocumentStatus,
    EligibilityRules,
    Institution,
    MessageKind,
)
from mnc_exchange.applications.reference import DocumentKind, Gender
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from tests.conftest import count_queries
from tests.factories import CohortFactory

A = ApplicationStatus
_seq = count(1)

MOTIVATION = "Je souhaite découvrir l'écosystème numérique français. " * 8


# --- local factories -------------------------------------------------------------------------


def make_student(full_name: str | None = None, email: str | None = None) -> User:
    """A student account without a real password (fast; these students never log in)."""
    n = next(_seq)
    user = User(
        email=email or f"student{n}@example.org",
        full_name=full_name or f"Student {n}",
        role=Role.student,
        locale="en",
        active=True,
        approved_at=utcnow(),
        password_hash="!",
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_institution(name: str | None = None, city: str = "Rabat") -> Institution:
    n = next(_seq)
    institution = Institution(
        name=name or f"École {n}",
        city=city,
        legal_representative="Directeur",
        address="1 avenue Mohammed V",
    )
    db.session.add(institution)
    db.session.flush()
    return institution


def make_cohort(**attrs):
    attrs.setdefault("state", CohortState.open)
    attrs.setdefault("is_current", True)
    return CohortFactory(**attrs)


def make_application(cohort, student: User | None = None, commit: bool = True, **fields):
    """A complete submitted application that passes the default rules, unless told otherwise."""
    n = next(_seq)
    values = {
        "status": A.submitted,
        "first_name": f"Prénom{n}",
        "last_name": f"Nom{n}",
        "birth_date": date(2002, 5, 17),
        "gender": Gender.female,
        "cin": f"AB{n:06d}",
        "phone": "+212600000000",
        "region": "rabat-sale-kenitra",
        "passport_number": f"P{n:07d}",
        "passport_expiry": date(cohort.year + 2, 6, 30),
        "programme": "Génie logiciel",
        "year_of_study": 4,
        "grade_average": Decimal("14.50"),
        "french_level": "B2",
        "english_level": "B1",
        "pole_ranking": ["software", "mobile", "security", "multimedia"],
        "motivation": MOTIVATION,
        "return_commitment_at": utcnow(),
        "consent_at": utcnow(),
        "submitted_at": utcnow(),
        "eligibility_reasons": [],
    }
    if "institution" not in fields and "institution_id" not in fields:
        values["institution"] = make_institution()
    values.update(fields)
    application = Application(cohort_id=cohort.id, student=student or make_student(), **values)
    db.session.add(application)
    if commit:
        db.session.commit()
    return application


def add_document(application, kind=DocumentKind.cv, **fields) -> Document:
    n = next(_seq)
    values = {
        "version": 1,
        "is_current": True,
        "original_name": f"{kind.value}-{n}.pdf",
        "stored_name": f"applications/{application.id}/{n:032x}.pdf",
        "content_type": "application/pdf",
        "size": 12345,
        "sha256": f"{n:064x}",
    } | fields
    document = Document(application_id=application.id, kind=kind, **values)
    db.session.add(document)
    db.session.commit()
    return document


def add_all_documents(application) -> dict[DocumentKind, Document]:
    kinds = [k for k in DocumentKind if k is not DocumentKind.recommendation_letter]
    return {kind: add_document(application, kind) for kind in kinds}


@pytest.fixture
def coordinator(auth):
    return auth.as_role("coordinator", locale="en")


def listed_ids(client, **args) -> list[int]:
    response = client.get("/screening/", query_string=args)
    assert response.status_code == 200, response.data[:300]
    return [
        int(i) for i in re.findall(r'data-application="(\d+)"', response.get_data(as_text=True))
    ]


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --- the list --------------------------------------------------------------------------------


def test_list_shows_current_cohort_by_default_with_a_selector(client, coordinator):
    old = make_cohort(is_current=False, state=CohortState.closed)
    current = make_cohort()
    a_old = make_application(old)
    a_current = make_application(current)
    assert listed_ids(client) == [a_current.id]
    assert listed_ids(client, cohort=old.id) == [a_old.id]
    page = client.get("/screening/").get_data(as_text=True)
    assert f'<option value="{old.id}" ' in page and current.title in page
    assert client.get("/screening/?cohort=999999").status_code == 404


def test_list_without_any_cohort(client, coordinator):
    response = client.get("/screening/")
    assert response.status_code == 200
    assert "No cohort yet." in response.get_data(as_text=True)


def test_list_shows_what_the_rows_need(client, coordinator):
    cohort = make_cohort()
    institution = make_institution("Université Mohammed V")
    application = make_application(
        cohort, institution=institution, first_name="Salma", last_name="Bennani"
    )
    unnamed = make_application(
        cohort, student=make_student("Karim Alaoui"), first_name=None, last_name=None
    )
    page = client.get("/screening/").get_data(as_text=True)
    assert "Salma Bennani" in page and "Université Mohammed V" in page
    assert "Karim Alaoui" in page  # the account's name when the file has none
    assert f'/screening/{application.id}"' in page and f'/screening/{unnamed.id}"' in page
    assert application.cin in page and application.student.email in page
    assert "<th scope=" in page


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"status": "returned"}, {"returned"}),
        ({"institution": "INST"}, {"institution"}),
        ({"pole": "security"}, {"security_first"}),
        ({"french_level": "C1"}, {"c1"}),
        ({"region": "souss-massa"}, {"souss"}),
        ({"status": "submitted", "french_level": "C1"}, {"c1"}),
        ({"status": "not-a-status"}, "all"),  # unknown values are ignored
        ({"pole": "nope", "region": "mars"}, "all"),
    ],
)
def test_filters(client, coordinator, args, expected):
    cohort = make_cohort()
    institution = make_institution("ENSIAS")
    apps = {
        "plain": make_application(cohort),
        "returned": make_application(cohort, status=A.returned),
        "institution": make_application(cohort, institution=institution),
        "security_first": make_application(
            cohort, pole_ranking=["security", "software", "mobile", "multimedia"]
        ),
        "second_security": make_application(
            cohort, pole_ranking=["mobile", "security", "software", "multimedia"]
        ),
        "c1": make_application(cohort, french_level="C1"),
        "souss": make_application(cohort, region="souss-massa"),
    }
    query = {k: (str(institution.id) if v == "INST" else v) for k, v in args.items()}
    names = set(apps) if expected == "all" else expected
    assert set(listed_ids(client, **query)) == {apps[name].id for name in names}


@pytest.mark.parametrize(
    "q, expected",
    [
        ("salma", {"salma"}),  # first name, case-insensitive
        ("BENNANI", {"salma"}),  # last name
        ("salma benn", {"salma"}),  # first and last name together
        ("youssef", {"account"}),  # the account's full name when the file has no name
        ("HAKIMI", {"account"}),
        ("ZINEB@Example", {"email"}),  # e-mail
        ("ab12", {"cin"}),  # CIN, case-insensitive
        ("%", set()),  # LIKE wildcards are searched literally
        ("_", set()),
        ("nobody", set()),
    ],
)
def test_search_by_name_email_cin(client, coordinator, q, expected):
    cohort = make_cohort()
    apps = {
        "salma": make_application(cohort, first_name="Salma", last_name="Bennani", cin="X1"),
        "account": make_application(
            cohort, student=make_student("Youssef Hakimi"), first_name="", last_name=None, cin="X2"
        ),
        "email": make_application(
            cohort, student=make_student(email="zineb@example.org"), cin="X3"
        ),
        "cin": make_application(cohort, cin="AB12345"),
    }
    assert set(listed_ids(client, q=q)) == {apps[name].id for name in expected}


def test_sorting(client, coordinator):
    cohort = make_cohort()
    now = utcnow()
    b = make_application(
        cohort,
        last_name="Berrada",
        grade_average=Decimal("16"),
        submitted_at=now - timedelta(days=1),
    )
    a = make_application(
        cohort,
        last_name="alami",
        grade_average=Decimal("12.25"),
        submitted_at=now - timedelta(days=3),
        status=A.eligible,
    )
    c = make_application(
        cohort,
        last_name="Chraibi",
        grade_average=None,
        submitted_at=None,
        status=A.draft,
    )
    assert listed_ids(client) == [a.id, b.id, c.id]  # by name, case-insensitive
    assert listed_ids(client, sort="name", direction="desc") == [c.id, b.id, a.id]
    assert listed_ids(client, sort="average") == [a.id, b.id, c.id]  # empty last
    assert listed_ids(client, sort="average", direction="desc") == [b.id, a.id, c.id]
    assert listed_ids(client, sort="submitted") == [a.id, b.id, c.id]
    assert listed_ids(client, sort="submitted", direction="desc") == [b.id, a.id, c.id]
    assert listed_ids(client, sort="status") == [c.id, b.id, a.id]  # draft, submitted, eligible
    assert listed_ids(client, sort="status", direction="desc") == [a.id, b.id, c.id]
    # not whitelisted: the default order
    assert listed_ids(client, sort="cin; drop table users", direction="sideways") == [
        a.id,
        b.id,
        c.id,
    ]
    page = client.get("/screening/?sort=average&direction=asc").get_data(as_text=True)
    assert 'aria-sort="ascending"' in page
    assert "sort=average&amp;direction=desc" in page  # the header link toggles the direction


def test_pagination_keeps_the_filters(client, coordinator, monkeypatch):
    monkeypatch.setattr(views_staff, "PER_PAGE", 2)
    cohort = make_cohort()
    apps = [make_application(cohort, last_name=f"Name{i}", french_level="C1") for i in range(5)]
    other = make_application(cohort, french_level="A2")
    seen = []
    for page in (1, 2, 3):
        ids = listed_ids(client, french_level="C1", page=page)
        assert len(ids) == (1 if page == 3 else 2)
        seen += ids
    assert seen == [a.id for a in apps]
    html = client.get("/screening/?french_level=C1").get_data(as_text=True)
    assert re.search(r'href="/screening/\?[^"]*page=2[^"]*"', html)
    link = re.search(r'href="(/screening/\?[^"]*page=2[^"]*)"', html).group(1)
    assert "french_level=C1" in link and f"cohort={cohort.id}" in link
    # Past the end: the last page, not an error (the list may have shrunk since the link).
    assert listed_ids(client, page=99) == [apps[4].id, other.id]


def test_counts_per_status_in_one_query(app, client, coordinator):
    cohort = make_cohort()
    for status, n in ((A.submitted, 3), (A.returned, 2), (A.eligible, 1), (A.draft, 1)):
        for _ in range(n):
            make_application(cohort, status=status)
    make_application(make_cohort(is_current=False), status=A.submitted)  # another cohort
    with count_queries(app) as statements:
        html = client.get("/screening/", query_string={"status": "returned"}).get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts == {
        "all": "7",
        "draft": "1",
        "submitted": "3",
        "returned": "2",
        "eligible": "1",
        "ineligible": "0",
        "withdrawn": "0",
    }  # every filter but the status
    assert len([s for s in statements if "GROUP BY" in s.upper()]) == 1


def test_counts_follow_the_search(client, coordinator):
    cohort = make_cohort()
    make_application(cohort, first_name="Salma", status=A.returned)
    make_application(cohort, first_name="Omar")
    html = client.get("/screening/?q=salma").get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts["all"] == "1" and counts["returned"] == "1" and counts["submitted"] == "0"


# --- CSV export ------------------------------------------------------------------------------


def _csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "charset=utf-8" in response.headers["Content-Type"]
    assert response.headers["Content-Disposition"].startswith("attachment;")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    return [dict(zip(header, row, strict=True)) for row in body]


def test_csv_export_content(client, coordinator):
    cohort = make_cohort()
    institution = make_institution('Institut "Supérieur", Casablanca')
    application = make_application(
        cohort,
        first_name="سلمى",
        last_name="Benjelloun, née El Fassi",
        institution=institution,
        cin="BE123456",
        grade_average=Decimal("15.75"),
        birth_date=date(2001, 2, 3),
        pole_ranking=["security", "software", "mobile", "multimedia"],
        region="fes-meknes",
        programme='=HYPERLINK("http://evil")',
    )
    rows = _csv(client.get("/screening/export.csv"))
    assert len(rows) == 1
    row = rows[0]
    assert row["ID"] == str(application.id)
    assert row["First name(s)"] == "سلمى"
    assert row["Last name"] == "Benjelloun, née El Fassi"
    assert row["Sending institution"] == 'Institut "Supérieur", Casablanca'
    assert row["E-mail"] == application.student.email
    assert row["CIN"] == "BE123456"
    assert row["Status"] == "Submitted"
    assert row["Region"] == "Fès-Meknès"
    assert row["Pole 1"] == "Security, e-payment and digital rights"
    assert row["Grade average"] == "15.75"
    assert row["Date of birth"] == "2001-02-03"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", row["Submitted at"])
    assert row["Programme of study"].startswith("'=")  # a formula is neutralised
    assert row["Phone"] == "'+212600000000"


def test_csv_export_uses_the_filters_and_the_cohort(client, coordinator):
    cohort = make_cohort()
    other = make_cohort(is_current=False)
    keep = make_application(cohort, french_level="C1", last_name="Alpha")
    keep2 = make_application(cohort, french_level="C1", last_name="Beta")
    make_application(cohort, french_level="B2")
    make_application(cohort, french_level="C1", status=A.draft)
    make_application(other, french_level="C1")
    rows = _csv(
        client.get(
            "/screening/export.csv",
            query_string={"french_level": "C1", "status": "submitted", "direction": "desc"},
        )
    )
    assert [r["ID"] for r in rows] == [str(keep2.id), str(keep.id)]
    rows = _csv(client.get("/screening/export.csv", query_string={"cohort": other.id}))
    assert len(rows) == 1
    html = client.get("/screening/?french_level=C1").get_data(as_text=True)
    assert re.search(r'id="export-csv" href="/screening/export.csv\?[^"]*french_level=C1', html)


# --- the query-count bound -------------------------------------------------------------------


def _fill(cohort, n):
    institutions = [make_institution() for _ in range(3)]
    for i in range(n):
        make_application(
            cohort,
            commit=False,
            institution=institutions[i % 3],
            first_name=None if i % 4 == 0 else f"P{i}",  # some rows show the account's name
            eligibility_suggestion=bool(i % 2),
            eligibility_reasons=[] if i % 2 else [{"code": "average", "params": {}}],
        )
    db.session.commit()


def _measure(app, client, url):
    client.get(url)  # warm-up
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/screening/", "/screening/export.csv"])
def test_query_count_does_not_grow_with_rows(app, client, coordinator, url):
    cohort = make_cohort()
    _fill(cohort, 3)
    small, body = _measure(app, client, url)
    assert body.count("@example.org") == 3
    _fill(cohort, 27)
    large, body = _measure(app, client, url)
    assert body.count("@example.org") == 30
    assert small == large, (small, large)


# --- the detail page -------------------------------------------------------------------------


def test_detail_page_shows_the_whole_file(client, coordinator):
    cohort = make_cohort()
    institution = make_institution("ENSA Marrakech", city="Marrakech")
    application = make_application(
        cohort,
        first_name="Salma",
        last_name="Bennani",
        institution=institution,
        region="souss-massa",
        gender=Gender.female,
        pole_ranking=["multimedia", "software", "mobile", "security"],
    )
    documents = add_all_documents(application)
    db.session.add(
        ApplicationMessage(
            application_id=application.id, kind=MessageKind.info, body="Bienvenue à MNC."
        )
    )
    db.session.add(
        AuditEvent(
            action="application.transition",
            target_type="applications",
            target_id=application.id,
            details={"from": "draft", "to": "submitted"},
        )
    )
    db.session.commit()
    response = client.get(f"/screening/{application.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for label in (
        "Date of birth",
        "CIN (national identity card)",
        "Region of origin",
        "Sending institution",
        "Grade average (/20)",
        "MNC poles ranked by preference",
        "Motivation",
    ):
        assert label in html
    assert "ENSA Marrakech" in html and "Souss-Massa" in html and "Female" in html
    assert html.index("Multimedia") < html.index("Software packages")
    assert application.cin in html and application.passport_number in html
    cv = documents[DocumentKind.cv]
    assert f'href="/documents/{cv.id}/download"' in html and cv.original_name in html
    assert cv.sha256[:12] in html and "Transcript of records" in html
    assert 'id="checklist"' in html and 'data-done="yes"' in html
    assert "Bienvenue à MNC." in html and "Status: Draft → Submitted" in html
    assert "application.transition" not in html  # a sentence, never the event's code
    assert 'id="eligibility-form"' in html and 'id="return-form"' in html
    assert "<script" not in html.split("</nav>", 1)[1].split("<footer", 1)[0]
    assert 'style="' not in html


def test_detail_page_of_a_missing_application(client, coordinator):
    assert client.get("/screening/424242").status_code == 404


def test_detail_checklist_shows_what_is_missing(client, coordinator):
    cohort = make_cohort()
    application = make_application(cohort, status=A.draft, motivation=None, consent_at=None)
    html = client.get(f"/screening/{application.id}").get_data(as_text=True)
    assert re.search(r'data-key="motivation" data-done="no"', html)
    assert re.search(r'data-key="consent" data-done="no"', html)
    assert re.search(r'data-key="document:cv" data-done="no"', html)
    assert 'id="return-form"' not in html  # only a submitted file can be returned


# --- return for correction -------------------------------------------------------------------


def test_return_for_correction(client, coordinator):
    cohort = make_cohort()
    application = make_application(cohort)
    response = client.post(
        f"/screening/{application.id}/return", data={"message": "Le relevé de notes manque."}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/screening/{application.id}")
    application = reload(application)
    assert application.status is A.returned
    message = db.session.scalar(select(ApplicationMessage))
    assert (message.kind, message.body, message.author_id) == (
        MessageKind.correction,
        "Le relevé de notes manque.",
        coordinator.id,
    )
    mail = db.session.scalar(select(OutboxMessage))
    assert mail.recipient == application.student.email
    assert "Le relevé de notes manque." in mail.body_text
    audit = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "application.transition",
            AuditEvent.target_id == application.id,
        )
    )
    assert audit.details["to"] == "returned" and audit.actor_id == coordinator.id
    html = client.get(f"/screening/{application.id}").get_data(as_text=True)
    assert "Le relevé de notes manque." in html


@pytest.mark.parametrize("data", [{}, {"message": "   "}])
def test_return_needs_a_message(client, coordinator, data):
    application = make_application(make_cohort())
    response = client.post(f"/screening/{application.id}/return", data=data)
    assert response.status_code == 400
    assert reload(application).status is A.submitted
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_return_of_a_draft_is_refused(client, coordinator):
    application = make_application(make_cohort(), status=A.draft)
    response = client.post(
        f"/screening/{application.id}/return", data={"message": "x"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "cannot go from" in response.get_data(as_text=True)
    assert reload(application).status is A.draft
    assert db.session.scalar(select(func.count()).select_from(ApplicationMessage)) == 0


# --- document reviews ------------------------------------------------------------------------


def _review(client, document, decision, comment=""):
    prefix = f"doc-{document.id}-"
    return client.post(
        f"/screening/documents/{document.id}/review",
        data={prefix + "decision": decision, prefix + "comment": comment},
    )


def test_accept_a_document(client, coordinator):
    application = make_application(make_cohort())
    document = add_document(application)
    response = _review(client, document, "accept", "Lisible.")
    assert response.status_code == 302
    document = reload(document)
    assert document.status is DocumentStatus.accepted
    assert document.reviewed_by_id == coordinator.id and document.review_comment == "Lisible."
    assert reload(application).status is A.submitted
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "document.review", AuditEvent.target_id == document.id
        )
    ).details["accepted"]


def test_rejecting_a_mandatory_document_returns_the_file(client, coordinator):
    application = make_application(make_cohort())
    document = add_document(application, DocumentKind.passport)
    response = _review(client, document, "reject", "Le scan est illisible.")
    assert response.status_code == 302
    assert reload(document).status is DocumentStatus.rejected
    application = reload(application)
    assert application.status is A.returned
    mail = db.session.scalar(select(OutboxMessage))
    assert mail.recipient == application.student.email
    assert "Le scan est illisible." in mail.body_text
    html = client.get(f"/screening/{application.id}").get_data(as_text=True)
    assert "Le scan est illisible." in html and "Document rejected" in html


def test_rejecting_an_optional_document_keeps_the_file_submitted(client, coordinator):
    application = make_application(make_cohort())
    document = add_document(application, DocumentKind.recommendation_letter)
    assert _review(client, document, "reject", "Non signée.").status_code == 302
    assert reload(application).status is A.submitted
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


@pytest.mark.parametrize("decision, comment", [("reject", ""), ("", "x"), ("maybe", "x")])
def test_invalid_reviews_change_nothing(client, coordinator, decision, comment):
    application = make_application(make_cohort())
    document = add_document(application)
    response = _review(client, document, decision, comment)
    assert response.status_code == 400
    assert reload(document).status is DocumentStatus.pending
    assert reload(application).status is A.submitted
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_replaced_version_cannot_be_reviewed(client, coordinator):
    application = make_application(make_cohort())
    old = add_document(application, is_current=False)
    assert _review(client, old, "accept").status_code == 400
    assert reload(old).status is DocumentStatus.pending
    assert client.post("/screening/documents/999999/review").status_code == 404


# --- eligibility screening -------------------------------------------------------------------


def test_screen_all_suggests_with_reasons(client, coordinator):
    cohort = make_cohort()
    db.session.add(EligibilityRules(cohort_id=cohort.id, min_french_level="B2"))
    db.session.commit()
    weak = make_application(cohort, french_level="A2", last_name="Alaoui")
    good = make_application(cohort, last_name="Bennani")
    draft = make_application(cohort, french_level="A1", status=A.draft)
    response = client.post("/screening/screen-all", data={"cohort_id": cohort.id})
    assert response.status_code == 302
    assert f"cohort={cohort.id}" in response.headers["Location"]
    weak, good, draft = reload(weak), reload(good), reload(draft)
    assert weak.eligibility_suggestion is False
    assert weak.eligibility_reasons == [
        {"code": "french_level", "params": {"level": "A2", "minimum": "B2"}}
    ]
    assert good.eligibility_suggestion is True and good.eligibility_reasons == []
    assert draft.eligibility_suggestion is None  # only submitted files are screened
    assert weak.status is A.submitted  # a suggestion decides nothing
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "application.screen_all")
    )
    assert audit.details["eligible"] == 1 and audit.details["ineligible"] == 1
    html = client.get("/screening/").get_data(as_text=True)
    assert html.count('data-suggestion="ineligible"') == 1
    assert html.count('data-suggestion="eligible"') == 1
    assert "French level A2 below the required B2" in html
    detail = client.get(f"/screening/{weak.id}").get_data(as_text=True)
    assert 'data-suggestion="ineligible"' in detail
    assert "French level A2 below the required B2" in detail


def test_screen_all_uses_the_current_cohort_and_creates_default_rules(client, coordinator):
    cohort = make_cohort()
    application = make_application(cohort, grade_average=Decimal("11.99"))
    assert client.post("/screening/screen-all").status_code == 302
    application = reload(application)
    assert application.eligibility_suggestion is False
    assert [r["code"] for r in application.eligibility_reasons] == ["average"]
    assert db.session.scalar(
        select(EligibilityRules).where(EligibilityRules.cohort_id == cohort.id)
    )


def test_screen_all_without_a_cohort(client, coordinator):
    response = client.post("/screening/screen-all", follow_redirects=True)
    assert response.status_code == 200


def test_detail_preview_does_not_write_rules(client, coordinator):
    application = make_application(make_cohort(), year_of_study=2)
    html = client.get(f"/screening/{application.id}").get_data(as_text=True)
    assert "year of study 2 not among the allowed years (3, 4, 5)" in html
    assert db.session.scalar(select(func.count()).select_from(EligibilityRules)) == 0
    assert reload(application).eligibility_suggestion is None


def _decide(client, application, decision, reason="", confirmed=True):
    """Post a decision; "not eligible" is posted from its confirmation page (``confirmed``)."""
    data = {"decision": decision, "override_reason": reason}
    if decision == "ineligible" and confirmed:
        data["confirmed"] = "1"
    return client.post(f"/screening/{application.id}/eligibility", data=data)


def test_confirm_the_suggestion(client, coordinator):
    application = make_application(make_cohort())
    response = _decide(client, application, "eligible")
    assert response.status_code == 302
    application = reload(application)
    assert application.status is A.eligible
    assert application.eligibility_suggestion is True
    assert application.eligibility_decided_by_id == coordinator.id
    assert application.eligibility_override_reason is None
    message = db.session.scalar(select(ApplicationMessage))
    assert message.kind is MessageKind.eligibility
    mail = db.session.scalar(select(OutboxMessage))
    assert mail.recipient == application.student.email
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "application.transition")
    )
    assert audit.details["to"] == "eligible" and audit.details["suggested"] is True


def test_confirm_an_ineligible_suggestion(client, coordinator):
    application = make_application(make_cohort(), french_level="A2")
    assert _decide(client, application, "ineligible", "Niveau A2.").status_code == 302
    application = reload(application)
    assert application.status is A.ineligible
    mail = db.session.scalar(select(OutboxMessage))
    assert "A2" in mail.body_text  # the reason is told to the student


def test_override_without_reason_is_refused(client, coordinator):
    application = make_application(make_cohort(), french_level="A2")
    response = _decide(client, application, "eligible", "   ")
    assert response.status_code == 400
    assert "goes against the screening rules" in response.get_data(as_text=True)
    application = reload(application)
    assert application.status is A.submitted
    assert application.eligibility_decided_at is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(select(func.count()).select_from(ApplicationMessage)) == 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "application.transition")
        )
        == 0
    )


def test_override_with_a_reason_is_accepted_and_audited(client, coordinator):
    application = make_application(make_cohort(), french_level="A2")
    reason = "DELF B2 obtenu le mois dernier, certificat joint."
    assert _decide(client, application, "eligible", reason).status_code == 302
    application = reload(application)
    assert application.status is A.eligible
    assert application.eligibility_suggestion is False
    assert application.eligibility_override_reason == reason
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "application.transition")
    )
    assert audit.details["override_reason"] == reason and audit.details["suggested"] is False
    assert audit.actor_id == coordinator.id
    assert db.session.scalar(select(OutboxMessage)).recipient == application.student.email
    html = client.get(f"/screening/{application.id}").get_data(as_text=True)
    assert reason in html


def test_changing_a_decision_needs_a_reason(client, coordinator):
    application = make_application(make_cohort())
    assert _decide(client, application, "eligible").status_code == 302
    assert _decide(client, application, "ineligible").status_code == 400
    assert reload(application).status is A.eligible
    assert (
        _decide(client, application, "ineligible", "Dossier incomplet en réalité.").status_code
        == 302
    )
    assert reload(application).status is A.ineligible


@pytest.mark.parametrize("data", [{}, {"decision": "perhaps"}])
def test_invalid_decision_forms(client, coordinator, data):
    application = make_application(make_cohort())
    response = client.post(f"/screening/{application.id}/eligibility", data=data)
    assert response.status_code == 400
    assert reload(application).status is A.submitted


def test_deciding_on_a_draft_is_refused(client, coordinator):
    application = make_application(make_cohort(), status=A.draft)
    assert _decide(client, application, "eligible").status_code == 400
    assert reload(application).status is A.draft


# --- access ----------------------------------------------------------------------------------


ROUTES = [
    ("GET", "/screening/"),
    ("GET", "/screening/export.csv"),
    ("POST", "/screening/screen-all"),
    ("GET", "/screening/{application}"),
    ("POST", "/screening/{application}/return"),
    ("POST", "/screening/{application}/eligibility"),
    ("POST", "/screening/documents/{document}/review"),
]


@pytest.mark.parametrize("role", ["student", "host", "official"])
def test_other_roles_get_403_everywhere(client, auth, role):
    cohort = make_cohort()
    student = make_student()
    application = make_application(cohort, student=student)
    document = add_document(application)
    auth.as_role(role)
    for method, pattern in ROUTES:
        url = pattern.format(application=application.id, document=document.id)
        data = {"message": "x", "decision": "eligible", f"doc-{document.id}-decision": "accept"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, url)
    assert reload(application).status is A.submitted
    assert reload(document).status is DocumentStatus.pending


def test_the_student_cannot_screen_their_own_file(client, auth):
    student = auth.as_role("student")
    application = make_application(make_cohort(), student=db.session.get(User, student.id))
    assert client.get(f"/screening/{application.id}").status_code == 403
    assert _decide(client, application, "eligible").status_code == 403


def test_anonymous_users_go_to_the_login_page(client):
    response = client.get("/screening/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_may_screen(client, auth):
    auth.as_role("admin", locale="en")
    application = make_application(make_cohort())
    assert client.get("/screening/").status_code == 200
    assert _decide(client, application, "eligible").status_code == 302


def test_counts_include_selection_statuses_once_reached(client, coordinator):
    cohort = make_cohort()
    make_application(cohort, status=A.eligible)
    make_application(cohort, status=A.shortlisted)
    make_application(cohort, status=A.selected)
    html = client.get("/screening/").get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts["all"] == "3"
    assert counts["shortlisted"] == "1" and counts["selected"] == "1"
    assert "waitlisted" not in counts  # not reached yet: no empty tab
