"""The cohort a page works on (issue 14 §2): matching, agreements, follow-up, offers and
applications open on the cohort at the stage the page is about, remember the last cohort chosen
per user and page family, and show the cohort in the page title."""

from __future__ import annotations

import html as html_lib
import re
from itertools import count

import pytest

from mnc_exchange.accounts.models import Role
from mnc_exchange.applications.models import Application, ApplicationStatus
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from mnc_exchange.followup.models import Internship
from mnc_exchange.main.working_cohort import PAGE_KINDS, stage_cohort
from mnc_exchange.placements.models import MatchingRun, Placement, PlacementStatus
from tests.factories import PASSWORD, CohortFactory, OfferFactory, UserFactory, make_selected

S = CohortState
_seq = count(1)

#: Page family -> a page of it (all open on the family's working cohort).
PAGES = {
    "applications": ["/screening/"],
    "offers": ["/offers"],
    "matching": ["/matching"],
    "agreements": ["/agreements/"],
    "followup": ["/followup", "/followup/incidents", "/followup/returns", "/followup/criteria"],
}
TITLES = {
    "/screening/": "Applications",
    "/offers": "Internship offers",
    "/matching": "Matching",
    "/agreements/": "Internship agreements",
    "/followup": "Interns board",
    "/followup/incidents": "Incidents",
    "/followup/returns": "Returns and employment",
    "/followup/criteria": "Evaluation criteria",
}


def placement(cohort, status=PlacementStatus.confirmed) -> Placement:
    offer = OfferFactory(cohort=cohort)
    (selected,) = make_selected(cohort, 1, start_rank=next(_seq))
    row = Placement(
        cohort_id=cohort.id, application_id=selected.id, offer_id=offer.id, status=status
    )
    db.session.add(row)
    db.session.commit()
    return row


def interns(cohort) -> None:
    row = placement(cohort)
    db.session.add(Internship(placement_id=row.id, cohort_id=cohort.id))
    db.session.commit()


def matching_run(cohort) -> None:
    db.session.add(
        MatchingRun(cohort_id=cohort.id, inputs={}, result={}, statistics={}, explanations={})
    )
    db.session.commit()


@pytest.fixture
def years():
    """Five cohorts, each at another stage of the year:

    2024 archived (interns long back), 2025 returned, 2026 abroad (interns, confirmed
    placements), 2027 being matched (a run, proposed placements only), 2028 open and current
    (offers coming in)."""
    cohorts = {
        2024: CohortFactory(year=2024, state=S.archived),
        2025: CohortFactory(year=2025, state=S.returned),
        2026: CohortFactory(year=2026, state=S.abroad),
        2027: CohortFactory(year=2027, state=S.matching),
        2028: CohortFactory(year=2028, state=S.open, is_current=True),
    }
    for year in (2024, 2025, 2026):
        interns(cohorts[year])
        matching_run(cohorts[year])
    matching_run(cohorts[2027])
    placement(cohorts[2027], PlacementStatus.proposed)
    OfferFactory(cohort=cohorts[2028], status="submitted")
    return cohorts


EXPECTED = {
    "applications": 2028,  # the open call
    "offers": 2028,  # still taking offers, and has some
    "matching": 2027,  # being matched
    "agreements": 2026,  # the newest with confirmed placements
    "followup": 2026,  # abroad
}


def title(client, path: str, **args) -> str:
    response = client.get(path, query_string=args)
    assert response.status_code == 200, (path, response.status_code)
    found = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)
    return html_lib.unescape(found.group(1)).strip()


def expected_title(path: str, cohort) -> str:
    return f"{TITLES[path]} — {cohort.title} · MNC Exchange"


@pytest.fixture
def coordinator(auth):
    return auth.as_role("coordinator", locale="en")


def test_each_kind_picks_the_cohort_at_its_stage(years):
    newest_first = sorted(years.values(), key=lambda c: -c.year)
    for kind in PAGE_KINDS:
        assert stage_cohort(kind, newest_first).year == EXPECTED[kind], kind
    with pytest.raises(ValueError):
        stage_cohort("reports", newest_first)


def test_fallbacks_when_no_cohort_is_at_the_stage():
    draft = CohortFactory(year=2030, state=S.draft)
    current = CohortFactory(year=2029, state=S.closed, is_current=True)
    cohorts = [draft, current]
    # Nothing matched, placed or followed yet: the current cohort.
    for kind in ("matching", "agreements", "followup"):
        assert stage_cohort(kind, cohorts) == current, kind
    assert stage_cohort("applications", cohorts) == current  # closed: being screened
    assert stage_cohort("offers", cohorts) == current  # taking offers (current first)
    assert stage_cohort("applications", []) is None


def test_last_matched_and_last_abroad(years):
    """Once matching is over, matching opens on the last cohort matched; follow-up on the last
    one with interns when none is abroad."""
    years[2027].state = S.placed
    interns(years[2027])
    years[2026].state = S.returned
    db.session.commit()
    newest_first = sorted(years.values(), key=lambda c: -c.year)
    assert stage_cohort("matching", newest_first).year == 2027
    assert stage_cohort("followup", newest_first).year == 2027
    assert stage_cohort("agreements", newest_first).year == 2027


def test_pages_open_on_their_cohort_and_show_it_in_the_title(client, coordinator, years):
    for kind, paths in PAGES.items():
        for path in paths:
            assert title(client, path) == expected_title(path, years[EXPECTED[kind]]), path


def test_the_choice_is_remembered_per_page_family(client, coordinator, years):
    chosen = years[2025]
    assert title(client, "/matching", cohort=chosen.id) == expected_title("/matching", chosen)
    # Back without a choice: the remembered one.
    assert title(client, "/matching") == expected_title("/matching", chosen)
    # Another family keeps its own.
    assert title(client, "/agreements/") == expected_title("/agreements/", years[2026])
    # One choice serves every page of the family.
    assert title(client, "/followup/returns", cohort=chosen.id) == expected_title(
        "/followup/returns", chosen
    )
    for path in PAGES["followup"]:
        assert title(client, path) == expected_title(path, chosen), path
    # A new choice replaces the old one.
    assert title(client, "/matching", cohort=years[2024].id)
    assert title(client, "/matching") == expected_title("/matching", years[2024])
    # An unknown cohort is a 404 and changes nothing.
    assert client.get("/matching?cohort=999999").status_code == 404
    assert title(client, "/matching") == expected_title("/matching", years[2024])


def test_the_memory_is_per_user(client, auth, coordinator, years):
    title(client, "/offers", cohort=years[2025].id)
    assert title(client, "/offers") == expected_title("/offers", years[2025])
    client.post("/logout")
    other = UserFactory(role=Role.coordinator, locale="en")
    client.post("/login", data={"email": other.email, "password": PASSWORD})
    assert title(client, "/offers") == expected_title("/offers", years[2028])


def test_a_memory_from_another_user_is_ignored(client, coordinator, years):
    """Even if the session still carried another account's choice (as a remember-me
    cookie could), it is not applied."""
    with client.session_transaction() as session:
        session["working_cohorts"] = {"user": coordinator.id + 1000, "matching": years[2024].id}
    assert title(client, "/matching") == expected_title("/matching", years[2027])
    with client.session_transaction() as session:
        session["working_cohorts"] = {"user": coordinator.id, "matching": "not an id"}
    assert title(client, "/matching") == expected_title("/matching", years[2027])


def test_a_posted_form_does_not_change_the_memory(client, coordinator, years):
    title(client, "/matching", cohort=years[2025].id)
    # The settings form posts to ?cohort=<id>: working on a cohort is not choosing it.
    client.post(f"/matching/settings?cohort={years[2026].id}", data={})
    assert title(client, "/matching") == expected_title("/matching", years[2025])


def test_pages_without_any_cohort(client, coordinator):
    for paths in PAGES.values():
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path


def test_the_screening_list_of_the_open_call(client, coordinator, years):
    submitted = Application(
        cohort_id=years[2028].id,
        student_id=UserFactory(role=Role.student).id,
        status=ApplicationStatus.submitted,
        last_name="Ouvert",
        pole_ranking=[],
        eligibility_reasons=[],
    )
    db.session.add(submitted)
    db.session.commit()
    page = client.get("/screening/").get_data(as_text=True)
    assert f'data-application="{submitted.id}"' in page


def test_the_cohort_page_links_to_its_pages_and_report(client, coordinator, years):
    cohort = years[2026]
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    for link in (
        f"/screening/?cohort={cohort.id}",
        f"/offers?cohort={cohort.id}",
        f"/matching?cohort={cohort.id}",
        f"/agreements/?cohort={cohort.id}",
        f"/followup?cohort={cohort.id}",
        f"/reports?year={cohort.year}",
    ):
        assert f'href="{link}"' in page, link


def test_officials_see_only_the_report_link(client, auth, years):
    auth.as_role("official", locale="en")
    cohort = years[2026]
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f'href="/reports?year={cohort.year}"' in page
    assert "/matching?" not in page and "/screening/?" not in page
