"""Reference lists and per-cohort application settings.

- The sending institutions (admins): create, edit, deactivate/reactivate. Never deleted:
  applications point to them.
- Per cohort (coordinators): which document kinds are required, optional or not asked, and the
  eligibility screening rules.

Every change writes an audit event; services only ``flush()``, the view commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..cohorts.models import Cohort, CohortState
from ..core.errors import DomainError
from ..extensions import db
from . import services
from .models import DocumentRequirement, EligibilityRules, Institution
from .reference import CEFR_LEVELS, DocumentKind

# --- sending institutions --------------------------------------------------------------------

INSTITUTION_FIELDS = ("name", "city", "legal_representative", "address")
INSTITUTION_MAX = {"name": 200, "city": 100, "legal_representative": 200, "address": 400}


def _clean(value: str | None) -> str:
    """NFC, trimmed, inner runs of white space collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def _name_key(name: str) -> str:
    # Compared in Python: SQLite's lower() ignores accented capitals (“É”).
    return _clean(name).casefold()


def find_institution_by_name(name: str, exclude_id: int | None = None) -> Institution | None:
    """The institution called ``name`` (case-insensitive, spaces normalised), if any."""
    key = _name_key(name)
    for institution in db.session.scalars(select(Institution)):
        if institution.id != exclude_id and _name_key(institution.name) == key:
            return institution
    return None


def _institution_values(values: Mapping[str, str | None]) -> dict[str, str]:
    cleaned = {key: _clean(values.get(key)) for key in INSTITUTION_FIELDS}
    for key in INSTITUTION_FIELDS:
        if not cleaned[key]:
            raise DomainError(_("Every field of the institution must be filled in."))
        if len(cleaned[key]) > INSTITUTION_MAX[key]:
            raise DomainError(
                _("A field is too long (%(max)d characters at most).", max=INSTITUTION_MAX[key])
            )
    return cleaned


class DuplicateInstitution(DomainError):
    """Another institution already has this name (case-insensitively)."""


def _refuse_duplicate(name: str, exclude_id: int | None = None) -> None:
    other = find_institution_by_name(name, exclude_id)
    if other is not None:
        raise DuplicateInstitution(
            _("An institution called “%(name)s” already exists.", name=other.name)
        )


def create_institution(
    name: str, city: str, legal_representative: str, address: str, actor=None
) -> Institution:
    """Add a sending institution (active). Names are unique, case-insensitively."""
    values = _institution_values(
        {
            "name": name,
            "city": city,
            "legal_representative": legal_representative,
            "address": address,
        }
    )
    _refuse_duplicate(values["name"])
    institution = Institution(active=True, **values)
    db.session.add(institution)
    db.session.flush()
    record("institution.create", institution, dict(values), actor=actor)
    return institution


def update_institution(institution: Institution, actor=None, **values) -> list[str]:
    """Change the institution's fields; returns the names of the fields that changed."""
    merged = {key: values.get(key, getattr(institution, key)) for key in INSTITUTION_FIELDS}
    cleaned = _institution_values(merged)
    _refuse_duplicate(cleaned["name"], exclude_id=institution.id)
    changes = {}
    for key, value in cleaned.items():
        old = getattr(institution, key)
        if old != value:
            changes[key] = [old, value]
            setattr(institution, key, value)
    if changes:
        db.session.flush()
        record("institution.update", institution, {"changes": changes}, actor=actor)
    return list(changes)


def set_institution_active(institution: Institution, active: bool, actor=None) -> bool:
    """Deactivate (hidden from new applications) or reactivate; returns whether it changed."""
    if institution.active == active:
        return False
    institution.active = active
    record(
        "institution.reactivate" if active else "institution.deactivate",
        institution,
        {"name": institution.name, "active": active},
        actor=actor,
    )
    return True


def active_institutions() -> list[Institution]:
    """The choices offered to students."""
    return list(
        db.session.scalars(select(Institution).where(Institution.active).order_by(Institution.name))
    )


# --- per-cohort settings ---------------------------------------------------------------------

REQUIRED, OPTIONAL, NOT_ASKED = "required", "optional", "not_asked"
REQUIREMENT_CHOICES = (REQUIRED, OPTIONAL, NOT_ASKED)


def _ensure_settings_editable(cohort: Cohort) -> None:
    if cohort.state is CohortState.archived:
        raise DomainError(_("This cohort is archived: its settings can no longer be changed."))


def requirement_levels(cohort: Cohort) -> dict[DocumentKind, str]:
    """Every document kind -> "required", "optional" or "not_asked" for ``cohort``."""
    current = services.requirements_for(cohort)
    return {
        kind: (REQUIRED if current[kind] else OPTIONAL) if kind in current else NOT_ASKED
        for kind in DocumentKind
    }


def save_document_requirements(cohort: Cohort, levels: Mapping[DocumentKind, str], actor=None):
    """Store the cohort's document requirements: one row per asked kind, none for “not asked”.

    A configuration that asks for no document at all is refused (and ``requirements_for``
    would read an empty configuration as “the defaults”).
    """
    _ensure_settings_editable(cohort)
    wanted: dict[DocumentKind, bool] = {}
    for kind in DocumentKind:
        level = levels.get(kind, NOT_ASKED)
        if level not in REQUIREMENT_CHOICES:
            raise DomainError(_("Choose required, optional or not asked for every document."))
        if level != NOT_ASKED:
            wanted[kind] = level == REQUIRED
    if not wanted:
        raise DomainError(_("Ask for at least one document."))
    before = requirement_levels(cohort)
    rows = {
        row.kind: row
        for row in db.session.scalars(
            select(DocumentRequirement).where(DocumentRequirement.cohort_id == cohort.id)
        )
    }
    # Update in place, then delete, then insert: no transient duplicate (cohort, kind).
    for kind, row in rows.items():
        if kind in wanted:
            row.required = wanted[kind]
        else:
            db.session.delete(row)
    db.session.flush()
    for kind, required in wanted.items():
        if kind not in rows:
            db.session.add(DocumentRequirement(cohort_id=cohort.id, kind=kind, required=required))
    db.session.flush()
    after = requirement_levels(cohort)
    changes = {k.value: [before[k], after[k]] for k in DocumentKind if before[k] != after[k]}
    if not changes and rows:
        return changes
    record(
        "cohort.document_requirements",
        cohort,
        {
            "required": [k.value for k, r in wanted.items() if r],
            "optional": [k.value for k, r in wanted.items() if not r],
            "changes": changes,
        },
        actor=actor,
    )
    return changes


def parse_decimal(value) -> Decimal:
    """Accept ``Decimal``, numbers and strings with a decimal point or comma."""
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number such as 12.5 or 12,5.")) from None


MIN_AVERAGE_BOUNDS = (Decimal("0"), Decimal("20"))
PASSPORT_MONTHS_BOUNDS = (0, 24)
YEARS_OF_STUDY = tuple(range(1, 9))


def update_eligibility_rules(
    cohort: Cohort,
    min_french_level: str,
    min_average,
    allowed_years: Iterable[int],
    passport_months_after_end: int,
    actor=None,
) -> EligibilityRules:
    """Change the cohort's screening rules (checked again here, whatever the form did)."""
    _ensure_settings_editable(cohort)
    if min_french_level not in CEFR_LEVELS:
        raise DomainError(_("Choose a French level between A1 and C2."))
    average = parse_decimal(min_average)
    low, high = MIN_AVERAGE_BOUNDS
    if not average.is_finite() or not low <= average <= high:
        raise DomainError(_("The minimum average must be between 0 and 20."))
    if average != average.quantize(Decimal("0.01")):
        raise DomainError(_("The minimum average has at most two decimals."))
    average = average.quantize(Decimal("0.01"))
    years = sorted({int(y) for y in allowed_years})
    if not years:
        raise DomainError(_("Allow at least one year of study."))
    if any(y not in YEARS_OF_STUDY for y in years):
        raise DomainError(_("The years of study go from 1 to 8."))
    months = int(passport_months_after_end)
    if not PASSPORT_MONTHS_BOUNDS[0] <= months <= PASSPORT_MONTHS_BOUNDS[1]:
        raise DomainError(_("The passport margin must be between 0 and 24 months."))

    rules = services.rules_for(cohort)
    new = {
        "min_french_level": min_french_level,
        "min_average": average,
        "allowed_years": years,
        "passport_months_after_end": months,
    }
    changes = {}
    for key, value in new.items():
        old = getattr(rules, key)
        if key == "min_average":
            old = Decimal(old).quantize(Decimal("0.01"))
        elif key == "allowed_years":
            old = sorted(old or [])
        if old != value:
            changes[key] = [
                str(old) if isinstance(old, Decimal) else old,
                str(value) if isinstance(value, Decimal) else value,
            ]
            setattr(rules, key, value)
    if changes:
        db.session.flush()
        record("cohort.eligibility_rules", cohort, {"changes": changes}, actor=actor)
    return rules
