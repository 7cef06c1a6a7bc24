"""Audit events in the reader's language: one sentence per action, its details laid out.

``EVENTS`` maps an action code (``document.upload``) to a lazy sentence whose placeholders
are filled from the event's details (missing ones read "—"). ``describe`` returns the sentence
and the details as (label, value) rows, every value formatted for the reader (statuses, kinds
and parties by their labels, dates, numbers, yes / no). An unknown code gets a generic
sentence and its details as rows: the pages never show an action code or raw JSON.

The audit sits below every domain and imports none: the domains' label dictionaries and forms
are registered with ``register_labels`` / ``register_field_form`` (``mnc_exchange.wiring``,
called by ``create_app``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.i18n import decimal, long_date

# --- the sentences ---------------------------------------------------------------------------

EVENTS: dict[str, Any] = {
    # Accounts and logins
    "user.create": _l("Account created for %(email)s (%(role)s)"),
    "user.approve": _l("Account approved"),
    "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"),
    "user.locale": _l("Language of the e-mails changed to %(locale)s"),
    "user.password_change": _l("Password changed"),
    "user.company": _l("Company of the account changed"),
    "auth.login": _l("Logged in"),
    "auth.login_failed": _l("Failed login (%(reason)s)"),
    "auth.login_alert": _l("Owner warned by e-mail; failed logins: %(failures)s"),
    "auth.login_unconfirmed": _l("Login refused: e-mail address not confirmed yet"),
    "auth.logout_all": _l("Logged out of every session"),
    "auth.reset_requested": _l("Password reset requested"),
    "auth.reset_requested_unknown": _l("Password reset requested for an unknown address"),
    "auth.password_reset": _l("Password reset with the e-mailed link"),
    "auth.confirm_sent": _l("Confirmation link e-mailed"),
    "auth.email_confirmed": _l("E-mail address confirmed"),
    "auth.register_known_email": _l("Registration attempted with an address already in use"),
    "auth.register_attempt_sent": _l("Owner of the address told of a registration attempt"),
    # Cohorts and reference data
    "cohort.create": _l("Cohort %(year)s created"),
    "cohort.update": _l("Cohort changed"),
    "cohort.transition": _l("Cohort %(year)s: %(from)s → %(to)s"),
    "cohort.make_current": _l("Cohort %(year)s made the current one"),
    "cohort.eligibility_rules": _l("Eligibility rules changed"),
    "cohort.document_requirements": _l("Documents asked changed"),
    "cohort.demo_state": _l("Cohort set up by the demonstration data"),
    "institution.create": _l("Institution %(name)s added"),
    "institution.update": _l("Institution changed"),
    "institution.deactivate": _l("Institution %(name)s deactivated"),
    "institution.reactivate": _l("Institution %(name)s reactivated"),
    # Applications
    "application.create": _l("Application started"),
    "application.save": _l("Application saved"),
    "application.transition": _l("Status: %(from)s → %(to)s"),
    "application.screen_all": _l(
        "Rules applied to the %(year)s applications; eligible: %(eligible)s, not eligible: "
        "%(ineligible)s"
    ),
    "application.demo_state": _l("Application set up by the demonstration data"),
    "document.upload": _l("Document uploaded: %(kind)s (version %(version)s)"),
    "document.review": _l("Document reviewed"),
    # Selection
    "selection.settings": _l("Selection settings changed"),
    "selection.rubric": _l("Scoring rubric changed"),
    "selection.assign": _l("Applications given to reviewers"),
    "selection.reassign": _l("Review given to another reviewer"),
    "selection.conflict": _l("Conflict of interest declared by a reviewer"),
    "selection.review": _l("Review submitted (total %(total)s / 100)"),
    "selection.shortlist": _l("Shortlist made; shortlisted: %(shortlisted)s of %(size)s"),
    "selection.interview_scheduled": _l("Interview scheduled on %(starts_at)s"),
    "selection.decisions": _l("Selection decisions made"),
    "selection.override": _l("Decision changed: %(from)s → %(to)s"),
    "selection.publish": _l("Decisions published; students e-mailed: %(notified)s"),
    "selection.seat_offer": _l("Seat offered; days to answer: %(days)s"),
    "selection.seat_accepted": _l("Seat offer accepted"),
    "selection.seat_declined": _l("Seat offer declined"),
    "selection.seat_expired": _l("Seat offer expired without an answer"),
    "selection.seat_closed": _l("Seat offer closed by a changed decision"),
    "selection.waitlist_empty": _l("A seat is free but the waiting list is empty"),
    # Host companies and offers
    "company.register": _l("Company registered (SIRET %(siret)s)"),
    "company.update": _l("Company data changed"),
    "company.approve": _l("Company approved"),
    "company.reject": _l("Company refused"),
    "company.invite": _l("Colleague invited: %(email)s"),
    "company.invite_revoke": _l("Invitation withdrawn"),
    "company.join": _l("Invitation accepted"),
    "tutor.save": _l("Tutor saved"),
    "offer.create": _l("Offer created"),
    "offer.update": _l("Offer changed"),
    "offer.transition": _l("Offer: %(from)s → %(to)s"),
    # Matching and placements
    "matching.settings": _l("Matching settings changed"),
    "matching.preferences": _l("Student's ranking of offers saved"),
    "matching.company_ranking": _l("Company's ranking of candidates saved"),
    "matching.preview": _l("Matching preview computed; students matched: %(matched)s"),
    "matching.commit": _l("Matching committed; placements proposed: %(placements)s"),
    "placement.confirm": _l("Placement confirmed by the company"),
    "placement.decline": _l("Placement declined by the company"),
    "placement.cancel": _l("Placement cancelled"),
    "placement.expire": _l("Placement expired: the company did not answer in time"),
    # Agreements
    "agreement.issue": _l("Agreement %(number)s issued"),
    "agreement.reissue": _l("New version %(version)s of the agreement issued"),
    "agreement.sign": _l("%(reference)s signed by: %(party)s"),
    "agreement.fully_signed": _l("%(reference)s signed by every party"),
    "agreement.finalised": _l("Final version of %(reference)s produced"),
    "agreement.certificate_confirmed": _l(
        "Internship certificate %(reference)s confirmed and signed by the host"
    ),
    "agreement.prefecture_basis": _l(
        "%(reference)s: what the préfecture's answer covers was checked against the new terms"
    ),
    "agreement.prefecture": _l("Préfecture: %(decision)s"),
    "agreement.amend": _l("Amendment %(amendment)s issued"),
    "agreement.certificate": _l("Internship certificate issued (version %(version)s)"),
    # Follow-up
    "internship.create": _l("Internship opened"),
    "internship.step": _l("Checklist step done: %(step)s"),
    "internship.checkin": _l("Monthly check-in sent for %(month)s"),
    "internship.end_early": _l("Internship ended early on %(ended_on)s"),
    "internship.return": _l("Return to Morocco confirmed on %(returned_on)s"),
    "followup.criteria": _l("Evaluation criteria changed"),
    "evaluation.send": _l("Evaluation link e-mailed to the tutor (%(kind)s)"),
    "evaluation.revoke": _l("Evaluation link withdrawn"),
    "evaluation.submit": _l("Evaluation sent by the tutor (%(kind)s)"),
    "incident.report": _l("Incident reported (%(severity)s)"),
    "incident.comment": _l("Comment added to an incident"),
    "incident.severity": _l("Incident severity changed to %(severity)s"),
    "incident.transition": _l("Incident: %(from)s → %(to)s"),
    "survey.answer": _l("Survey answered: %(situation)s"),
    "survey.update": _l("Survey answer changed: %(situation)s"),
    "survey.unreachable": _l("Survey closed: the former intern could not be reached"),
    # Personal data
    "privacy.export": _l("Personal data exported"),
    "retention.anonymise": _l("Application anonymised (retention period over)"),
    "retention.account": _l("Account anonymised (retention period over)"),
}

GENERIC = _l("Event recorded")

#: What each details key means, for the rows under the sentence.
DETAIL_LABELS: dict[str, Any] = {
    "email": _l("E-mail"),
    "role": _l("Role"),
    "approved": _l("Approved"),
    "locale": _l("Language"),
    "reason": _l("Reason"),
    "failures": _l("Failed attempts"),
    "sessions_ended": _l("Sessions ended"),
    "link_sent": _l("Link sent"),
    "emailed": _l("E-mailed"),
    "year": _l("Year"),
    "quota": _l("Quota"),
    "from": _l("Before"),
    "to": _l("After"),
    "changes": _l("Changes"),
    "required": _l("Required"),
    "optional": _l("Optional"),
    "name": _l("Name"),
    "city": _l("City"),
    "active": _l("Active"),
    "fields": _l("Fields"),
    "cohort": _l("Cohort"),
    "message": _l("Message"),
    "override_reason": _l("Reason"),
    "suggested": _l("The rules suggested"),
    "resubmission": _l("Corrected application"),
    "document": _l("Rejected document"),
    "rank": _l("Rank"),
    "override": _l("Decision changed by hand"),
    "unplaced": _l("Could not be placed"),
    "application": _l("Application"),
    "kind": _l("Kind"),
    "version": _l("Version"),
    "sha256": _l("SHA-256 fingerprint"),
    "accepted": _l("Accepted"),
    "comment": _l("Comment"),
    "eligible": _l("Eligible"),
    "ineligible": _l("Not eligible"),
    "criteria": _l("Criteria"),
    "created": _l("Reviews created"),
    "replaces": _l("Replaces review"),
    "total": _l("Total"),
    "shortlisted": _l("Shortlisted"),
    "size": _l("Scored applications"),
    "starts_at": _l("Date and time"),
    "location": _l("Place or link"),
    "selected": _l("Selected"),
    "waitlisted": _l("Waitlisted"),
    "rejected": _l("Not selected"),
    "notified": _l("Students e-mailed"),
    "days": _l("Days to answer"),
    "withdrawn": _l("Application withdrawn"),
    "siret": _l("SIRET"),
    "identity_changed": _l("Legal identity changed"),
    "back_to_approval": _l("Back to approval"),
    "user": _l("Account"),
    "offers": _l("Offers ranked"),
    "entries": _l("Candidates ranked"),
    "matched": _l("Students matched"),
    "placements": _l("Placements"),
    "number": _l("Number"),
    "party": _l("Party"),
    "method": _l("Signature"),
    "reference": _l("Reference"),
    "submitted_on": _l("Submitted on"),
    "decision": _l("Decision"),
    "decided_on": _l("Decided on"),
    "amendment": _l("Amendment"),
    "reasons": _l("Reasons"),
    "placement": _l("Placement"),
    "step": _l("Step"),
    "done_on": _l("Done on"),
    "month": _l("Month"),
    "severity": _l("Severity"),
    "category": _l("Category"),
    "ended_on": _l("Ended on"),
    "early_return": _l("Early return to Morocco"),
    "returned_on": _l("Back on"),
    "wave": _l("Survey (months after the internship)"),
    "situation": _l("Situation"),
    "by_phone": _l("By phone"),
    "state": _l("State"),
    "note": _l("Note"),
    "status": _l("Status"),
}

#: Keys that name a date (stored as ISO strings).
DATE_KEYS = frozenset({"submitted_on", "decided_on", "done_on", "ended_on", "returned_on"})
#: Keys that name a number with decimals.
DECIMAL_KEYS = frozenset({"total"})

_FAILED_LOGIN_REASONS = {
    "password": _l("wrong password"),
    "throttled": _l("too many attempts"),
    "inactive": _l("account deactivated"),
}

_SIGNATURE_METHODS = {"in_app": _l("in the application"), "paper": _l("on paper")}


# --- value formatting ------------------------------------------------------------------------


def _family(action: str) -> str:
    return action.split(".", 1)[0]


#: The label dictionaries that word a stored value, registered by the domains that own them
#: (``register_labels``): (scope, key) → labels, the scope an action (``cohort.update``), a
#: family (``cohort``) or ``*`` (any action).
_VALUE_LABELS: dict[tuple[str, str], Mapping] = {}

#: The forms whose field labels name the fields an action's details list (``changes``,
#: ``identity_changed``, the settings' names), by action or family (``register_field_form``).
_FIELD_FORMS: dict[str, type] = {}


def register_labels(labels: Mapping, *keys: str, scope: str = "*") -> None:
    """Word the values stored under ``keys`` with ``labels`` (enum members or strings to lazy
    texts) in the events of ``scope``: an action, a family or ``*``."""
    for key in keys:
        _VALUE_LABELS[(scope, key)] = labels


def register_field_form(scope: str, form: type) -> None:
    """The fields named in the details of ``scope``'s events (an action or a family) read as
    ``form``'s labels."""
    _FIELD_FORMS[scope] = form


def _labels_for(action: str, key: str) -> dict | None:
    """The label dictionary that words the stored value of ``key`` for ``action``."""
    if key == "locale":
        return {"fr": _l("French"), "en": _l("English")}
    if key == "reason" and action == "auth.login_failed":
        return _FAILED_LOGIN_REASONS
    if key == "method":
        return _SIGNATURE_METHODS
    if key in ("changes", "identity_changed") and field_labels(action):
        return field_labels(action)
    if key == "changes" and action.endswith("requirements"):
        key = "required"  # a change of the documents asked names the documents
    for scope in (action, _family(action), "*"):
        labels = _VALUE_LABELS.get((scope, key))
        if labels is not None:
            return _norm(labels)
    return None


def field_labels(action: str) -> dict:
    """The labels of the form fields an action's details name, or {}."""
    form = _FIELD_FORMS.get(action) or _FIELD_FORMS.get(_family(action))
    if form is None:
        return {}
    labels = {}
    for name in dir(form):
        unbound = getattr(form, name, None)
        if getattr(unbound, "field_class", None) is None:
            continue
        label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
        if label is not None:
            labels[name] = label
    return labels


def _norm(labels: dict) -> dict:
    """A label dictionary keyed by the stored values (enum members give their value)."""
    return {getattr(k, "value", k): v for k, v in labels.items()}


def _text(value: Any) -> str:
    """A stored value in the reader's language (no label dictionary)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return str(value)  # years, ids, counts: no thousands separator ("2031")
    if isinstance(value, float | Decimal):
        return decimal(value)
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(_pair(_key_label(k), _text(v)) for k, v in value.items())
    text = str(value)
    if len(text) == 10 and text[4:5] == "-" and text[7:8] == "-":  # an ISO date
        return long_date(text)
    if re.fullmatch(r"-?\d+\.\d+", text):  # a decimal kept as a string ("12.50")
        return decimal(text, len(text.split(".")[1]))
    return text


def _pair(label: str, value: str) -> str:
    """``label: value`` with the reader's punctuation (``label : value`` in French)."""
    return _("%(label)s: %(value)s", label=label, value=value)


def _key_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def format_value(action: str, key: str, value: Any) -> str:
    """One details value, worded for the reader."""
    if key in DATE_KEYS or key == "starts_at":
        if not value:
            return "—"
        if key == "starts_at":
            from datetime import datetime

            from ..templating import localdt

            try:
                return localdt(datetime.fromisoformat(str(value)))
            except ValueError:
                return str(value)
        return long_date(value)
    if key == "month" and value:
        from babel.dates import format_date
        from flask_babel import get_locale

        try:
            from datetime import date

            return format_date(date.fromisoformat(str(value)[:10]), "MMMM y", str(get_locale()))
        except ValueError:
            return str(value)
    if key == "sha256" and isinstance(value, str):
        return value[:12] + "…"
    if key == "suggested" and isinstance(value, bool):
        return _("eligible") if value else _("not eligible")
    if key in DECIMAL_KEYS and value not in (None, "", "None"):
        try:
            return decimal(Decimal(str(value)), 2)
        except InvalidOperation:
            return str(value)
    if key == "changes" and isinstance(value, dict):
        return "; ".join(_change(action, name, change) for name, change in value.items())
    labels = _labels_for(action, key)
    if labels is not None:
        if isinstance(value, list | tuple):
            return ", ".join(str(labels.get(v, _text(v))) for v in value) or "—"
        if isinstance(value, str | int) and value in labels:
            return str(labels[value])
    return _text(value)


def _change(action: str, name: str, change: Any) -> str:
    """``field: before → after`` for one entry of a ``changes`` detail."""
    labels = _labels_for(action, "changes") or {}
    label = str(labels.get(name, _key_label(name)))
    if isinstance(change, dict) and {"before", "after"} <= set(change):
        before, after = change["before"], change["after"]
    elif isinstance(change, list | tuple) and len(change) == 2:
        before, after = change
    else:
        return _pair(label, _text(change))
    if action.endswith("requirements"):
        levels = {True: _l("Required"), False: _l("Optional"), None: _l("Not asked")}
        before, after = levels.get(before, _text(before)), levels.get(after, _text(after))
        return _pair(label, f"{before} → {after}")
    return _pair(label, f"{_text(before)} → {_text(after)}")


# --- describing an event ---------------------------------------------------------------------


class _Params(dict):
    """Sentence placeholders; a missing one reads "—"."""

    def __missing__(self, key: str) -> str:
        return "—"


@dataclass(frozen=True)
class Described:
    sentence: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    known: bool = True


def _special_params(action: str, details: dict) -> dict:
    if action == "agreement.prefecture":
        return {"decision": format_value(action, "decision", details.get("decision"))}
    return {}


def describe(action: str, details: dict | None, *, skip: tuple[str, ...] = ()) -> Described:
    """The sentence for ``action`` and its details as (label, value) rows (``skip``: keys
    the page already shows)."""
    if not isinstance(details, dict):
        details = {"value": details} if details else {}
    params = _Params({k: format_value(action, k, v) for k, v in details.items()})
    params.update(_special_params(action, details))
    template = EVENTS.get(action)
    if action == "document.review" and "accepted" in details:
        template = _l("Document accepted") if details["accepted"] else _l("Document rejected")
    names = field_labels(action) if action == "selection.settings" else {}
    rows = [
        (str(names[key]) if key in names else _key_label(key), format_value(action, key, value))
        for key, value in details.items()
        if key not in skip and value not in (None, "", [], {})
    ]
    if template is None:
        return Described(str(GENERIC), rows, known=False)
    return Described(str(template) % params, rows)


#: Tables named as audit targets, for the audit log's "Target" column.
TARGET_LABELS: dict[str, Any] = {
    "users": _l("Account"),
    "cohorts": _l("Cohort"),
    "institutions": _l("Institution"),
    "applications": _l("Application"),
    "documents": _l("Document"),
    "companies": _l("Company"),
    "company_invitations": _l("Invitation"),
    "tutors": _l("Tutor"),
    "offers": _l("Offer"),
    "placements": _l("Placement"),
    "matching_runs": _l("Matching run"),
    "matching_settings": _l("Matching settings"),
    "agreements": _l("Agreement"),
    "agreement_documents": _l("Agreement document"),
    "internships": _l("Internship"),
    "incidents": _l("Incident"),
    "tutor_evaluations": _l("Evaluation"),
    "employment_surveys": _l("Survey"),
    "review_assignments": _l("Review"),
    "seat_offers": _l("Seat offer"),
}


def target_label(target_type: str | None, target_id: int | None) -> str:
    if not target_type:
        return "—"
    label = TARGET_LABELS.get(target_type)
    name = str(label) if label is not None else _("Record")
    return _("%(what)s no. %(id)s", what=name, id=target_id) if target_id else name


#: Families of actions, for the audit log's filter.
FAMILY_LABELS: dict[str, Any] = {
    "auth": _l("Logins"),
    "user": _l("Accounts"),
    "cohort": _l("Cohorts"),
    "institution": _l("Institutions"),
    "application": _l("Applications"),
    "document": _l("Documents"),
    "selection": _l("Selection"),
    "company": _l("Companies"),
    "tutor": _l("Tutors"),
    "offer": _l("Offers"),
    "matching": _l("Matching"),
    "placement": _l("Placements"),
    "agreement": _l("Agreements"),
    "internship": _l("Internships"),
    "followup": _l("Follow-up"),
    "evaluation": _l("Evaluations"),
    "incident": _l("Incidents"),
    "survey": _l("Surveys"),
    "privacy": _l("Personal data"),
    "retention": _l("Retention"),
}
