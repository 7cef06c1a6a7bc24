"""factory_boy factories for the models."""

from __future__ import annotations

from datetime import date

import factory
from factory.alchemy import SQLAlchemyModelFactory

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db

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
