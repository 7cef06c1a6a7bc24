"""factory_boy factories for the models."""

from __future__ import annotations

from datetime import date

import factory
from factory.alchemy import SQLAlchemyModelFactory

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.hosts.models import Company, Tutor
from mnc_exchange.offers.models import Offer

PASSWORD = "correct-horse-battery-staple"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="fr_FR")
    role = Role.student
    locale = "fr"
    active = True
    approved_at = factory.LazyFunction(utcnow)
    password_hash = "!"

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):  # noqa: N805
        obj.set_password(extracted or PASSWORD)
        if create:
            db.session.commit()


class CohortFactory(BaseFactory):
    class Meta:
        model = Cohort

    year = factory.Sequence(lambda n: 2030 + n)
    title = factory.LazyAttribute(lambda o: f"MNC {o.year}")
    quota = 30
    state = CohortState.draft
    is_current = False
    applications_open_on = factory.LazyAttribute(lambda o: date(o.year - 1, 10, 1))
    applications_close_on = factory.LazyAttribute(lambda o: date(o.year - 1, 12, 15))
    selection_on = factory.LazyAttribute(lambda o: date(o.year, 1, 31))
    matching_on = factory.LazyAttribute(lambda o: date(o.year, 2, 28))
    departure_on = factory.LazyAttribute(lambda o: date(o.year, 4, 1))
    return_on = factory.LazyAttribute(lambda o: date(o.year, 9, 30))


def make_application_with_document(student, cohort):
    """A draft application of ``student`` with one stored PDF (a real file on disk)."""
    from mnc_exchange.applications import uploads
    from mnc_exchange.applications.models import Application, ApplicationStatus, Document
    from mnc_exchange.applications.reference import DocumentKind

    application = Application(
        cohort_id=cohort.id,
        student_id=student.id,
        status=ApplicationStatus.draft,
        pole_ranking=[],
    )
    db.session.add(application)
    db.session.flush()
    data = SAMPLE_PDF
    checked = uploads.check_upload(__import__("io").BytesIO(data), "cv.pdf")
    relative = uploads.store(checked, f"applications/{application.id}")
    document = Document(
        application_id=application.id,
        kind=DocumentKind.cv,
        original_name="cv.pdf",
        stored_name=relative,
        content_type=checked.content_type,
        size=len(data),
        sha256=checked.sha256,
        uploaded_by_id=student.id,
    )
    db.session.add(document)
    db.session.commit()
    return application, document


SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


# --- host companies, tutors, offers (issue 5) -------------------------------------------------

#: Valid SIRETs (Luhn), for companies created in tests.
VALID_SIRETS = ("73282932000074", "55210055400013", "44306184100047", "35600000000048")


def _siret(n: int) -> str:
    """A valid SIRET from a sequence number: 9-digit SIREN + 5 digits with a Luhn check digit."""
    from stdnum import luhn

    body = f"{(10000000 + n) % 100000000:08d}"
    siren = body + luhn.calc_check_digit(body)
    base = siren + f"{n % 10000:04d}"
    return base + luhn.calc_check_digit(base)


class CompanyFactory(BaseFactory):
    class Meta:
        model = Company

    legal_name = factory.Sequence(lambda n: f"Société Exemple {n} SAS")
    siret = factory.Sequence(_siret)
    naf_code = "6201Z"
    address = "10 rue de la Paix"
    postcode = "75002"
    city = "Paris"
    headcount = 120
    sector = "Services numériques"
    mnc_member = False
    representative_name = "Claire Martin"
    representative_title = "Directrice des ressources humaines"
    status = "approved"
    approved_at = factory.LazyFunction(utcnow)


class TutorFactory(BaseFactory):
    class Meta:
        model = Tutor

    company = factory.SubFactory(CompanyFactory)
    full_name = factory.Faker("name", locale="fr_FR")
    job_title = "Chef de projet"
    email = factory.Sequence(lambda n: f"tutor{n}@example.fr")
    phone = "+33612345678"


class OfferFactory(BaseFactory):
    """A published offer of 1 seat, 1 March – 31 July of the cohort's year, 35 h, €700/month,
    10 days of leave."""

    class Meta:
        model = Offer

    cohort = factory.SubFactory(CohortFactory)
    company = factory.SubFactory(CompanyFactory)
    tutor = factory.SubFactory(TutorFactory, company=factory.SelfAttribute("..company"))
    title = factory.Sequence(lambda n: f"Développeur·se backend {n}")
    description = "Développement d'API et de services de paiement mobile."
    pole = "software"
    skills = "Python, SQL"
    city = "Paris"
    start_on = factory.LazyAttribute(lambda o: date(o.cohort.year, 3, 2))
    end_on = factory.LazyAttribute(lambda o: date(o.cohort.year, 7, 31))
    weekly_hours = 35
    daily_hours = 7
    monthly_stipend = 700
    leave_days = 10
    seats = 1
    language = "fr"
    work_mode = "onsite"
    status = "published"


def make_selected(cohort, n: int, published: bool = True, start_rank: int = 1) -> list:
    """``n`` selected students of ``cohort`` with final scores and ranks (rank 1 best), the
    decisions published (unless ``published=False``). Returns their applications."""
    from decimal import Decimal

    from mnc_exchange.applications.models import Application, ApplicationStatus
    from mnc_exchange.selection.models import SelectionSettings

    applications = []
    for i in range(n):
        rank = start_rank + i
        student = UserFactory(role=Role.student)
        application = Application(
            cohort_id=cohort.id,
            student_id=student.id,
            status=ApplicationStatus.selected,
            first_name=f"Prénom{rank}",
            last_name=f"Étudiant{rank}",
            programme="Génie logiciel",
            year_of_study=4,
            grade_average=Decimal("14.50"),
            french_level="B2",
            pole_ranking=["software", "mobile", "security", "multimedia"],
            motivation="Découvrir l'écosystème numérique français.",
            submitted_at=utcnow(),
            eligibility_reasons=[],
            final_score=Decimal(90) - rank,
            final_rank=rank,
        )
        db.session.add(application)
        applications.append(application)
    settings = db.session.query(SelectionSettings).filter_by(cohort_id=cohort.id).one_or_none()
    if settings is None:
        settings = SelectionSettings(cohort_id=cohort.id, reviewers_per_application=2)
        db.session.add(settings)
    if published:
        settings.published_at = utcnow()
    db.session.commit()
    return applications
