"""Demo applications: sending institutions, ~150 student accounts and their files.

Called by ``load_demo_data``. Idempotent: the institutions are added when
missing, and the applications only when the cohort has none yet.

The data are random but reproducible (fixed seed), spread over every application status, with
real (small) documents stored through ``uploads.check_upload`` + ``uploads.store``, so they pass
the same checks as real uploads and can be downloaded.

Demo data bypass e-mails: the application services that would notify the students (submit,
return for correction, eligibility decision) queue an e-mail each, so the rows and their audit
events are written here directly instead of through those services. Institutions go through
``reference_services`` (audited; no e-mail involved).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import phonenumbers
from flask_babel import gettext as _
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from ..accounts.models import Role, User
from ..applications import reference_services, services, uploads
from ..applications.eligibility import add_months
from ..applications.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    DocumentStatus,
    Institution,
    MessageKind,
)
from ..applications.reference import (
    CEFR_LEVELS,
    DOCUMENT_LABELS,
    REGIONS,
    DocumentKind,
    Gender,
    Pole,
)
from ..audit.services import record
from ..cohorts.models import Cohort
from ..core.timeutils import utcnow
from ..extensions import db
from .accounts import create_accounts, demo_coordinator, hash_password
from .common import (
    OVERRIDE_ELIGIBLE,
    OVERRIDE_INELIGIBLE,
    Person,
    minimal_pdf,
    random_person,
    random_regions,
    random_time,
)

A = ApplicationStatus

DEMO_APPLICANTS = 150
DEMO_EMAIL = "candidat{:03d}@demo.mnc.ma"
SEED = 2026

#: name, city, legal representative, address
DEMO_INSTITUTIONS: tuple[tuple[str, str, str, str], ...] = (
    (
        "ENSIAS",
        "Rabat",
        "Pr. Mohammed Benkirane, directeur",
        "Avenue Mohammed Ben Abdallah Regragui, Madinat Al Irfane, BP 713, Agdal, Rabat",
    ),
    (
        "INPT",
        "Rabat",
        "Pr. Latifa Bennani, directrice",
        "Avenue Allal El Fassi, Madinat Al Irfane, Rabat",
    ),
    (
        "EMI",
        "Rabat",
        "Pr. Abdelaziz El Ouazzani, directeur",
        "Avenue Ibn Sina, BP 765, Agdal, Rabat",
    ),
    (
        "ENSA Tanger",
        "Tanger",
        "Pr. Rachid Tahiri, directeur",
        "Route de Ziaten, BP 1818, Tanger",
    ),
    (
        "ENSA Marrakech",
        "Marrakech",
        "Pr. Nadia Chraibi, directrice",
        "Avenue Abdelkrim Khattabi, BP 575, Guéliz, Marrakech",
    ),
    (
        "FST Settat",
        "Settat",
        "Pr. Hassan Berrada, doyen",
        "Route de Casablanca, km 3,5, BP 577, Settat",
    ),
    (
        "FST Fès",
        "Fès",
        "Pr. Samira Lahlou, doyenne",
        "Route d'Imouzzer, BP 2202, Fès",
    ),
    (
        "ENSAM Casablanca",
        "Casablanca",
        "Pr. Khalid Sebti, directeur",
        "150, boulevard du Nil, Sidi Othmane, Casablanca",
    ),
    (
        "UM6P",
        "Benguerir",
        "M. Youssef Kettani, président",
        "Lot 660, Hay Moulay Rachid, 43150 Benguerir",
    ),
)

#: region code -> plausible CIN letter prefixes
CIN_PREFIXES: dict[str, tuple[str, ...]] = {
    "tanger-tetouan-al-hoceima": ("KB", "LC", "RB"),
    "oriental": ("FA", "FB", "SA"),
    "fes-meknes": ("CD", "CB", "DA"),
    "rabat-sale-kenitra": ("AB", "AE", "GK"),
    "beni-mellal-khenifra": ("IA", "IB", "PA"),
    "casablanca-settat": ("BE", "BH", "BK", "MC", "WA"),
    "marrakech-safi": ("EE", "EA", "HA"),
    "draa-tafilalet": ("UA", "UB", "QA"),
    "souss-massa": ("JA", "JB", "JC"),
    "guelmim-oued-noun": ("JE", "JF"),
    "laayoune-sakia-el-hamra": ("SH", "SJ"),
    "dakhla-oued-ed-dahab": ("VA", "VB"),
}
PROGRAMMES: dict[str, str] = {
    "Génie logiciel": "la conception de logiciels",
    "Réseaux et télécoms": "les réseaux et les télécommunications",
    "Data science": "l'analyse de données",
    "Cybersécurité": "la sécurité des systèmes d'information",
    "Systèmes embarqués": "les systèmes embarqués et l'internet des objets",
    "Intelligence artificielle": "l'apprentissage automatique",
    "Cloud et DevOps": "l'informatique en nuage",
    "Systèmes d'information": "les systèmes d'information d'entreprise",
}
PROJECTS = (
    "une application mobile de suivi des rendez-vous médicaux",
    "une plateforme web de covoiturage entre étudiants",
    "un tableau de bord d'analyse de la consommation d'énergie",
    "un outil de détection d'intrusions sur un réseau de campus",
    "un capteur connecté de mesure de la qualité de l'air",
    "un agent conversationnel en darija et en français",
    "un système de paiement mobile pour les commerçants de proximité",
    "une chaîne d'intégration continue pour un projet libre",
)
SECTORS = ("la banque", "les télécommunications", "l'assurance", "la logistique", "l'e-commerce")
POLE_NAMES_FR = {
    Pole.mobile: "Services mobiles",
    Pole.security: "Sécurité, e-paiement et droits numériques",
    Pole.multimedia: "Multimédia",
    Pole.software: "Progiciels",
}

INTROS = (
    "Étudiant{e} en {year}e année de {programme} à {institution}, je souhaite effectuer mon "
    "stage de fin d'études en France au sein d'une entreprise du numérique.",
    "Passionné{e} par {topic} depuis mes premières années d'études, je candidate au programme "
    "d'échange de Maroc Numeric Cluster pour donner une dimension internationale à mon parcours.",
    "Actuellement en {year}e année de {programme} à {institution} ({city}), je vois dans ce "
    "programme l'occasion de confronter ma formation aux pratiques des entreprises françaises.",
)
MIDDLES = (
    "Au cours de mes projets académiques, j'ai conçu {project}, ce qui m'a appris à travailler "
    "en équipe avec des méthodes agiles et à livrer dans les délais.",
    "Mon stage d'été dans une entreprise de {sector} m'a fait découvrir les exigences de "
    "qualité, de sécurité et de documentation d'un projet réel.",
    "Le pôle « {pole} » correspond le mieux à mon projet professionnel : c'est un domaine en "
    "pleine croissance au Maroc, où l'expérience acquise en France sera précieuse.",
    "Membre {actif} du club informatique de mon école, j'anime des ateliers de programmation et "
    "je participe régulièrement à des hackathons nationaux.",
    "Mon niveau de français me permet de rédiger des documents techniques et de communiquer "
    "aisément avec des équipes pluridisciplinaires.",
)
CLOSINGS = (
    "À mon retour, je souhaite mettre ces compétences au service d'une entreprise marocaine et "
    "contribuer au développement de l'écosystème numérique national.",
    "Je m'engage à revenir au Maroc à l'issue du stage afin de partager l'expérience acquise et "
    "de participer à la transformation numérique des entreprises de ma région.",
)

CORRECTIONS = (
    "Le relevé de notes du dernier semestre manque : ajoutez-le et soumettez à nouveau.",
    "Votre numéro de passeport ne correspond pas au scan fourni : vérifiez-le.",
    "L'attestation de scolarité doit dater de cette année universitaire.",
    "Précisez votre filière exacte telle qu'elle figure sur l'attestation de scolarité.",
)
REJECTIONS = (
    (DocumentKind.passport, "Le scan est illisible : la page d'identité doit être entière."),
    (
        DocumentKind.french_certificate,
        "Le certificat fourni a expiré ; joignez un certificat en cours de validité.",
    ),  # noqa: E501
    (DocumentKind.transcript, "Le relevé n'est pas signé ni tamponné par l'établissement."),
)
WITHDRAWALS = (
    "J'ai obtenu un stage de fin d'études au Maroc.",
    "Pour des raisons familiales, je ne peux pas partir cette année.",
    "Je poursuis finalement en master au Maroc.",
    "",
)
#: how many applications of each status (150 in all; most submitted or eligible)
STATUS_COUNTS: dict[ApplicationStatus, int] = {
    A.draft: 18,
    A.submitted: 42,
    A.returned: 12,
    A.eligible: 48,
    A.ineligible: 18,
    A.withdrawn: 12,
}


# --- demo files ------------------------------------------------------------------------------


def passport_png() -> bytes:
    """A small fake passport scan (PNG), clearly marked as a specimen."""
    image = Image.new("RGB", (320, 220), (120, 24, 38))
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 308, 208), outline=(212, 175, 55), width=3)
    draw.rectangle((28, 60, 110, 170), fill=(235, 225, 210))
    draw.text((130, 30), "ROYAUME DU MAROC", fill=(212, 175, 55))
    draw.text((130, 60), "PASSEPORT", fill=(255, 255, 255))
    draw.text((130, 100), "SPECIMEN - DEMO", fill=(255, 255, 255))
    draw.text((130, 130), "MNC Exchange", fill=(255, 255, 255))
    draw.text((28, 185), "P<MARSPECIMEN<<DEMO<<<<<<<<<<<<<<<<<<<", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


DOCUMENT_TITLES = {
    DocumentKind.cv: ("cv.pdf", "Curriculum vitae"),
    DocumentKind.transcript: ("releve-de-notes.pdf", "Relevé de notes"),
    DocumentKind.passport: ("passeport.png", "Passeport"),
    DocumentKind.french_certificate: ("certificat-francais.pdf", "Certificat de français"),
    DocumentKind.enrolment_certificate: ("attestation-scolarite.pdf", "Attestation de scolarité"),
    DocumentKind.motivation_letter: ("lettre-motivation.pdf", "Lettre de motivation"),
    DocumentKind.recommendation_letter: ("lettre-recommandation.pdf", "Lettre de recommandation"),
}


def demo_files() -> dict[DocumentKind, tuple[str, bytes]]:
    """One file per document kind (the same bytes for every applicant): name and content."""
    files = {}
    for kind, (name, title) in DOCUMENT_TITLES.items():
        if kind is DocumentKind.passport:
            files[kind] = (name, passport_png())
        else:
            files[kind] = (
                name,
                minimal_pdf(
                    [
                        f"MNC Exchange - {title}",
                        "Document de démonstration généré automatiquement.",
                        "Ce fichier ne contient aucune donnée personnelle réelle.",
                        "Maroc Numeric Cluster - programme de stages Maroc-France.",
                    ]
                ),
            )
    return files


# --- institutions ----------------------------------------------------------------------------


def ensure_demo_institutions() -> list[Institution]:
    """Add the demo institutions that are missing (through the audited service)."""
    result = []
    for name, city, representative, address in DEMO_INSTITUTIONS:
        institution = reference_services.find_institution_by_name(name)
        if institution is None:
            institution = reference_services.create_institution(name, city, representative, address)
        result.append(institution)
    return result


# --- applicants ------------------------------------------------------------------------------


def draw_people(rng: random.Random) -> list[Person]:
    regions = list(REGIONS)  # every region at least once, then weighted
    regions += random_regions(rng, DEMO_APPLICANTS - 12)
    rng.shuffle(regions)
    return [
        random_person(rng, Gender.female if i % 2 else Gender.male, region)
        for i, region in enumerate(regions)
    ]


def _students(people: list[Person]) -> list[User]:
    """The applicants' accounts (the existing ones kept), in the order of ``people``."""
    emails = [DEMO_EMAIL.format(i + 1) for i in range(len(people))]
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    specs = [
        (email, f"{person.first_name} {person.last_name}", Role.student, None)
        for email, person in zip(emails, people, strict=True)
        if email not in existing
    ]
    created = create_accounts(specs, hash_password(), utcnow()) if specs else []
    users = {**existing, **{user.email: user for user in created}}
    return [users[email] for email in emails]


def _motivation(rng, person, programme, year, institution, poles) -> str:
    female = person.gender is Gender.female
    words = {
        "e": "e" if female else "",
        "actif": "active" if female else "actif",
        "programme": programme,
        "topic": PROGRAMMES[programme],
        "year": year,
        "institution": institution.name,
        "city": institution.city,
        "project": rng.choice(PROJECTS),
        "sector": rng.choice(SECTORS),
        "pole": POLE_NAMES_FR[Pole(poles[0])],
    }
    sentences = [rng.choice(INTROS), *rng.sample(MIDDLES, 3), rng.choice(CLOSINGS)]
    return " ".join(s.format(**words) for s in sentences)


def fill_profile(rng, application, person, institutions, cins, rules, latest_end, today, fail):
    """Fill the file; ``fail`` is the set of rule codes to break (empty: meets every rule),
    or "random" (usually fine, sometimes not)."""
    if fail == "random":
        fail = set() if rng.random() < 0.8 else {rng.choice(["french_level", "average"])}
    minimum_rank = CEFR_LEVELS.index(rules.min_french_level)
    years = sorted(rules.allowed_years) or [4]
    institution = rng.choice(institutions)
    programme = rng.choice(list(PROGRAMMES))
    if "french_level" in fail:
        french = CEFR_LEVELS[max(0, minimum_rank - 1)]
    else:
        french = rng.choice(CEFR_LEVELS[max(minimum_rank, 2) :] or CEFR_LEVELS[minimum_rank:])
    minimum = Decimal(rules.min_average)
    cents = int(minimum * 100)
    if "average" in fail and cents > 0:
        average = Decimal(rng.randint(max(0, min(1000, cents - 200)), cents - 1)) / 100
    else:
        low = max(cents, 1000)
        average = Decimal(rng.randint(low, max(low, 1800))) / 100
    if "year_of_study" in fail:
        year = rng.choice([y for y in range(1, 9) if y not in years] or [1])
    else:
        year = rng.choice(years)
    needed = add_months(latest_end, rules.passport_months_after_end) if latest_end else today
    if "passport" in fail:
        passport_expiry = needed - timedelta(days=rng.randint(10, 80))
    else:
        passport_expiry = needed + timedelta(days=rng.randint(90, 1500))
    poles = [p.value for p in Pole]
    rng.shuffle(poles)
    prefix = rng.choice(CIN_PREFIXES[person.region])
    while True:
        cin = f"{prefix}{rng.randint(100000, 999999)}"
        if cin not in cins:
            cins.add(cin)
            break
    application.first_name = person.first_name
    application.last_name = person.last_name
    application.gender = person.gender
    application.birth_date = today - timedelta(days=rng.randint(20 * 365, 25 * 365))
    application.cin = cin
    application.phone = _phone(rng)
    application.region = person.region
    application.passport_number = f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.randint(1000000, 9999999)}"  # noqa: E501
    application.passport_expiry = passport_expiry
    application.institution_id = institution.id
    application.programme = programme
    application.year_of_study = year
    application.grade_average = average
    application.french_level = french
    application.english_level = rng.choice(("A2", "B1", "B1", "B2", "B2", "B2", "C1", "C1"))
    application.pole_ranking = poles
    application.motivation = _motivation(rng, person, programme, year, institution, poles)


def _phone(rng: random.Random) -> str:
    """A mobile number (+2126…) that the application form would accept."""
    while True:
        number = f"+2126{rng.randint(0, 99999999):08d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number, "MA")):
            return number


def leave_incomplete(rng, application) -> None:
    """A draft: some fields still empty."""
    for key in rng.sample(
        ["passport_number", "passport_expiry", "motivation", "english_level", "phone"],
        rng.randint(1, 3),
    ):
        setattr(application, key, None)
    if rng.random() < 0.5:
        application.pole_ranking = []


def _statuses(rng) -> list[ApplicationStatus]:
    statuses = [status for status, n in STATUS_COUNTS.items() for _ in range(n)]
    rng.shuffle(statuses)
    return statuses


def load_demo_applications(cohort: Cohort, today: date | None = None) -> int:
    """Create the demo institutions and applications for ``cohort``; returns how many
    applications were created (0 when the cohort already has some)."""
    today = today or date.today()
    institutions = ensure_demo_institutions()
    has_applications = db.session.scalar(
        select(func.count()).select_from(Application).where(Application.cohort_id == cohort.id)
    )
    if has_applications:
        return 0

    rng = random.Random(SEED)
    rules = services.rules_for(cohort)
    requirements = services.requirements_for(cohort)
    latest_end = services.latest_internship_end(cohort)
    coordinator = demo_coordinator()
    people = draw_people(rng)
    students = _students(people)
    statuses = _statuses(rng)
    cins: set[str] = set(
        db.session.scalars(
            select(Application.cin).where(
                Application.cohort_id == cohort.id, Application.cin.is_not(None)
            )
        )
    )
    opened = cohort.applications_open_on or today - timedelta(days=30)
    span = max(1, (today - opened).days)

    # 1. the applications' contents
    plans = []
    overrides = 2  # two eligible files decided against the rules, with a written reason
    for person, student, status in zip(people, students, statuses, strict=True):
        application = Application(cohort_id=cohort.id, student=student, status=A.draft)
        if status is A.ineligible:
            breakable = ["french_level", "average", "year_of_study"]
            if latest_end:
                breakable.append("passport")
            fail = set(rng.sample(breakable, rng.randint(1, 2)))
        elif status is A.eligible and overrides:
            fail, overrides = {"average"}, overrides - 1
        elif status is A.eligible:
            fail = set()
        else:
            fail = "random"
        fill_profile(rng, application, person, institutions, cins, rules, latest_end, today, fail)
        started = opened + timedelta(days=rng.randint(0, max(0, span - 3)))
        application.created_at = random_time(started, rng)
        if status is A.draft:
            leave_incomplete(rng, application)
        else:
            submitted = min(today - timedelta(days=1), started + timedelta(days=rng.randint(1, 5)))
            application.submitted_at = max(application.created_at, random_time(submitted, rng))
            application.return_commitment_at = application.submitted_at - timedelta(hours=1)
            application.consent_at = application.submitted_at - timedelta(hours=1)
        db.session.add(application)
        plans.append((application, status))
    db.session.flush()

    # 2. documents: real files through the upload checks, one stored file per document
    files = demo_files()
    asked = [kind for kind, required in requirements.items() if required]
    optional = [kind for kind, required in requirements.items() if not required]
    for application, status in plans:
        kinds = list(asked)
        if status is A.draft:
            kinds = rng.sample(kinds, rng.randint(0, len(kinds)))
        kinds += [kind for kind in optional if rng.random() < 0.4]
        for kind in kinds:
            name, data = files[kind]
            checked = uploads.check_upload(io.BytesIO(data), name)
            uploaded_at = (application.submitted_at or application.created_at) - timedelta(
                hours=rng.randint(2, 48)
            )
            document = services.stored_document(
                application,
                kind,
                1,
                checked,
                uploaded_at=max(uploaded_at, application.created_at),
                uploaded_by_id=application.student_id,
            )
            db.session.add(document)
            if status in (A.eligible, A.ineligible):
                document.status = DocumentStatus.accepted
                document.reviewed_by_id = coordinator.id if coordinator else None
                document.reviewed_at = application.submitted_at + timedelta(days=1)
    db.session.flush()
    for application, _status in plans:
        for document in application.documents:
            record(
                "document.upload",
                document,
                {
                    "application": application.id,
                    "kind": document.kind.value,
                    "version": 1,
                    "sha256": document.sha256,
                    "demo": True,
                },
                actor=application.student,
            )

    # 3. the status history (the same audit events as the services, without the e-mails)
    for application, status in plans:
        _history(rng, application, status, coordinator, requirements, today)
    db.session.flush()
    return len(plans)


def record_demo_states(
    applications: list[Application], actor: Callable[[Application], User | None]
) -> None:
    """The audit event of applications whose outcome the demo wrote directly."""
    for application in applications:
        record(
            "application.demo_state",
            application,
            {
                "status": application.status.value,
                "final_rank": application.final_rank,
                "demo": True,
            },
            actor=actor(application),
        )


def _move(application: Application, target: ApplicationStatus, actor, **details) -> None:
    source = application.status
    assert target in services.TRANSITIONS[source], (source, target)
    application.status = target
    record(
        "application.transition",
        application,
        {"from": source.value, "to": target.value, "demo": True, **details},
        actor=actor,
    )


def _message(application, kind: MessageKind, body: str, author, at: datetime) -> None:
    db.session.add(
        ApplicationMessage(
            application=application, kind=kind, body=body, author=author, created_at=at
        )
    )


def _history(rng, application, status, coordinator, requirements, today) -> None:
    if status is A.draft:
        return
    _move(application, A.submitted, application.student, resubmission=False)
    decided_at = min(
        utcnow() - timedelta(minutes=rng.randint(5, 600)),
        application.submitted_at + timedelta(days=rng.randint(1, 6)),
    )
    if status in (A.submitted, A.eligible, A.ineligible):
        services.screen_application(application)  # the rules' suggestion (no e-mail)
    if status is A.returned:
        rejected = rng.random() < 0.5
        kind, comment = rng.choice(REJECTIONS)
        current = application.current_documents().get(kind)
        if rejected and current and requirements.get(kind):
            document = current[0]
            document.status = DocumentStatus.rejected
            document.review_comment = comment
            document.reviewed_at = decided_at
            document.reviewed_by_id = coordinator.id if coordinator else None
            record(
                "document.review",
                document,
                {"accepted": False, "comment": comment, "application": application.id},
                actor=coordinator,
            )
            body = _(
                "Document “%(kind)s” rejected: %(comment)s",
                kind=DOCUMENT_LABELS[kind],
                comment=comment,
            )
            _message(application, MessageKind.document, body, coordinator, decided_at)
            _move(application, A.returned, coordinator, document=document.id)
        else:
            message = rng.choice(CORRECTIONS)
            _message(application, MessageKind.correction, message, coordinator, decided_at)
            _move(application, A.returned, coordinator, message=message)
    elif status in (A.eligible, A.ineligible):
        eligible = status is A.eligible
        override = None
        if eligible != application.eligibility_suggestion:
            override = OVERRIDE_ELIGIBLE if eligible else OVERRIDE_INELIGIBLE
        _move(
            application,
            status,
            coordinator,
            suggested=application.eligibility_suggestion,
            override_reason=override,
        )
        application.eligibility_override_reason = override
        application.eligibility_decided_at = decided_at
        application.eligibility_decided_by_id = coordinator.id if coordinator else None
        if eligible:
            body = _("Your application is eligible. The selection continues.")
        else:
            reasons = [services.reason_text(r) for r in application.eligibility_reasons]
            body = _("Your application is not eligible: %(reasons)s.", reasons="; ".join(reasons))
        _message(application, MessageKind.eligibility, body, coordinator, decided_at)
    elif status is A.withdrawn:
        if rng.random() < 0.3 and services.screen_application(application).eligible:
            _move(application, A.eligible, coordinator, suggested=True, override_reason=None)
            application.eligibility_decided_at = decided_at - timedelta(hours=2)
            application.eligibility_decided_by_id = coordinator.id if coordinator else None
            _message(
                application,
                MessageKind.eligibility,
                _("Your application is eligible. The selection continues."),
                coordinator,
                decided_at - timedelta(hours=2),
            )
        reason = rng.choice(WITHDRAWALS)
        application.withdrawn_at = decided_at
        _move(application, A.withdrawn, application.student, reason=reason)
        _message(
            application,
            MessageKind.withdrawal,
            reason or _("Application withdrawn by the student."),
            application.student,
            decided_at,
        )
