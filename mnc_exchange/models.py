"""Imports every domain's models so that the metadata (and Alembic) sees them all."""

from .accounts.models import Role, User  # noqa: F401
from .agreements.models import (  # noqa: F401
    Agreement,
    AgreementDocument,
    ReminderLog,
    Signature,
)
from .applications.models import (  # noqa: F401
    Application,
    ApplicationMessage,
    Document,
    DocumentRequirement,
    EligibilityRules,
    Institution,
)
from .audit.models import AuditEvent  # noqa: F401
from .cohorts.models import Cohort, CohortState  # noqa: F401
from .followup.models import (  # noqa: F401
    CheckIn,
    EmploymentSurvey,
    EvaluationCriterion,
    FollowUpReminder,
    Incident,
    IncidentComment,
    Internship,
    MobilityStep,
    TutorEvaluation,
)
from .hosts.models import Company, CompanyInvitation, Tutor  # noqa: F401
from .mail.models import OutboxMessage, OutboxStatus  # noqa: F401
from .offers.models import Offer  # noqa: F401
from .placements.models import (  # noqa: F401
    CompanyRanking,
    MatchingRun,
    MatchingSettings,
    Placement,
    StudentPreference,
)

# The listeners that keep the reports' data version (reports.snapshots).
from .reports import snapshots  # noqa: E402, F401
from .reports.models import ReportSnapshot  # noqa: F401
from .selection.models import (  # noqa: F401
    Interview,
    ReviewAssignment,
    ReviewScore,
    RubricCriterion,
    SeatOffer,
    SelectionSettings,
)
