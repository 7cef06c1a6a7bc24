"""The applications' stored name sort keys (``sort_last_name``, ``sort_first_name``): they
sort exactly as the expression the screening list sorted by before (the last name, else the
account's full name, lower-cased by the database; then the first name), follow every rename,
and the list's queries use them (the counts without the accounts when there is no search)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, or_, select

from mnc_exchange.accounts.models import User
from mnc_exchange.applications import screening
from mnc_exchange.applications.models import Application, ApplicationStatus, refresh_sort_keys
from mnc_exchange.extensions import db
from tests.test_screening import make_application, make_cohort, make_student

A = ApplicationStatus
F = screening.Filters

#: (last name, first name, account's full name, status): empty and missing last names (the
#: account's name shown instead), missing first names, case, accents, spaces, ties.
TRICKY = [
    ("Zidane", "Ali", "Compte Zidane", A.submitted),
    ("", None, "Ahmed Benali", A.draft),
    (None, "Xavier", "émile Zola", A.submitted),
    (None, None, "Émile Zola", A.eligible),
    ("ÉCOLE", "b", "Compte 1", A.returned),
    ("école", "a", "Compte 2", A.submitted),
    ("Ecole", "A", "Compte 3", A.submitted),
    ("Alaoui", None, "Compte 4", A.ineligible),
    ("alaoui", "Brahim", "Compte 5", A.submitted),
    ("ALAOUI", "", "Compte 6", A.draft),
    ("alaoui", "brahim", "Compte 7", A.eligible),
    (" Alaoui", "Zineb", "Compte 8", A.submitted),
    ("El Fassi", "Ñora", "Compte 9", A.withdrawn),
    ("El-Fassi", "ñora", "Compte 10", A.submitted),
    ("Øster", "Åsa", "Compte 11", A.submitted),
    ("İnan", "Ilker", "Compte 12", A.submitted),
    ("", "", "alaoui", A.submitted),
]


def _old_name_key():
    """The screening list's name key before the stored keys (on the joined account)."""
    return func.lower(func.coalesce(func.nullif(Application.last_name, ""), User.full_name))


def _old_first_key():
    return func.lower(func.coalesce(Application.first_name, ""))


@pytest.fixture
def tricky(app):
    cohort = make_cohort()
    for last, first, full_name, status in TRICKY:
        make_application(
            cohort,
            student=make_student(full_name=full_name),
            commit=False,
            last_name=last,
            first_name=first,
            status=status,
            submitted_at=None,
        )
    db.session.commit()
    db.session.expire_all()
    return cohort


def _ids(query) -> list[int]:
    return list(db.session.scalars(query))


def _joined(cohort):
    return (
        select(Application.id).join(Application.student).where(Application.cohort_id == cohort.id)
    )


def test_stored_keys_are_the_old_expression(tricky):
    rows = db.session.execute(
        _joined(tricky).add_columns(
            Application.sort_last_name,
            _old_name_key(),
            Application.sort_first_name,
            _old_first_key(),
        )
    ).all()
    assert len(rows) == len(TRICKY)
    for _id, stored_last, old_last, stored_first, old_first in rows:
        assert (stored_last, stored_first) == (old_last, old_first)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_name_order_is_the_old_one(tricky, direction):
    desc = direction == "desc"
    old = [_old_name_key(), _old_first_key(), Application.id]
    expected = _ids(_joined(tricky).order_by(*(k.desc() if desc else k.asc() for k in old)))
    filters = screening.Filters(sort="name", direction=direction)
    listed = [a.id for a in db.session.scalars(screening.list_query(tricky, filters)).unique()]
    paged = [
        a.id for a in db.session.scalars(screening.page_query(tricky, filters)(100, 0)).unique()
    ]
    assert listed == paged == expected
    # A page further on is the same slice of the order.
    later = screening.page_query(tricky, filters)(5, 5)
    assert [a.id for a in db.session.scalars(later).unique()] == expected[5:10]


@pytest.mark.parametrize("sort", ["submitted", "average", "status"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_other_sorts_break_ties_by_name_as_before(tricky, sort, direction):
    filters = screening.Filters(sort=sort, direction=direction)
    desc = direction == "desc"
    first = {
        "submitted": Application.submitted_at,
        "average": Application.grade_average,
        "status": screening._order(filters)[0].element.element,  # the status rank (CASE)
    }[sort]
    expected = _ids(
        _joined(tricky).order_by(
            (first.desc() if desc else first.asc()).nulls_last(),
            _old_name_key().asc(),
            Application.id.desc() if desc else Application.id.asc(),
        )
    )
    paged = [
        a.id for a in db.session.scalars(screening.page_query(tricky, filters)(100, 0)).unique()
    ]
    assert paged == expected


def test_the_search_finds_what_it_found(tricky):
    """The first and last names are no longer searched apart (the full name holds both)."""
    for needle in ("alaoui", "ÉCOLE".lower(), "Brahim", "fassi", "compte 1", "zola", "ali z"):
        filters = screening.Filters(q=needle)
        pattern = needle.lower()
        full = (
            func.coalesce(Application.first_name, "")
            + " "
            + func.coalesce(Application.last_name, "")
        )
        columns = [
            Application.first_name,
            Application.last_name,
            full,
            User.full_name,
            User.email,
            Application.cin,
        ]
        matches = or_(*(func.lower(c).contains(pattern, autoescape=True) for c in columns))
        expected = set(_ids(_joined(tricky).where(matches)))
        assert expected, needle
        found = {a.id for a in db.session.scalars(screening.list_query(tricky, filters)).unique()}
        assert found == expected, needle


def _keys(application: Application) -> tuple[str, str]:
    db.session.refresh(application)
    return application.sort_last_name, application.sort_first_name


def _old_keys(application_id: int) -> tuple[str, str]:
    """The old expressions' values (the database lower-cases: ASCII only on SQLite)."""
    query = _joined_all().where(Application.id == application_id)
    return tuple(
        db.session.execute(query.with_only_columns(_old_name_key(), _old_first_key())).one()
    )


def _joined_all():
    return select(Application.id).join(Application.student)


def test_the_keys_follow_renames(app):
    cohort = make_cohort()
    named = make_application(cohort, last_name="Bennani", first_name="Sara")
    student = make_student(full_name="Yasmine Idrissi")
    unnamed = make_application(cohort, student=student, last_name=None, first_name=None)
    assert _keys(named) == ("bennani", "sara")
    assert _keys(unnamed) == ("yasmine idrissi", "")

    # The application's names change.
    named.last_name, named.first_name = "Chraïbi", "Leïla"
    db.session.commit()
    assert _keys(named) == ("chraïbi", "leïla")
    named.last_name = ""  # no last name: the account's name is shown
    db.session.commit()
    assert _keys(named) == (named.student.full_name.lower(), "leïla")

    # The account's full name changes: the application without a last name follows, not the
    # one with a last name (another cohort's application of the same student).
    other = make_application(make_cohort(year=2031, is_current=False), student=student)
    before = _keys(other)
    student.full_name = "Yasmine El Idrissi"
    db.session.commit()
    assert _keys(unnamed) == ("yasmine el idrissi", "")
    assert _keys(other) == before

    # Both at once, in one flush; and an account created with its application.
    student.full_name = "Y. Idrissi"
    unnamed.first_name = "Yasmine"
    db.session.commit()
    assert _keys(unnamed) == ("y. idrissi", "yasmine")
    newcomer = User(
        email="newcomer@example.org",
        full_name="Nouveau Venu",
        role=student.role,
        locale="fr",
        active=True,
        password_hash="!",
    )
    fresh = make_application(cohort, student=newcomer, last_name=None, commit=False)
    db.session.commit()
    assert _keys(fresh)[0] == "nouveau venu"

    # Loaded without its account: the flush reads the account's name itself.
    fresh_id = fresh.id
    db.session.expire_all()
    db.session.get(Application, fresh_id).first_name = "Ünal"
    db.session.commit()
    assert _keys(db.session.get(Application, fresh_id)) == _old_keys(fresh_id)
    assert _old_keys(fresh_id)[0] == "nouveau venu"

    # The order of the list follows.
    ids = [a.id for a in db.session.scalars(screening.list_query(cohort, screening.Filters()))]
    expected = _ids(_joined(cohort).order_by(_old_name_key(), _old_first_key(), Application.id))
    assert ids == expected


def test_refresh_sort_keys_after_core_writes(tricky):
    db.session.execute(
        Application.__table__.update()
        .where(Application.cohort_id == tricky.id)
        .values(sort_last_name="", sort_first_name="")
    )
    refresh_sort_keys(Application.cohort_id == tricky.id)
    test_stored_keys_are_the_old_expression(tricky)


def _statements(run) -> list[str]:
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return [s for s in statements if "FROM applications" in s]


def test_the_counts_join_the_accounts_only_for_the_search(tricky):
    tricky = db.session.get(type(tricky), tricky.id)  # loaded before counting
    counts = {}
    statements = _statements(lambda: counts.update(screening.status_counts(tricky, F())))
    assert len(statements) == 1 and " users" not in statements[0]
    assert sum(counts.values()) == len(TRICKY)
    counts.clear()
    statements = _statements(lambda: counts.update(screening.status_counts(tricky, F(q="alaoui"))))
    assert len(statements) == 1 and "JOIN users" in statements[0]
    assert sum(counts.values()) == 6  # five Alaoui last names, one account named alaoui
