"""Selection minutes that a jury would sign (issue 15 §3): every candidate with their
application number (two candidates of the same name told apart), the grading grid in the
reader's language and never its internal keys, every score beside the reviews it comes from
(or the reason there are none), decimal commas in French.

The round is the one of tests/test_selection_staff.py (``ROUND``: six candidates, two
reviewers each, known review and final scores), run through the services; the PDF is read back
with pypdf.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from mnc_exchange.applications.models import Application, ApplicationStatus
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.selection import queries, services
from mnc_exchange.selection.models import RubricCriterion
from tests.factories import CohortFactory, make_selected
from tests.test_selection_staff import ROUND, build_round, pdf_text, submit_reviews

A = ApplicationStatus

#: The default grid in French, and the internal keys that must never be printed.
FRENCH_GRID = (
    "Dossier académique",
    "Niveau de français",
    "Compétences techniques",
    "Motivation",
    "Entretien",
)
KEYS = re.compile(r"\b(academic|french|technical|motivation|interview)\b")


@pytest.fixture
def coordinator(auth, client):
    """A French-speaking coordinator, logged in (the third reviewer of ``build_round``)."""
    user = auth.as_role("coordinator", locale="fr", full_name="Claire Coordinatrice")
    client.post("/language", data={"lang": "fr", "next": "/"})
    return user


def english(client) -> None:
    client.post("/language", data={"lang": "en", "next": "/"})


def run_round(coordinator):
    """The whole round of ROUND through the services; Fouad Fikri (left out of the shortlist)
    is renamed Amina Alaoui, like the best-ranked candidate."""
    cohort, applications = build_round(quota=2)
    twin = applications[-1]
    twin.first_name, twin.last_name = "Amina", "Alaoui"
    db.session.commit()
    services.assign_reviewers(cohort)
    db.session.commit()
    submit_reviews(applications)
    services.make_shortlist(cohort)
    db.session.commit()
    start = utcnow() + timedelta(days=2)
    for index, (application, row) in enumerate(zip(applications, ROUND, strict=True)):
        if row[3] is None:
            continue
        services.schedule_interview(application, start + timedelta(hours=index), "MNC")
        services.score_interview(application, row[3], "", coordinator)
    services.make_decisions(cohort)
    db.session.commit()
    db.session.expire_all()
    return cohort, {a.id: a for a in applications}


def minutes_text(client, cohort) -> str:
    response = client.get(f"/selection/{cohort.id}/minutes.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    return pdf_text(response.data)


def test_the_minutes_name_every_candidate_with_their_number(client, coordinator):
    cohort, applications = run_round(coordinator)
    first, twin = (applications[i] for i in sorted(applications)[:: len(applications) - 1])
    assert first.full_name == twin.full_name == "Amina Alaoui"
    assert first.status is A.selected and twin.status is A.rejected
    text = " ".join(minutes_text(client, cohort).split())
    # The ranking: rank, number, name; the left-out candidate: number, name.
    assert f"1 {first.id} Amina Alaoui " in text
    assert f"{twin.id} Amina Alaoui " in text
    assert text.count("Amina Alaoui") >= 4  # reviews and ranking, for each of them
    for match in re.finditer(r"(\S+) Amina Alaoui", text):
        assert match.group(1) in {str(first.id), str(twin.id)}, match.group(0)


def test_the_grid_is_in_french_and_never_shows_its_keys(client, coordinator):
    cohort, _applications = run_round(coordinator)
    text = " ".join(minutes_text(client, cohort).split())
    for label in FRENCH_GRID:
        assert label in text
    assert "Academic record" not in text and "Technical skills" not in text
    assert not KEYS.search(text), KEYS.search(text)
    # In English, the same grid in English.
    english(client)
    text = " ".join(minutes_text(client, cohort).split())
    for label in ("Academic record", "French level", "Technical skills", "Interview"):
        assert label in text
    assert not re.search(r"\b(academic|technical)\b", text)


def test_every_score_comes_from_the_reviews_shown_with_decimal_commas(client, coordinator):
    cohort, applications = run_round(coordinator)
    named = {a.last_name: a for a in applications.values() if a.first_name != "Amina"}
    amina = min(a for a in applications if applications[a].first_name == "Amina")
    text = " ".join(minutes_text(client, cohort).split())
    # Rank, number, name, the mean per criterion of the two reviews, interview, final score.
    assert f"1 {amina} Amina Alaoui 20,00 10,00 10,00 10,00 2,00 88,00" in text
    chraibi = named["Chraibi"]
    assert f"{chraibi.id} Chaimae Chraibi 14,00 7,00 7,00 8,00 5,00 68,50" in text
    # Each reviewer's scores and total, then the review score (the mean of the totals).
    assert "18,00 9,00 9,00 10,00 91,76 71,76" in text  # the first reviewer, the mean
    assert "10,00 5,00 5,00 6,00 51,76" in text
    assert "71,76" in text  # Chraibi's review score
    assert "88.00" not in text and "71.76" not in text
    assert "Aucune évaluation" not in text
    # Every final score is the one the shown reviews and interview give.
    minutes = queries.minutes(cohort, utcnow())
    ranked = [row.application for row in minutes.ranking]
    assert len(ranked) == 5
    for application in ranked:
        line = minutes.lines[application.id]
        assert len(line.reviews) == 2 and not line.imported
        assert line.computed == application.final_score, application.full_name
    english(client)
    text = " ".join(minutes_text(client, cohort).split())
    assert f"1 {amina} Amina Alaoui 20.00 10.00 10.00 10.00 2.00 88.00" in text


def test_imported_scores_say_why_no_review_is_shown(client, coordinator):
    """The cohorts selected before the platform: final scores, no review recorded."""
    cohort = CohortFactory(quota=2)
    selected, other = make_selected(cohort, 2)
    left_out = make_selected(cohort, 1, start_rank=3)[0]
    for application in (selected, left_out):
        application.first_name, application.last_name = "Anas", "Ziani"
    left_out.status, left_out.final_rank = A.rejected, None
    left_out.review_score = Decimal("61.25")
    db.session.commit()
    text = " ".join(minutes_text(client, cohort).split())
    assert "Aucune évaluation pour l'instant" not in text
    assert "Note enregistrée sans ses évaluations" in text
    assert text.count("Note importée : aucune évaluation enregistrée ici.") == 3
    assert f"1 {selected.id} Anas Ziani Note importée" in text
    assert f"{left_out.id} Anas Ziani Note importée : aucune évaluation enregistrée ici. 61,25" in (
        text
    )
    assert "89,00" in text  # the imported final score, with a decimal comma


def test_default_grid_is_french_with_english_translations(app):
    with app.test_request_context():
        cohort = CohortFactory()
        criteria = services.rubric_for(cohort)
        db.session.commit()
        stored = list(db.session.scalars(select(RubricCriterion.label)))
        # Created in the programme's language.
        assert stored == list(FRENCH_GRID)
        with force_locale("en"):
            assert [services.criterion_label(c) for c in criteria] == [
                "Academic record",
                "French level",
                "Technical skills",
                "Motivation",
                "Interview",
            ]
        with force_locale("fr"):
            assert [services.criterion_label(c) for c in criteria] == list(FRENCH_GRID)
            # A rubric saved in English before (or through the English form) reads in French;
            # a label a coordinator typed stays as typed.
            criteria[0].label = "Academic record"
            criteria[3].label = "Motivation & projet"
            assert services.criterion_label(criteria[0]) == "Dossier académique"
            assert services.criterion_label(criteria[3]) == "Motivation & projet"
        # The unsaved preview of a cohort without rubric: French labels too.
        other = CohortFactory()
        assert [c.label for c in queries.rubric_preview(other)] == list(FRENCH_GRID)


def test_the_application_number_is_in_every_table_of_the_minutes(client, coordinator):
    cohort, applications = run_round(coordinator)
    bennani = next(a for a in applications.values() if a.last_name == "Bennani")
    services.override_decision(bennani, A.rejected, "Dossier incomplet")
    db.session.commit()
    text = " ".join(minutes_text(client, cohort).split())
    # Reviews, ranking and the override: each names Badr Bennani with his number.
    assert text.count(f"{bennani.id} Badr Bennani") >= 3
    assert "Dossier incomplet" in text
    app_ids = set(db.session.scalars(select(Application.id)))
    assert {bennani.id} <= app_ids
