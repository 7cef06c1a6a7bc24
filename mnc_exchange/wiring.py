"""How the domains plug into what sits below them, without being imported by it.

- ``connect_reactions``: who reacts to which domain event (``core.signals``), in the order the
  reactions run. An earlier step of the year sends the event; the later domains' receivers do
  their part in the same transaction.
- ``register_audit_labels``: the domains' label dictionaries and forms that word the details
  of the audit events (``audit.events``).

``create_app`` calls ``connect`` (calling it twice changes nothing), so the application, the
CLI and the tests all have every reaction and every label.
"""

from __future__ import annotations


def connect() -> None:
    connect_reactions()
    register_audit_labels()


def connect_reactions() -> None:
    from .core import signals
    from .followup import services as followup
    from .placements import services as placements
    from .selection import services as selection

    # A withdrawal cancels the student's placement, then frees the seat for the waitlist.
    signals.application_withdrawn.connect(placements.on_withdrawal)
    signals.application_withdrawn.connect(selection.after_withdrawal)
    # A confirmed placement opens the internship and its checklist.
    signals.placement_confirmed.connect(followup.ensure_internship)
    # An amendment moves the dates of the checklist steps not done yet.
    signals.agreement_amended.connect(followup.reschedule_amended)
    # The internship certificate quotes the tutor's final evaluation.
    signals.tutor_appraisal.connect(followup.final_evaluation_summary)


def register_audit_labels() -> None:
    from .accounts.forms import ROLE_LABELS
    from .agreements import forms as agreement_forms
    from .agreements import services as agreements
    from .applications import services as applications
    from .applications.forms_reference import EligibilityRulesForm, InstitutionForm
    from .applications.reference import DOCUMENT_LABELS
    from .audit.events import register_field_form, register_labels
    from .cohorts import services as cohorts
    from .cohorts.forms import CohortForm
    from .followup import services as followup
    from .followup.forms_staff import EVALUATION_KIND_LABELS
    from .hosts.forms import CompanyForm
    from .offers import services as offers
    from .selection.forms_staff import SettingsForm

    statuses = ("from", "to", "override", "suggested_status")
    register_labels(ROLE_LABELS, "role")
    register_labels(cohorts.STATE_LABELS, *statuses, scope="cohort")
    register_labels(applications.STATUS_LABELS, *statuses, scope="application")
    register_labels(applications.STATUS_LABELS, *statuses, scope="selection")
    register_labels(applications.FIELD_LABELS, "fields", "changes", scope="application")
    register_labels(DOCUMENT_LABELS, "kind", scope="document")
    register_labels(DOCUMENT_LABELS, "required", "optional")
    register_labels(offers.STATUS_LABELS, *statuses, scope="offer")
    register_labels(agreements.PARTY_LABELS, "party")
    register_labels(agreement_forms.PREFECTURE_DECISION_LABELS, "decision", scope="agreement")
    register_labels(agreements.AMENDMENT_REASONS, "reasons", scope="agreement")
    register_labels(followup.INCIDENT_STATUS_LABELS, *statuses, scope="incident")
    register_labels(EVALUATION_KIND_LABELS, "kind", scope="evaluation")
    register_labels(followup.STEP_LABELS, "step", scope="internship")
    register_labels(followup.SEVERITY_LABELS, "severity")
    register_labels(followup.CATEGORY_LABELS, "category")
    register_labels(followup.SITUATION_LABELS, "situation")

    register_field_form("cohort.update", CohortForm)
    register_field_form("cohort.eligibility_rules", EligibilityRulesForm)
    register_field_form("institution", InstitutionForm)
    register_field_form("company", CompanyForm)
    register_field_form("selection.settings", SettingsForm)
