"""The quota under concurrency: coordinators overriding decisions and students accepting
seat offers at the same moment never take more seats than the quota.

Each thread works in its own app context of ``app`` (its own session and connection), like
concurrent requests; a barrier makes them start together. The row lock on the cohort
(``SELECT … FOR UPDATE``) only means something on PostgreSQL, so the module runs there only:
CI runs the whole suite a second time on PostgreSQL.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from mnc_exchange.applications.models import Application, ApplicationStatus
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.config import normalise_database_url
from mnc_exchange.core.errors import DomainError
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.selection import services
from mnc_exchange.selection.models import SeatOffer, SeatOfferStatus
from tests.factories import CohortFactory, UserFactory

A = ApplicationStatus
T0 = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
THREADS = 8
ROUNDS = 5
TIMEOUT = 60  # seconds: a deadlock fails the test instead of hanging the suite


def _database_url() -> str:
    """The URL conftest's ``database_url`` fixture uses (same variables, same order)."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    return normalise_database_url(url) if url else ""


def _skip_reason() -> str:
    if os.environ.get("CI") == "true":
        return "needs PostgreSQL; runs in CI's PostgreSQL pass"
    return (
        "needs PostgreSQL; set DATABASE_URL=postgresql+psycopg://… to run it "
        "(it runs in CI's PostgreSQL pass)"
    )


IS_POSTGRESQL = _database_url().startswith("postgresql")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not IS_POSTGRESQL, reason=_skip_reason()),
]


@pytest.fixture(autouse=True)
def _really_postgresql(database_url):
    """The module-level check and the fixture agree (never a silent SQLite run)."""
    assert normalise_database_url(database_url).startswith("postgresql")


# --- helpers ---------------------------------------------------------------------------------

_seq = count(1)


def make_application(cohort: Cohort, status: ApplicationStatus, **attrs) -> Application:
    n = next(_seq)
    student = UserFactory(locale="en")
    application = Application(
        cohort_id=cohort.id,
        student_id=student.id,
        status=status,
        submitted_at=T0 + timedelta(minutes=n),
        first_name=f"Prénom{n}",
        last_name=f"Nom{n}",
        pole_ranking=[],
        **attrs,
    )
    db.session.add(application)
    db.session.flush()
    return application


def published_cohort(quota: int, selected: int, waitlisted: int, rejected: int):
    """Decisions made and published: ``selected`` seats taken, a ranked waitlist."""
    cohort = CohortFactory(quota=quota, state=CohortState.selection)
    rank = count(1)
    for _ in range(selected):
        make_application(cohort, A.selected, final_rank=next(rank))
    wait = [
        make_application(cohort, A.waitlisted, final_rank=next(rank), waitlist_rank=i)
        for i in range(1, waitlisted + 1)
    ]
    rej = [make_application(cohort, A.rejected, final_rank=next(rank)) for _ in range(rejected)]
    settings = services.settings_for(cohort)
    settings.decisions_at = settings.published_at = utcnow()
    db.session.commit()
    return cohort, wait, rej


def race(app, jobs: list[Callable[[], Callable[[], None]]]) -> list[object]:
    """Run each job in its own thread and app context, all released together by a barrier;
    each commits its work (or rolls back on DomainError). Returns "ok" or the exception, per
    job."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], Callable[[], None]]) -> None:
        with app.app_context():
            try:
                action = job()  # load the rows first, as a request does
                barrier.wait(timeout=TIMEOUT)
                action()
                db.session.commit()
                results[index] = "ok"
            except DomainError as exc:
                db.session.rollback()
                results[index] = exc
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                results[index] = exc
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=worker, args=(i, job), daemon=True) for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    unexpected = [r for r in results if r != "ok" and not isinstance(r, DomainError)]
    assert not unexpected, unexpected
    return results


def override_job(application_id: int):
    def load():
        application = db.session.get(Application, application_id)
        application.cohort  # noqa: B018 - loaded before the race, as in a request
        return lambda: services.override_decision(application, A.selected, "Recours accepté")

    return load


def accept_job(offer_id: int):
    def load():
        offer = db.session.get(SeatOffer, offer_id)
        offer.application.cohort  # noqa: B018 - loaded before the race, as in a request
        return lambda: services.respond_to_offer(offer, True)

    return load


def decline_job(offer_id: int):
    def load():
        offer = db.session.get(SeatOffer, offer_id)
        offer.application.cohort  # noqa: B018
        return lambda: services.respond_to_offer(offer, False)

    return load


def fresh_seats(cohort: Cohort) -> int:
    db.session.expire_all()
    return services.seats_taken(cohort)


def count_selected(cohort_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.cohort_id == cohort_id, Application.status == A.selected)
    )


def count_overrides(applications: list[Application]) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "selection.override",
            AuditEvent.target_id.in_([a.id for a in applications]),
        )
    )


def count_offers(offers: list[SeatOffer], status: SeatOfferStatus) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(SeatOffer)
        .where(SeatOffer.id.in_([o.id for o in offers]), SeatOffer.status == status)
    )


# --- tests -----------------------------------------------------------------------------------


def test_concurrent_overrides_take_only_the_last_seat(app):
    quota = 3
    for round_ in range(ROUNDS):
        cohort, _, rejected = published_cohort(quota, quota - 1, waitlisted=2, rejected=THREADS)
        assert services.seats_taken(cohort) == quota - 1

        results = race(app, [override_job(a.id) for a in rejected])

        assert results.count("ok") == 1, (round_, results)
        assert all("quota" in r.message for r in results if r != "ok"), results
        assert fresh_seats(cohort) == quota, round_
        assert count_selected(cohort.id) == quota
        assert count_overrides(rejected) == 1


def test_concurrent_offer_acceptances_and_overrides_respect_the_quota(app):
    """One free seat; several open offers (e.g. made before a coordinator's overrides filled
    seats) are accepted while coordinators override rejections: exactly one of them wins."""
    quota = 4
    for round_ in range(ROUNDS):
        cohort, waitlisted, rejected = published_cohort(
            quota, quota - 1, waitlisted=THREADS // 2, rejected=THREADS // 2
        )
        now = utcnow()
        offers = [
            SeatOffer(application_id=a.id, offered_at=now, deadline_at=now + timedelta(days=7))
            for a in waitlisted
        ]
        db.session.add_all(offers)
        db.session.commit()

        jobs = [accept_job(o.id) for o in offers] + [override_job(a.id) for a in rejected]
        results = race(app, jobs)

        assert results.count("ok") == 1, (round_, results)
        assert fresh_seats(cohort) == quota, round_
        assert count_selected(cohort.id) == quota
        accepted = count_offers(offers, SeatOfferStatus.accepted)
        assert accepted + count_overrides(rejected) == 1
        # The losing acceptances were rolled back: their offers are still open.
        assert count_offers(offers, SeatOfferStatus.open) == len(offers) - accepted


def test_an_offer_answered_twice_at_the_same_moment_is_answered_once(app):
    quota = 2
    cohort, waitlisted, _ = published_cohort(quota, quota - 1, waitlisted=2, rejected=0)
    now = utcnow()
    offer = SeatOffer(
        application_id=waitlisted[0].id, offered_at=now, deadline_at=now + timedelta(days=7)
    )
    db.session.add(offer)
    db.session.commit()

    results = race(app, [accept_job(offer.id), decline_job(offer.id)])

    db.session.expire_all()
    assert services.seats_taken(cohort) <= quota
    open_offers = db.session.scalar(
        select(func.count()).select_from(SeatOffer).where(SeatOffer.status == SeatOfferStatus.open)
    )
    assert services.seats_taken(cohort) + open_offers <= quota, "an offer beyond the quota"
    assert results.count("ok") == 1, results
