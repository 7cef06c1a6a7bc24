"""End-to-end journey of a selection round: two coordinators score three applications blind,
a coordinator publishes the decisions, the students read their result.

The round is built in the test context (cohort, reviewers, eligible applications, reviewer
assignment); the blind scoring, the publication and the students' pages go through the browser
(CSRF on). The middle steps (shortlist, interviews, decisions) are done with the services. Every
user switches the interface to English first (the language form), so the selectors use the
English texts.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Page = expect = None

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.applications.models import Application, ApplicationStatus
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.selection import services
from tests.browser.helpers import english, heading, no_motion
from tests.browser.helpers import log_in as log_in_fr
from tests.factories import PASSWORD, CohortFactory

A = ApplicationStatus

REVIEWER_A = ("Amina Alaoui", "amina.alaoui@mnc.example.ma")
REVIEWER_B = ("Badr Berrada", "badr.berrada@mnc.example.ma")
#: The students, best first: (first name, last name, e-mail).
STUDENTS = [
    ("Salma", "Bennani", "salma.bennani@etudiant.example.ma"),
    ("Youssef", "Chraibi", "youssef.chraibi@etudiant.example.ma"),
    ("Imane", "Drissi", "imane.drissi@etudiant.example.ma"),
]

#: The file criteria of the default rubric as labelled on the score sheet.
CRITERIA = [
    ("academic", "Academic record (out of 20)"),
    ("french", "French level (out of 10)"),
    ("technical", "Technical skills (out of 10)"),
    ("motivation", "Motivation (out of 10)"),
]
#: Each reviewer's scores per student (same order as CRITERIA): student 1 > 2 > 3 for both.
SCORES = {
    "A": [("18", "9", "9", "9"), ("14", "7", "7", "7"), ("10", "5", "5", "5")],
    "B": [("17.5", "8", "9", "8,5"), ("13", "7", "6", "7"), ("9", "5", "4", "5")],
}
INTERVIEW_SCORES = ["9", "7", "5"]


def weighted_total(scores: tuple[str, ...]) -> Decimal:
    """The reviewer's total /100 with the default weights (30, 20, 20, 15 of 85)."""
    maxima = (20, 10, 10, 10)
    weights = (30, 20, 20, 15)
    values = [Decimal(s.replace(",", ".")) for s in scores]
    total = sum(Decimal(w) * v / m for w, v, m in zip(weights, values, maxima, strict=True))
    return total * 100 / sum(weights)


def expect_flash(page: Page, text: str) -> None:
    expect(page.locator("main > .alert").filter(has_text=text)).to_be_visible()


def make_user(role: Role, name: str, email: str) -> User:
    user = User(
        email=email,
        full_name=name,
        role=role,
        locale="fr",
        active=True,
        approved_at=utcnow(),
        password_hash="!",
    )
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.flush()
    return user


def build_round():
    """A current cohort in selection (quota 1), two coordinators and three eligible
    applications, each given to both coordinators."""
    cohort = CohortFactory(quota=1, state=CohortState.selection, is_current=True)
    reviewer_a = make_user(Role.coordinator, *REVIEWER_A)
    reviewer_b = make_user(Role.coordinator, *REVIEWER_B)
    base = utcnow() - timedelta(days=20)
    applications = []
    for n, (first, last, email) in enumerate(STUDENTS, start=1):
        student = make_user(Role.student, f"{first} {last}", email)
        application = Application(
            cohort_id=cohort.id,
            student_id=student.id,
            status=A.eligible,
            first_name=first,
            last_name=last,
            programme="Génie logiciel",
            year_of_study=4,
            grade_average=Decimal("14.50"),
            french_level="B2",
            pole_ranking=["software", "mobile", "security", "multimedia"],
            motivation="Je souhaite découvrir l'écosystème numérique français.",
            submitted_at=base + timedelta(hours=n),
            eligibility_reasons=[],
        )
        db.session.add(application)
        applications.append(application)
    db.session.flush()
    settings = services.settings_for(cohort)
    settings.reviewers_per_application = 2
    settings.shortlist_size = len(STUDENTS)  # all three reach the interview
    assert services.assign_reviewers(cohort) == 2 * len(STUDENTS)
    db.session.commit()
    return cohort, reviewer_a, reviewer_b, applications


def log_in(page: Page, email: str) -> None:
    """Log in through the form, then switch the interface to English."""
    log_in_fr(page, email)
    english(page)
    expect(page.locator("#logout")).to_have_text("Log out")


def full_name(n: int) -> str:
    first, last, _email = STUDENTS[n]
    return f"{first} {last}"


def open_review(page: Page, n: int) -> None:
    """From "My reviews", open the score sheet of student ``n``."""
    page.locator("#nav-reviews").click()
    expect(heading(page)).to_have_text("My reviews")
    row = page.locator("#todo tbody tr").filter(has_text=full_name(n))
    row.get_by_role("link", name="Review").click()
    expect(heading(page)).to_have_text(f"Review of {full_name(n)}")


def score(page: Page, scores: tuple[str, ...], comment: str) -> None:
    form = page.locator("#review-form")
    for (_key, label), value in zip(CRITERIA, scores, strict=True):
        form.get_by_label(label).fill(value)
    form.get_by_label("Comment (optional)").fill(comment)
    form.get_by_role("button", name="Submit my review").click()
    expect_flash(page, "Your review is submitted.")
    expect(page.locator("#my-review")).to_be_visible()
    expect(page.locator("#review-form")).to_have_count(0)


def expect_my_scores(page: Page, scores: tuple[str, ...]) -> None:
    mine = page.locator("#my-review")
    for (key, _label), value in zip(CRITERIA, scores, strict=True):
        cell = mine.locator(f"td[data-criterion={key}]")
        expect(cell).to_have_attribute("data-score", re.compile(r"^\d+(\.\d+)?$"))
        assert Decimal(cell.get_attribute("data-score")) == Decimal(value.replace(",", "."))


def test_two_reviewers_score_blind_and_the_students_read_the_published_result(page, new_page):
    cohort, reviewer_a, reviewer_b, applications = build_round()
    cohort_id = cohort.id

    # --- 1. Reviewer A scores the three files; B's scores are still to come. ---------------
    first = no_motion(page)
    log_in(first, REVIEWER_A[1])
    first.locator("#nav-reviews").click()
    expect(first.locator("#count-todo")).to_have_text("3")
    expect(first.locator("#count-submitted")).to_have_text("0")
    for n in range(len(STUDENTS)):
        open_review(first, n)
        expect(first.locator("#blind-note")).to_be_visible()
        score(first, SCORES["A"][n], f"Avis de A sur {full_name(n)}.")
        expect_my_scores(first, SCORES["A"][n])
        expect(first.locator("#other-reviews")).to_contain_text("No other review is submitted yet.")
        expect(first.locator("#pending-others")).to_have_text("1 other review is still to come.")
    first.locator("#nav-reviews").click()
    expect(first.locator("#count-todo")).to_have_text("0")
    expect(first.locator("#count-submitted")).to_have_text("3")
    expect(first.locator("#todo-empty")).to_be_visible()

    # --- 2. Reviewer B, in a new context: blind before submitting, A's scores after. -------
    second = no_motion(new_page())
    log_in(second, REVIEWER_B[1])
    second.locator("#nav-reviews").click()
    expect(second.locator("#count-todo")).to_have_text("3")
    for n in range(len(STUDENTS)):
        open_review(second, n)
        expect(second.locator("#blind-note")).to_be_visible()
        expect(second.locator("#other-reviews")).to_have_count(0)
        expect(second.locator("main")).not_to_contain_text(REVIEWER_A[0])
        expect(second.locator("main")).not_to_contain_text(f"Avis de A sur {full_name(n)}.")
        score(second, SCORES["B"][n], f"Avis de B sur {full_name(n)}.")
        expect_my_scores(second, SCORES["B"][n])
        others = second.locator("#other-reviews")
        expect(others).to_be_visible()
        expect(second.locator("#blind-note")).to_have_count(0)
        expect(second.locator("#pending-others")).to_have_count(0)
        other = others.locator("[data-other-assignment]")
        expect(other).to_have_count(1)
        expect(other).to_contain_text(REVIEWER_A[0])
        expect(other).to_contain_text(f"Avis de A sur {full_name(n)}.")
        total = Decimal(other.locator("[data-total]").get_attribute("data-total"))
        assert abs(total - weighted_total(SCORES["A"][n])) < Decimal("0.01")
        for (key, _label), value in zip(CRITERIA, SCORES["A"][n], strict=True):
            cell = other.locator(f"td[data-criterion={key}]")
            assert Decimal(cell.get_attribute("data-score")) == Decimal(value)

    # A now sees B's review too.
    open_review_link = first.locator("#submitted tbody tr").filter(has_text=full_name(0))
    open_review_link.get_by_role("link", name=full_name(0)).click()
    expect(first.locator("#other-reviews [data-other-assignment]")).to_contain_text(REVIEWER_B[0])
    expect(first.locator("#pending-others")).to_have_count(0)

    # Every application is scored, student 1 > student 2 > student 3.
    db.session.expire_all()
    scored = [db.session.get(Application, a.id) for a in applications]
    assert [a.status for a in scored] == [A.scored] * 3
    assert scored[0].review_score > scored[1].review_score > scored[2].review_score

    # --- 3. Shortlist, interviews and decisions with the services. -------------------------
    cohort = db.session.get(type(cohort), cohort_id)
    assert services.make_shortlist(cohort) == (3, 0)
    actor = db.session.get(User, reviewer_a.id)
    for application, interview_score in zip(scored, INTERVIEW_SCORES, strict=True):
        services.schedule_interview(
            application, utcnow() + timedelta(days=7), "Salle du conseil, MNC Rabat"
        )
        services.score_interview(application, interview_score, "", actor)
    assert services.make_decisions(cohort) == {"selected": 1, "waitlisted": 2}
    db.session.commit()

    # Before publication the students see no decision.
    student = no_motion(new_page())
    log_in(student, STUDENTS[2][2])
    student.goto("/application/selection/")
    expect(student.locator("#selection-status")).to_have_attribute("data-status", "interviewed")
    expect(student.locator("#selection-status")).to_have_text("Interview done: awaiting the result")

    # --- 4. Reviewer A, as coordinator, publishes the decisions. ---------------------------
    first.goto(f"/selection/{cohort_id}")
    expect(heading(first)).to_contain_text("Selection round")
    expect(first.locator("#seats")).to_have_text("Seats taken: 1 of 1")
    expect(first.locator("#published")).to_have_text("not yet: the students do not see them")
    waitlist = first.locator("#waitlist tbody tr")
    expect(waitlist).to_have_count(2)
    expect(waitlist.nth(0)).to_contain_text(full_name(1))
    expect(waitlist.nth(1)).to_contain_text(full_name(2))
    first.get_by_role("link", name="Publish the decisions…").click()
    # A confirmation page: what follows, and the note the publication rests on.
    expect(first.locator("#publish-counts")).to_contain_text("Selected")
    first.get_by_label("What the publication rests on").fill("Selection committee, 12 March.")
    first.get_by_role("button", name="Publish and e-mail the students").click()
    expect_flash(first, "The decisions are published; 3 students are e-mailed.")
    expect(first.locator("#published")).not_to_have_text("not yet: the students do not see them")
    expect(first.get_by_role("button", name="Publish the decisions")).to_be_disabled()
    expect(first.locator("#step-publish-why")).to_have_text("Already published.")

    # --- 5. The students read their result. -----------------------------------------------
    # Student 3: waitlisted, rank 2 (the page was open before the publication).
    student.reload()
    badge = student.locator("#selection-status")
    expect(badge).to_have_attribute("data-status", "waitlisted")
    expect(badge).to_have_text("Waitlisted, rank 2")
    expect(student.locator("#status-section")).to_contain_text("You are on the waiting list.")
    student.get_by_role("link", name="Dashboard").click()
    expect(student.locator("#my-application-status")).to_have_text("Waitlisted, rank 2")

    # Student 1: selected, on the selection page and on the dashboard.
    winner = no_motion(new_page())
    log_in(winner, STUDENTS[0][2])
    expect(winner.locator("#my-application-status")).to_have_attribute("data-status", "selected")
    expect(winner.locator("#my-application-status")).to_have_text("Selected")
    winner.locator("#my-selection-link").click()
    expect(winner).to_have_url(re.compile(r"/application/selection/$"))
    expect(heading(winner)).to_have_text("My selection")
    expect(winner.locator("#selection-status")).to_have_attribute("data-status", "selected")
    expect(winner.locator("#selection-status")).to_have_text("Selected")
    expect(winner.locator("#status-section")).to_contain_text("Congratulations!")

    # Student 2: waitlisted, rank 1.
    runner_up = no_motion(new_page())
    log_in(runner_up, STUDENTS[1][2])
    runner_up.locator("#nav-selection").click()
    expect(runner_up.locator("#selection-status")).to_have_attribute("data-status", "waitlisted")
    expect(runner_up.locator("#selection-status")).to_have_text("Waitlisted, rank 1")
