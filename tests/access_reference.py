"""Access expectations for this domain's routes (merged into tests/test_access_matrix.py).

Keys are (endpoint, method); values map each role of ROLES to "ok", "login" or "forbidden".
``setup_values`` creates the sample objects the URLs need and returns the URL arguments.

Institutions are a reference list kept by admins; the per-cohort application settings are the
coordinators' (``cohort.manage``: coordinator and admin).
"""

from __future__ import annotations

from mnc_exchange.applications.models import Institution
from mnc_exchange.extensions import db
from tests.access_helpers import LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

ADMIN = only("admin")
COHORT_MANAGERS = only("coordinator", "admin")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("reference.institutions", "GET"): ADMIN,
    ("reference.create_institution", "GET"): ADMIN,
    ("reference.create_institution", "POST"): ADMIN,
    ("reference.edit_institution", "GET"): ADMIN,
    ("reference.edit_institution", "POST"): ADMIN,
    ("reference.toggle_institution", "POST"): ADMIN,
    ("reference.document_settings", "GET"): COHORT_MANAGERS,
    ("reference.document_settings", "POST"): COHORT_MANAGERS,
    ("reference.eligibility_settings", "GET"): COHORT_MANAGERS,
    ("reference.eligibility_settings", "POST"): COHORT_MANAGERS,
}


def setup_values(users, cohort, application) -> dict:
    institution = Institution(
        name="ENSIAS",
        city="Rabat",
        legal_representative="Pr. Test, directeur",
        address="Avenue Mohammed Ben Abdallah Regragui, Rabat",
        active=True,
    )
    db.session.add(institution)
    db.session.commit()
    return {"institution_id": institution.id}
