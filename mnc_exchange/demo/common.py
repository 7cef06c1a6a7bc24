"""The demo's shared names: the password and the account of each role, the applicants' names,
the dates and the small helpers that several parts of the demo use.

Imports no other part of the demo (``accounts``, ``applicants`` and ``hosts`` build on it, then
``history``, then the package's entry points and ``scale``).
"""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import ParamSpec, TypeVar

from sqlalchemy import delete, func, select

from .. import internship_law
from ..accounts.models import Role
from ..applications.reference import Gender
from ..extensions import db
from ..mail.models import OutboxMessage

P = ParamSpec("P")
R = TypeVar("R")

DEMO_PASSWORD = "mnc-demo-2026!"  # noqa: S105 - printed demo password, demo data only

DEMO_HOST_EMAIL = "rh@demo-entreprise.fr"

DEMO_ACCOUNTS = [
    (Role.admin, "admin@demo.mnc.ma", "Amina Admin"),
    (Role.coordinator, "coordinateur@demo.mnc.ma", "Karim Bennani"),
    (Role.student, "etudiant@demo.mnc.ma", "Salma El Idrissi"),
    (Role.host, DEMO_HOST_EMAIL, "Claire Martin"),
    (Role.official, "officiel@demo.mnc.ma", "Youssef Alaoui"),
]

#: The coordinators' reasons when they decide against the screening rules.
OVERRIDE_ELIGIBLE = (
    "Moyenne légèrement inférieure au seuil, mais très bon classement dans la promotion et "
    "projets remarquables : dossier retenu par la commission."
)
OVERRIDE_INELIGIBLE = "Dossier jugé non recevable par la commission après vérification."

# --- people ---------------------------------------------------------------------------------

MALE_NAMES = (
    "Mohammed", "Youssef", "Ayoub", "Hamza", "Omar", "Mehdi", "Anas", "Amine", "Reda",
    "Othmane", "Ilyas", "Zakaria", "Soufiane", "Adil", "Yassine", "Bilal", "Hicham", "Nabil",
    "Karim", "Badr", "Ismail", "Achraf", "Walid", "Saad", "Taha", "Rayan", "Marouane",
    "Abdelilah", "Khalid", "Imad",
)  # fmt: skip
FEMALE_NAMES = (
    "Fatima Zahra", "Salma", "Khadija", "Aya", "Imane", "Meryem", "Sara", "Hajar", "Nouhaila",
    "Kawtar", "Oumaima", "Chaimae", "Asmae", "Ghita", "Hiba", "Yasmine", "Zineb", "Houda",
    "Lamia", "Nada", "Soukaina", "Ikram", "Rim", "Douae", "Hanane", "Siham", "Loubna", "Wiam",
    "Amal", "Malak",
)  # fmt: skip
LAST_NAMES = (
    "Alaoui", "Bennani", "El Idrissi", "Tazi", "Berrada", "Chraibi", "El Amrani", "Benjelloun",
    "Fassi Fihri", "Lahlou", "Bensouda", "Ouazzani", "El Mansouri", "Benkirane", "Sebti",
    "Kettani", "Ziani", "Amrani", "Boukhari", "El Khatib", "Naciri", "Hajji", "Bouzid",
    "Ait Lahcen", "Benali", "El Ouafi", "Zerouali", "Laaroussi", "Filali", "Guessous", "Skalli",
    "Cherkaoui", "Haddad", "Essaidi", "Tahiri", "Bakkali", "Jebbari", "Boutaleb", "Ennaji",
    "Ghazouani", "Moussaoui", "Oukacha", "Ait Ouahmane", "Belhaj", "Rhazi", "Sqalli",
    "El Hankouri", "Mouline",
)  # fmt: skip
#: relative weight of each region among the applicants (every region appears at least once)
REGION_WEIGHTS: dict[str, int] = {
    "tanger-tetouan-al-hoceima": 10,
    "oriental": 6,
    "fes-meknes": 11,
    "rabat-sale-kenitra": 16,
    "beni-mellal-khenifra": 5,
    "casablanca-settat": 20,
    "marrakech-safi": 10,
    "draa-tafilalet": 4,
    "souss-massa": 7,
    "guelmim-oued-noun": 2,
    "laayoune-sakia-el-hamra": 2,
    "dakhla-oued-ed-dahab": 1,
}


@dataclass
class Person:
    first_name: str
    last_name: str
    gender: Gender
    region: str


def random_name(rng: random.Random, female: bool) -> tuple[str, str]:
    """A first name and a last name."""
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    return first, rng.choice(LAST_NAMES)


def random_person(rng: random.Random, gender: Gender, region: str) -> Person:
    return Person(*random_name(rng, gender is Gender.female), gender, region)


def random_regions(rng: random.Random, k: int) -> list[str]:
    """``k`` regions drawn by their weight among the applicants."""
    return rng.choices(list(REGION_WEIGHTS), weights=list(REGION_WEIGHTS.values()), k=k)


# --- dates -----------------------------------------------------------------------------------


def cohort_years(today: date) -> tuple[int, int]:
    """(current, previous) cohort years: from September on, the call is for next year."""
    year = today.year + (1 if today.month >= 9 else 0)
    return year, year - 1


def random_time(day: date, rng: random.Random) -> datetime:
    """A random time of day (8:00 to 22:59 UTC) on ``day``."""
    return datetime.combine(day, time(rng.randint(8, 22), rng.randint(0, 59)), tzinfo=UTC)


def utc_at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def first_working_day(day: date) -> date:
    return internship_law.working_days(day, day + timedelta(days=14))[0]


def start_days(departure: date) -> tuple[date, date, date]:
    """The offers' possible first days (a draw among three): the first working day from the
    departure, twice as likely as the one a week later."""
    return (
        first_working_day(departure),
        first_working_day(departure),
        first_working_day(departure + timedelta(days=(7 - departure.weekday()) % 7 or 7)),
    )


# --- addresses and files -----------------------------------------------------------------------


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ascii_text.lower().replace(" ", "-").replace("'", "")


def email_for(full_name: str, domain: str) -> str:
    """first.last@domain, without accents."""
    first, _, last = full_name.partition(" ")
    return f"{_slug(first)}.{_slug(last)}@{domain}"


def _pdf_text(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF (Helvetica text lines), with a correct cross-reference table."""
    text = b" T* ".join(b"(" + _pdf_text(line) + b") Tj" for line in lines)
    content = b"BT /F1 12 Tf 16 TL 56 780 Td " + text + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# --- e-mails ---------------------------------------------------------------------------------


def sends_no_emails(load: Callable[P, R]) -> Callable[P, R]:
    """Decorator of a part of the demo: the e-mails the services queue while it runs are
    deleted at the end (demo data send none)."""

    @functools.wraps(load)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        mark = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
        result = load(*args, **kwargs)
        db.session.flush()
        db.session.execute(
            delete(OutboxMessage).where(OutboxMessage.id > mark),
            execution_options={"synchronize_session": "fetch"},
        )
        return result

    return wrapper
