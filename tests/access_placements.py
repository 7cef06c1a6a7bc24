"""Access expectations for the placements pages (merged into tests/test_access_matrix.py).

The shared setup gives: users["host"] belongs to an approved company with one published offer
of the sample cohort (values "company_id", "offer_id", "tutor_id"); users["pending_host"]
belongs to a company waiting for approval.

``setup_values`` adds a selected student (not the shared draft ``application`` of
users["student"]) who ranked a new published offer of the host's company, and a committed run
that proposed that student to it: "run_id" and "placement_id". The shared ``application``
stays invisible to the host company (it ranked nothing), so:

- candidates.profile (URL with the shared application) is forbidden for the host too (404);
  the visible case is covered in tests/test_placements_views.py;
- my_ranking.index works for the student (a draft: the page says only selected students rank;
  the empty POST is refused with a message and a redirect);
- matching.release of the shared draft is answered (form errors / refusal), never a 500;
- candidates.confirm as the host confirms the proposed placement (a redirect).
"""

from __future__ import annotations

from tests.access_helpers import FORBIDDEN, LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

STAFF = ("coordinator", "admin")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("my_ranking.index", "GET"): only("student"),
    ("my_ranking.index", "POST"): only("student"),
    ("candidates.offer", "GET"): only("host"),
    ("candidates.offer", "POST"): only("host"),
    # The shared application did not rank the host's offers: not shown to the host either.
    ("candidates.profile", "GET"): only(),
    ("candidates.placements", "GET"): only("host"),
    ("candidates.confirm", "POST"): only("host"),
    ("candidates.decline", "POST"): only("host"),
    ("matching.index", "GET"): only(*STAFF),
    ("matching.settings", "POST"): only(*STAFF),
    ("matching.run", "POST"): only(*STAFF),
    ("matching.run_detail", "GET"): only(*STAFF),
    ("matching.commit", "POST"): only(*STAFF),
    ("matching.cancel_placement", "GET"): only(*STAFF),
    ("matching.cancel_placement", "POST"): only(*STAFF),
    ("matching.release", "POST"): only(*STAFF),
}


def setup_values(users, cohort, application) -> dict:
    from mnc_exchange.extensions import db
    from mnc_exchange.hosts.models import Company
    from mnc_exchange.placements import services
    from mnc_exchange.placements.models import StudentPreference
    from tests.factories import OfferFactory, make_selected

    host = users["host"]
    company = db.session.get(Company, host.company_id)
    offer = OfferFactory(cohort=cohort, company=company, title="Offre du matching")
    candidate = make_selected(cohort, 1, published=False, start_rank=99)[0]
    db.session.add(StudentPreference(application_id=candidate.id, offer_id=offer.id, rank=1))
    db.session.commit()
    run = services.run_preview(cohort, users["coordinator"])
    (placement,) = services.commit_run(run, users["coordinator"])
    db.session.commit()
    return {"run_id": run.id, "placement_id": placement.id}
