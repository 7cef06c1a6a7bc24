"""Nothing lost, nothing done by accident (issue 14, §5): typed fields survive uploads and
refused values, irreversible or legal steps ask for a confirmation (and a written reason,
kept in the audit), steps that no longer make sense are neither offered nor accepted, and a
student's menu shows what applies to their stage."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from mnc_exchange.applications import services as app_services
from mnc_exchange.applications.models import Application, ApplicationStatus, Institution
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.placements.models import Placement, PlacementStatus
from mnc_exchange.selection.models import SelectionSettings
from tests.factories import (
    SAMPLE_PDF,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    make_selected,
)
from tests.test_agreement_views import (  # noqa: F401
    ISSUE_FORM,
    REISSUE,
    _documents,
    _issue_as_coordinator,
    _login,
    fake_pdf,
    world,
)
from tests.test_applications_student import upload_all_required, valid_form

A = ApplicationStatus
TODAY = date.today()
URL = "/application/"


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def open_cohort(**attrs):
    values = {
        "state": CohortState.open,
        "is_current": True,
        "applications_open_on": days(-10),
        "applications_close_on": days(30),
        "selection_on": days(60),
        "matching_on": days(90),
        "departure_on": days(120),
        "return_on": days(300),
    } | attrs
    return CohortFactory(**values)


def html(response) -> str:
    return response.get_data(as_text=True)


def mine(student, cohort) -> Application:
    db.session.expire_all()
    return app_services.application_of(student, cohort)


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def audit(action: str) -> AuditEvent | None:
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    )


def institution() -> Institution:
    found = Institution(name="ENSIAS", city="Rabat", legal_representative="X", address="Rabat")
    db.session.add(found)
    db.session.commit()
    return found


def student_with_draft(client, auth, language="en"):
    cohort = open_cohort()
    student = auth.as_role("student", locale=language)
    client.post("/language", data={"lang": language, "next": "/"})
    assert client.post(URL + "start").status_code == 302
    return cohort, student


# --- the application page: nothing typed is lost ----------------------------------------------


def test_an_upload_saves_the_fields_typed_in_the_file(client, auth):
    """The upload button belongs to the file's form: what was typed is saved with the file."""
    cohort, student = student_with_draft(client, auth)
    page = html(client.get(URL))
    button = re.search(r'<button[^>]*id="upload-cv"[^>]*>', page).group(0)
    assert 'form="application-form"' in button and 'formaction="/application/documents"' in button
    assert re.search(
        r'<input type="file" id="file-cv" name="file-cv" form="application-form"', page
    )

    response = client.post(
        URL + "documents",
        data={
            "draft": "1",
            "first_name": "Salma",
            "programme": "Génie logiciel",
            "kind": "cv",
            "file-cv": (io.BytesIO(SAMPLE_PDF), "cv.pdf"),
            "file-passport": (io.BytesIO(b""), ""),  # the other, empty, file inputs
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    application = mine(student, cohort)
    assert (application.first_name, application.programme) == ("Salma", "Génie logiciel")
    assert [d.kind.value for d in application.documents] == ["cv"]


def test_a_refused_field_does_not_block_the_others(client, auth):
    cohort, student = student_with_draft(client, auth)
    client.post(URL, data={"draft": "1", "phone": "0612345678"})  # saved earlier
    response = client.post(
        URL, data={"draft": "1", "first_name": "Salma", "phone": "12345", "cin": "AB123"}
    )
    assert response.status_code == 200
    page = html(response)
    assert 'id="phone-error"' in page and "the fields marked in red are not" in page
    assert 'value="12345"' in page  # the value typed stays in the field, to be corrected
    application = mine(student, cohort)
    assert (application.first_name, application.cin) == ("Salma", "AB123")
    assert application.phone == "+212612345678"  # the refused value did not replace it
    # The checklist agrees with the form: the phone is not done (its value is refused).
    item = re.search(r'<li id="check-phone"[^>]*data-done="(\w+)"[^>]*>(.*?)</li>', page, re.S)
    assert item.group(1) == "no" and "not valid" in item.group(2)
    assert re.search(r'id="check-first_name"[^>]*data-done="yes"', page)


def test_submitting_needs_the_box_and_saves_the_typed_fields_first(client, auth):
    cohort, student = student_with_draft(client, auth)
    inst = institution()
    assert client.post(URL, data=valid_form(inst)).status_code == 302
    upload_all_required(client)
    page = html(client.get(URL))
    assert re.search(
        r'<input[^>]*id="confirm-submit"[^>]*form="application-form"[^>]*required', page
    )

    refused = client.post(URL + "submit", data={})  # no box: nothing submitted, the page again
    assert refused.status_code == 200 and 'id="confirm-submit-error"' in html(refused)
    assert mine(student, cohort).status is A.draft
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    data = valid_form(inst, programme="Génie logiciel et réseaux") | {"draft": "1", "confirm": "y"}
    assert client.post(URL + "submit", data=data).status_code == 302
    application = mine(student, cohort)
    assert application.status is A.submitted
    assert application.programme == "Génie logiciel et réseaux"  # saved, then submitted


def test_after_submission_the_dashboard_no_longer_asks_for_documents(client, auth):
    cohort, student = student_with_draft(client, auth)
    before = html(client.get("/dashboard"))
    assert "Complete your file and submit it" in before
    application = mine(student, cohort)
    application.status = A.submitted
    db.session.commit()
    after = html(client.get("/dashboard"))
    assert "Prepare your documents" not in after and "Complete your file" not in after
    assert 'id="next-after-submission"' in after


def test_the_passport_warning_says_what_follows(client, auth):
    cohort, student = student_with_draft(client, auth)
    client.post(URL, data={"draft": "1", "passport_expiry": days(200).isoformat()})
    page = html(client.get(URL))
    warning = re.search(r'id="passport-warning"[^>]*>([^<]*)<', page).group(1)
    assert "it will be declared not eligible" in warning and "Renew your passport" in warning
    assert 'id="submit-passport-warning"' in page  # said again beside the submit button


# --- screening: not eligible -----------------------------------------------------------------


def submitted_below_the_rules(cohort, **fields):
    from tests.test_screening import make_application

    return make_application(cohort, french_level="A2", **fields)


def test_an_ineligible_file_during_the_open_call_offers_a_return(client, auth):
    auth.as_role("coordinator", locale="en")
    cohort = open_cohort()
    application = submitted_below_the_rules(cohort)
    page = html(client.get(f"/screening/{application.id}"))
    assert 'id="suggest-return"' in page and 'id="return-form"' in page
    assert "French level A2 below the required B2" in page  # the prefilled message
    assert not re.search(r'<input[^>]*checked[^>]*value="ineligible"', page)
    assert not re.search(r'<input[^>]*value="ineligible"[^>]*checked', page)


def test_not_eligible_goes_through_a_confirmation_page_with_a_reason(client, auth):
    coordinator = auth.as_role("coordinator", locale="en")
    cohort = open_cohort()
    application = submitted_below_the_rules(cohort)
    url = f"/screening/{application.id}/eligibility"

    first = client.post(url, data={"decision": "ineligible"})
    assert first.status_code == 200 and 'id="confirm-ineligible-form"' in html(first)
    assert 'id="return-instead"' in html(first)
    assert reload(application).status is A.submitted

    no_reason = client.post(url, data={"decision": "ineligible", "confirmed": "1"})
    assert no_reason.status_code == 400 and 'id="override_reason-error"' in html(no_reason)
    assert reload(application).status is A.submitted

    reason = "Niveau de français A2, B2 exigé."
    done = client.post(
        url, data={"decision": "ineligible", "confirmed": "1", "override_reason": reason}
    )
    assert done.status_code == 302
    assert reload(application).status is A.ineligible
    event = audit("application.transition")
    assert event.details["override_reason"] == reason and event.actor_id == coordinator.id


def test_a_file_declared_not_eligible_can_be_returned_while_the_call_is_open(client, auth):
    auth.as_role("coordinator", locale="en")
    cohort = open_cohort()
    application = submitted_below_the_rules(cohort, status=A.ineligible)
    page = html(client.get(f"/screening/{application.id}"))
    assert 'id="return-form"' in page
    response = client.post(
        f"/screening/{application.id}/return", data={"message": "Passez le DELF B2."}
    )
    assert response.status_code == 302
    assert reload(application).status is A.returned

    closed = CohortFactory(state=CohortState.closed)
    late = submitted_below_the_rules(closed, status=A.ineligible)
    assert 'id="return-form"' not in html(client.get(f"/screening/{late.id}"))
    client.post(f"/screening/{late.id}/return", data={"message": "Trop tard."})
    assert reload(late).status is A.ineligible


# --- withdrawing -------------------------------------------------------------------------------


def test_withdrawing_is_a_page_with_a_reason(client, auth):
    cohort, student = student_with_draft(client, auth)
    page = html(client.get(URL))
    assert 'href="/application/withdraw"' in page and 'action="/application/withdraw"' not in page
    confirmation = html(client.get(URL + "withdraw"))
    assert 'id="consequences"' in confirmation and 'id="withdraw-form"' in confirmation

    response = client.post(URL + "withdraw", data={"confirm": "y"})
    assert response.status_code == 200 and 'id="reason-error"' in html(response)
    assert mine(student, cohort).status is A.draft

    client.post(URL + "withdraw", data={"confirm": "y", "reason": "Un emploi au Maroc."})
    assert mine(student, cohort).status is A.withdrawn
    assert audit("application.transition").details["reason"] == "Un emploi au Maroc."


# --- cancelling a placement ----------------------------------------------------------------------


def placement_in(cohort) -> Placement:
    company = CompanyFactory()
    offer = OfferFactory(cohort=cohort, company=company)
    (application,) = make_selected(cohort, 1)
    placement = Placement(
        cohort_id=cohort.id,
        application_id=application.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
    )
    db.session.add(placement)
    db.session.commit()
    return placement


def test_cancelling_a_placement_is_a_page_with_a_reason(client, auth):
    auth.as_role("coordinator", locale="en")
    cohort = CohortFactory(state=CohortState.placed, is_current=True)
    placement = placement_in(cohort)
    url = f"/matching/placements/{placement.id}/cancel"
    index = html(client.get(f"/matching?cohort={cohort.id}"))
    assert f'href="{url}"' in index and f'action="{url}"' not in index
    page = html(client.get(url))
    assert 'id="consequences"' in page and f'id="cancel-form-{placement.id}"' in page
    assert reload(placement).status is PlacementStatus.confirmed

    response = client.post(url, data={f"cancel-{placement.id}-reason": "Visa refusé."})
    assert response.status_code == 302
    assert reload(placement).status is PlacementStatus.cancelled
    assert audit("placement.cancel").details["reason"] == "Visa refusé."


def test_a_returned_cohort_offers_no_cancellation(client, auth):
    auth.as_role("coordinator", locale="en")
    cohort = CohortFactory(state=CohortState.returned, is_current=True)
    placement = placement_in(cohort)
    url = f"/matching/placements/{placement.id}/cancel"
    index = html(client.get(f"/matching?cohort={cohort.id}"))
    assert 'id="placements"' in index and url not in index  # not offered
    refused = client.get(url, follow_redirects=True)
    assert "its placements can no longer be cancelled" in html(refused)
    client.post(url, data={f"cancel-{placement.id}-reason": "Par erreur."})
    assert reload(placement).status is PlacementStatus.confirmed  # refused by the server


# --- a new version of an agreement --------------------------------------------------------


def test_a_new_version_needs_a_reason_and_says_what_it_voids(client, auth, world, fake_pdf):  # noqa: F811
    _cohort, _company, host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (v1,) = _documents(agreement)
    _login(client, host)  # the first to sign
    client.post(f"/agreements/documents/{v1.id}/sign", data={f"doc{v1.id}-accept": "y"})
    client.post("/logout")
    auth.as_role("coordinator", locale="en")
    page = html(client.get(f"/agreements/{agreement.id}/reissue"))
    assert 'id="voided"' in page and 'data-signature="host"' in page

    response = client.post(f"/agreements/{agreement.id}/reissue", data=ISSUE_FORM)
    assert response.status_code == 400
    assert 'id="reason-error"' in html(response) and 'id="confirm-error"' in html(response)
    assert len(_documents(agreement)) == 1

    assert (
        client.post(f"/agreements/{agreement.id}/reissue", data=ISSUE_FORM | REISSUE).status_code
        == 302
    )
    assert len(_documents(agreement)) == 2
    assert audit("agreement.reissue").details["reason"] == REISSUE["reason"]


def test_no_new_version_once_the_internship_is_over(client, auth, world, fake_pdf):  # noqa: F811
    _cohort, _company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    agreement.start_on = date.today() - timedelta(days=200)
    agreement.end_on = date.today() - timedelta(days=10)
    db.session.commit()
    auth.as_role("coordinator", locale="en")
    page = html(client.get(f"/agreements/{agreement.id}"))
    assert 'id="action-reissue"' not in page
    refused = client.get(f"/agreements/{agreement.id}/reissue", follow_redirects=True)
    assert "its agreement can no longer be replaced" in html(refused)
    client.post(f"/agreements/{agreement.id}/reissue", data=ISSUE_FORM | REISSUE)
    assert len(_documents(agreement)) == 1


# --- publishing the decisions --------------------------------------------------------------


def test_publishing_is_a_page_with_a_written_note(client, auth):
    auth.as_role("coordinator", locale="en")
    cohort = CohortFactory(state=CohortState.selection, is_current=True, quota=2)
    make_selected(cohort, 2, published=False)
    settings = db.session.scalar(select(SelectionSettings))
    settings.decisions_at = utcnow()
    db.session.commit()
    base = f"/selection/{cohort.id}"
    overview = html(client.get(base))
    assert f'href="{base}/publish"' in overview and f'action="{base}/publish"' not in overview
    page = html(client.get(f"{base}/publish"))
    assert 'data-count="selected">2<' in page and "cannot be undone" in page

    refused = client.post(f"{base}/publish", data={})
    assert refused.status_code == 400
    assert reload(settings).published_at is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    client.post(f"{base}/publish", data={"note": "Comité de sélection du 12 mars."})
    assert reload(settings).published_at is not None
    assert audit("selection.publish").details["note"] == "Comité de sélection du 12 mars."
    again = client.get(f"{base}/publish", follow_redirects=True)
    assert "already published" in html(again)


# --- checkboxes the server requires -------------------------------------------------------


def test_the_acceptance_box_is_required_in_the_page_and_refused_beside_it(client, world, fake_pdf):  # noqa: F811
    _cohort, _company, host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    _login(client, host)
    page = html(client.get(f"/agreements/{agreement.id}"))
    form = re.search(rf'<form[^>]*id="sign-form-{document.id}"[^>]*>', page).group(0)
    assert "novalidate" not in form  # the browser checks the box first
    assert re.search(rf'<input[^>]*id="doc{document.id}-accept"[^>]*required', page)
    response = client.post(f"/agreements/documents/{document.id}/sign", data={})
    assert response.status_code == 200  # the page, with the error beside the box
    assert f'id="doc{document.id}-accept-error"' in html(response)


# --- the student's menu ------------------------------------------------------------------------


def menu(client) -> set[str]:
    page = html(client.get("/dashboard"))
    nav = page.split("</nav>", 1)[0]
    return set(
        re.findall(
            r'id="(nav-(?:application|selection|my-offers|my-agreement|my-internship))"', nav
        )
    )


def test_before_applying_the_menu_shows_only_the_application(client, auth):
    open_cohort()
    auth.as_role("student", locale="en")
    assert menu(client) == {"nav-application"}


def test_a_selected_student_sees_the_selection_and_the_offers(client, auth):
    cohort = CohortFactory(state=CohortState.matching, is_current=True)
    (application,) = make_selected(cohort, 1)
    _login(client, application.student)
    assert menu(client) == {"nav-application", "nav-selection", "nav-my-offers"}


def test_a_placed_student_with_an_agreement_sees_it(client, auth, world, fake_pdf):  # noqa: F811
    _cohort, _company, _host, placement = world
    _issue_as_coordinator(client, placement)
    _login(client, placement.application.student)
    assert menu(client) == {
        "nav-application",
        "nav-selection",
        "nav-my-offers",
        "nav-my-agreement",
    }  # no internship yet
