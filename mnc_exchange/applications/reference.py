"""Reference lists used by applications: regions, MNC poles, CEFR levels, document kinds.

Labels are translated at display time.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

#: The 12 regions of Morocco (2015 division), code -> name.
REGIONS: dict[str, str] = {
    "tanger-tetouan-al-hoceima": "Tanger-Tétouan-Al Hoceïma",
    "oriental": "L'Oriental",
    "fes-meknes": "Fès-Meknès",
    "rabat-sale-kenitra": "Rabat-Salé-Kénitra",
    "beni-mellal-khenifra": "Béni Mellal-Khénifra",
    "casablanca-settat": "Casablanca-Settat",
    "marrakech-safi": "Marrakech-Safi",
    "draa-tafilalet": "Drâa-Tafilalet",
    "souss-massa": "Souss-Massa",
    "guelmim-oued-noun": "Guelmim-Oued Noun",
    "laayoune-sakia-el-hamra": "Laâyoune-Sakia El Hamra",
    "dakhla-oued-ed-dahab": "Dakhla-Oued Ed-Dahab",
}


class Pole(enum.StrEnum):
    """The four thematic poles of Maroc Numeric Cluster."""

    mobile = "mobile"
    security = "security"
    multimedia = "multimedia"
    software = "software"


POLE_LABELS = {
    Pole.mobile: _l("Mobile services"),
    Pole.security: _l("Security, e-payment and digital rights"),
    Pole.multimedia: _l("Multimedia"),
    Pole.software: _l("Software packages"),
}

#: CEFR levels, in order.
CEFR_LEVELS: tuple[str, ...] = ("A1", "A2", "B1", "B2", "C1", "C2")


def cefr_rank(level: str | None) -> int:
    """0 for A1 … 5 for C2; -1 when unknown."""
    return CEFR_LEVELS.index(level) if level in CEFR_LEVELS else -1


class Gender(enum.StrEnum):
    female = "female"
    male = "male"


GENDER_LABELS = {Gender.female: _l("Female"), Gender.male: _l("Male")}


class DocumentKind(enum.StrEnum):
    cv = "cv"
    transcript = "transcript"
    passport = "passport"
    french_certificate = "french_certificate"
    enrolment_certificate = "enrolment_certificate"
    motivation_letter = "motivation_letter"
    recommendation_letter = "recommendation_letter"


DOCUMENT_LABELS = {
    DocumentKind.cv: _l("CV"),
    DocumentKind.transcript: _l("Transcript of records"),
    DocumentKind.passport: _l("Passport scan"),
    DocumentKind.french_certificate: _l("French language certificate"),
    DocumentKind.enrolment_certificate: _l("Enrolment certificate"),
    DocumentKind.motivation_letter: _l("Motivation letter"),
    DocumentKind.recommendation_letter: _l("Recommendation letter"),
}

#: Default per-cohort requirements: kind -> required?
DEFAULT_DOCUMENT_REQUIREMENTS: dict[DocumentKind, bool] = {
    DocumentKind.cv: True,
    DocumentKind.transcript: True,
    DocumentKind.passport: True,
    DocumentKind.french_certificate: True,
    DocumentKind.enrolment_certificate: True,
    DocumentKind.motivation_letter: True,
    DocumentKind.recommendation_letter: False,
}

MOTIVATION_MIN = 300
MOTIVATION_MAX = 5000
