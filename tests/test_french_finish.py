"""Finished French (issue 14, §4): the words, the grammar, the counts, the events and the
numbers, dates and sizes of the pages as a French reader sees them (rendered text, not only
the catalog)."""

from __future__ import annotations

import html as htmllib
import io
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from mnc_exchange.accounts.models import Role
from mnc_exchange.audit.events import EVENTS, describe
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.i18n import de, filesize
from mnc_exchange.extensions import db
from tests.factories import (
    SAMPLE_PDF,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    UserFactory,
    make_selected,
)
from tests.test_agreement_views import (  # noqa: F401  (fixtures)  # noqa: F401
    _documents,
    _issue_as_coordinator,
    _login,
    fake_pdf,
    world,
)
from tests.test_screening import add_document, make_application, make_cohort

TODAY = date.today()


def text(response) -> str:
    """The page as read: tags dropped, entities decoded, spaces collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(htmllib.unescape(body).replace("\u202f", " ").replace("\xa0", " ").split())


def open_cohort(**attrs):
    values = {
        "state": CohortState.open,
        "is_current": True,
        "applications_open_on": TODAY - timedelta(days=10),
        "applications_close_on": TODAY + timedelta(days=30),
        "selection_on": TODAY + timedelta(days=60),
        "matching_on": TODAY + timedelta(days=90),
        "departure_on": TODAY + timedelta(days=120),
        "return_on": TODAY + timedelta(days=300),
    } | attrs
    return CohortFactory(**values)


# --- words -----------------------------------------------------------------------------------


def test_the_programme_is_programme_not_filiere(client, auth, world, fake_pdf):  # noqa: F811
    """The MNC programme is "Programme" (a "filière" is a field of study): in the menu and on
    the public verification page; the student's study programme is "Filière d'études"."""
    _cohort, _company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    auth.as_role("coordinator")
    menu = text(client.get("/dashboard"))
    assert "Programme" in menu and "Filière" not in menu
    client.post("/logout")
    page = text(client.get(f"/verify/{document.verification_code}"))
    assert "Programme" in page and "Filière" not in page


def test_apply_is_candidater(client, auth):
    open_cohort()
    auth.as_role("student")
    page = text(client.get("/dashboard"))
    assert "Candidater" in page and "Appliquer" not in page


def test_signing_says_en_tant_qu_etudiant(client, world, fake_pdf):  # noqa: F811
    """A role in a sentence is lower case and elided, from a message of its own."""
    _cohort, _company, host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    student = placement.application.student
    student.locale = "fr"
    db.session.commit()
    # The host signs first (the signing order); then the student is awaited.
    (document,) = _documents(agreement)
    _login(client, host)
    client.post(f"/agreements/documents/{document.id}/sign", data={f"doc{document.id}-accept": "y"})
    client.post("/logout")
    _login(client, student)
    page = text(client.get(f"/agreements/{agreement.id}"))
    assert "signez-le en tant qu'étudiant" in page
    assert "en tant que Étudiant" not in page


def test_a_name_after_de_is_elided(client, auth):
    """ "Rang d'Ilyas", never "Rang de Ilyas" (and "de Karim" stays)."""
    cohort = CohortFactory(state=CohortState.matching, is_current=True)
    company = CompanyFactory()
    offer = OfferFactory(cohort=cohort, company=company, title="Backend", seats=1)
    ilyas, karim = make_selected(cohort, 2)
    ilyas.first_name, ilyas.last_name = "Ilyas", "Amrani"
    karim.first_name, karim.last_name = "Karim", "Bennani"
    db.session.commit()
    from mnc_exchange.placements import services as placements

    for application in (ilyas, karim):
        placements.set_preferences(application, [offer.id], application.student)
    db.session.commit()
    auth.as_role("host", company_id=company.id)
    page = text(client.get(f"/company/offers/{offer.id}/candidates"))
    assert "Rang d'Ilyas Amrani" in page and "Rang de Karim Bennani" in page
    assert "Rang de Ilyas" not in page


def test_de_elides_before_a_vowel_only_in_french():
    assert de("Ilyas", "fr") == "d'Ilyas"
    assert de("Éric", "fr") == "d'Éric"
    assert de("Karim", "fr") == "de Karim"
    assert de("Yasmine", "fr") == "de Yasmine"  # y before a vowel is a consonant
    assert de("Hicham", "fr") == "de Hicham"  # h: never elided (cannot tell h muet)
    assert de("Ilyas", "en") == "of Ilyas"


def test_an_approved_company_is_not_approved_twice(client, auth):
    company = CompanyFactory()
    auth.as_role("host", company_id=company.id)
    page = text(client.get("/company"))
    assert "Approuvée depuis le" in page
    assert "Approuvée approuvée" not in page


# --- counts ----------------------------------------------------------------------------------


def test_counts_agree_with_their_number(client, auth):
    """ngettext: "1 caractère", not "1 caractères"."""
    open_cohort()
    auth.as_role("student")
    client.post("/application/start")
    client.post("/application/", data={"draft": "1", "motivation": "x"})
    page = text(client.get("/application/"))
    assert "1 caractère ; entre 300 et 5000 sont attendus" in page
    assert "1 caractères" not in page


def test_one_open_incident_on_the_follow_up_board():
    """The board's summary words are plural forms (rendered through the catalog)."""
    from flask import render_template_string
    from flask_babel import force_locale

    with force_locale("fr"):
        one = render_template_string(
            "{{ ngettext('open incident', 'open incidents', 1) }} / "
            "{{ ngettext('intern arrived', 'interns arrived', 1) }}"
        )
        two = render_template_string("{{ ngettext('open incident', 'open incidents', 2) }}")
    assert one == "incident ouvert / stagiaire arrivé"
    assert two == "incidents ouverts"
    with open("templates/followup/board.html", encoding="utf-8") as f:
        board = f.read()
    assert 'ngettext("open incident", "open incidents", summary.incidents)' in board


# --- events ----------------------------------------------------------------------------------


def test_the_history_tells_events_in_sentences(client, auth):
    coordinator = auth.as_role("coordinator")
    application = make_application(make_cohort())
    document = add_document(application)
    db.session.add(
        AuditEvent(
            action="document.upload",
            target_type="documents",
            target_id=document.id,
            actor_id=coordinator.id,
            details={
                "application": application.id,
                "kind": "cv",
                "version": 1,
                "sha256": "ab" * 32,
            },
        )
    )
    db.session.add(
        AuditEvent(
            action="application.transition",
            target_type="applications",
            target_id=application.id,
            details={"from": "submitted", "to": "returned", "message": "Scannez le passeport."},
        )
    )
    db.session.commit()
    page = text(client.get(f"/screening/{application.id}"))
    assert "Document téléversé : CV (version 1)" in page
    assert "Statut : Soumise → Renvoyée pour correction" in page
    assert "Scannez le passeport." in page
    assert "document.upload" not in page and "application.transition" not in page


def test_the_audit_log_has_sentences_and_laid_out_details(client, auth):
    admin = auth.as_role("admin")
    db.session.add(
        AuditEvent(
            action="cohort.transition",
            actor_id=admin.id,
            target_type="cohorts",
            target_id=7,
            details={"year": 2031, "from": "open", "to": "closed"},
        )
    )
    db.session.add(AuditEvent(action="something.new", details={"colour": "vert", "count": 3}))
    db.session.commit()
    raw = client.get("/admin/audit").get_data(as_text=True)
    page = text(client.get("/admin/audit"))
    assert "Promotion 2031" in page and "Promotion n° 7" in page
    assert "Événement enregistré" in page  # an unknown code: a generic sentence
    assert "vert" in page and "<dd" in raw
    assert '{"' not in raw and "cohort.transition</" not in raw
    assert "Connexion" in page  # the admin's own login


def test_every_recorded_action_has_a_sentence():
    """Every action the code records is in the registry (no code reaches a page)."""
    import ast
    import pathlib

    actions = set()
    for path in pathlib.Path("mnc_exchange").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record":
                for sub in ast.walk(node.args[0]) if node.args else ():
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        actions.add(sub.value)
    assert len(actions) > 80
    assert not actions - set(EVENTS)


def test_describe_formats_values_for_the_reader(app):
    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("fr"):
            d = describe("internship.return", {"returned_on": "2031-03-01"})
            assert d.sentence == "Retour au Maroc confirmé le 1er mars 2031"
            d = describe("selection.review", {"total": "72.5"})
            assert d.sentence == "Évaluation remise (total 72,50 / 100)"


# --- numbers, dates, sizes -------------------------------------------------------------------


def test_sizes_times_and_decimals_in_french(client, auth):
    cohort = open_cohort()
    auth.as_role("student")
    client.post("/application/start")
    client.post(
        "/application/documents",
        data={"kind": "cv", "file": (io.BytesIO(SAMPLE_PDF), "cv.pdf")},
        content_type="multipart/form-data",
    )
    client.post("/application/", data={"draft": "1", "grade_average": "14,5"})
    raw = client.get("/application/").get_data(as_text=True)
    page = text(client.get("/application/"))
    assert f"{len(SAMPLE_PDF)} octets" in page
    assert re.search(r"\d{1,2}:\d\d", page) and not re.search(r"\d\d:\d\d:\d\d", page)
    assert 'value="14,50"' in raw  # the grade as a French reader writes it
    assert cohort.applications_close_on.isoformat() not in page


def test_filesize_in_both_languages():
    assert filesize(835, "fr") == "835\xa0octets"
    assert filesize(835, "en") == "835 bytes"
    assert filesize(1536, "fr") == "1,5\u202fko"


def test_the_passport_warning_has_no_iso_date(client, auth):
    cohort = open_cohort()
    auth.as_role("student")
    client.post("/application/start")
    soon = TODAY + timedelta(days=200)
    client.post("/application/", data={"draft": "1", "passport_expiry": soon.isoformat()})
    page = text(client.get("/application/"))
    warning = page[page.index("Votre passeport expire") :][:400]
    assert soon.isoformat() not in warning and str(soon.year) in warning
    assert "déclarée non éligible" in warning
    assert cohort.applications_close_on.isoformat() not in warning


def test_deadlines_fall_at_the_hour_they_were_set(app):
    """The demo's ranking deadlines are 23:59 in Casablanca; shown there, not "00:59"."""
    from mnc_exchange.demo.hosts import _local_end_of_day
    from mnc_exchange.templating import localdt

    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("fr"):
            shown = localdt(_local_end_of_day(date(2031, 2, 14)))
    assert shown.endswith("23:59") and "00:59" not in shown


def test_e_mails_to_hosts_give_paris_time(client, auth):
    from mnc_exchange.mail.services import queue_email
    from mnc_exchange.placements.models import Placement, PlacementStatus

    cohort = CohortFactory(state=CohortState.matching, is_current=True)
    company = CompanyFactory()
    offer = OfferFactory(cohort=cohort, company=company)
    (application,) = make_selected(cohort, 1)
    placement = Placement(
        cohort_id=cohort.id,
        application_id=application.id,
        offer_id=offer.id,
        status=PlacementStatus.proposed,
        respond_by_at=datetime(2031, 7, 1, 21, 59, tzinfo=UTC),
    )
    db.session.add(placement)
    db.session.commit()
    host = UserFactory(role=Role.host, company_id=company.id)
    mail = queue_email(host.email, "placements_to_confirm", "fr", placements=[placement])
    assert "23:59, heure de Paris" in mail.body_text  # 21:59 UTC is 23:59 in Paris in July
    assert db.session.scalar(select(AuditEvent)) is None
