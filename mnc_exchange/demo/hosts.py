"""Demo host companies, their offers, and the previous cohort's matching (issue 5).

Called by ``load_demo_data``. Idempotent: nothing is done when a company
already exists.

- 15 approved French IT / offshoring companies (valid SIRETs), each with a host contact account
  (the demo host ``rh@demo-entreprise.fr`` for the first one, plus a second HR account for three
  of them) and 2–3 tutors.
- The previous cohort (already ``returned``): 34 students (30 selected, 4 waitlisted, decisions
  published), 40 published offers, the preferences of both sides, a matching run committed by
  the demo coordinator, the companies' answers (2 declines), a follow-up run, and the confirmed
  placements.
- The current cohort: 12 offers (8 published; the demo company has one offer in each state
  from draft to published).

Companies, accounts, tutors, offers and applications are written directly, with the same audit
events as the services plus ``"demo": True``; every offer passes the French-law check
(``offers.law.check_offer``) at its submission date. The matching phase goes through
``placements.services`` exactly as the coordinators and companies would. Those services queue
e-mails: the ones queued by this load are deleted at the end, so that nothing is sent.

The data are random but reproducible (fixed seed); the preferences are planned with the pure
engine first so that every selected student ends up placed (30 confirmed placements).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import combinations
from pathlib import Path

import phonenumbers
from sqlalchemy import func, select, update
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from .. import internship_law, matching
from ..accounts.models import Role, User
from ..applications import services as app_services
from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..cohorts.models import Cohort
from ..core.timeutils import CASABLANCA, utcnow
from ..extensions import db
from ..hosts.models import Company, CompanyStatus, Pole, Tutor
from ..offers import law
from ..offers import services as offer_services
from ..offers.models import Offer, OfferStatus, WorkLanguage, WorkMode
from ..placements import services as placement_services
from ..placements.models import MAX_PREFERENCES, CompanyRanking, Placement, StudentPreference
from ..selection import services as selection_services
from .accounts import create_accounts, demo_coordinator, hash_password
from .applicants import draw_people, ensure_demo_institutions, fill_profile, record_demo_states
from .common import email_for, first_working_day, random_time, sends_no_emails, start_days, utc_at

A = ApplicationStatus
O = OfferStatus  # noqa: E741 - short alias, as in offers.services

SEED = 5005
ALUMNI_EMAIL = "alumni{:03d}@demo.mnc.ma"
ALUMNI = 34
SELECTED = 30  # the rest (4) are waitlisted
PREVIOUS_OFFERS = 40
#: Companies (besides the demo company) that rank their candidates themselves.
RANKING_COMPANIES = 9


@dataclass(frozen=True)
class _Company:
    legal_name: str
    domain: str
    naf_code: str
    address: str
    postcode: str
    city: str
    headcount: int
    sector: str
    mnc_member: bool
    representative: tuple[str, str]
    #: the host contact who registered the company (None: the demo host account)
    contact: str | None
    poles: tuple[Pole, ...]
    tutors: tuple[tuple[str, str], ...]
    #: offers in the previous cohort
    offers: int
    #: a second host account rh@<domain> (full name)
    hr_account: str | None = None


def _load_companies() -> tuple[_Company, ...]:
    """The demo's host companies, from ``companies.json`` (data, kept beside this module)."""
    rows = json.loads(Path(__file__).with_name("companies.json").read_text(encoding="utf-8"))
    return tuple(
        _Company(
            **row
            | {
                "representative": tuple(row["representative"]),
                "poles": tuple(Pole(pole) for pole in row["poles"]),
                "tutors": tuple(tuple(tutor) for tutor in row["tutors"]),
            }
        )
        for row in rows
    )


DEMO_COMPANIES: tuple[_Company, ...] = _load_companies()


@dataclass(frozen=True)
class _Template:
    title: str
    team: str
    context: str
    missions: tuple[str, str, str]
    skills: str


OFFER_TEMPLATES: dict[Pole, tuple[_Template, ...]] = {
    Pole.mobile: (
        _Template(
            "Développeur·se mobile Flutter", "applications mobiles",
            "la refonte de notre application grand public utilisée par plus de 500 000 clients",
            (
                "Développer de nouveaux parcours en Flutter/Dart, de la maquette à la mise en "
                "production",
                "Écrire les tests unitaires et d'intégration, participer aux revues de code",
                "Mesurer les performances et l'accessibilité de l'application sur Android et iOS",
            ),
            "Flutter, Dart, Git, API REST, tests automatisés",
        ),
        _Template(
            "Développeur·se Android (Kotlin)", "mobile",
            "une application de mobilité (billettique, information voyageurs en temps réel)",
            (
                "Concevoir des écrans en Jetpack Compose",
                "Intégrer les API de paiement et de géolocalisation",
                "Automatiser la publication sur le Play Store",
            ),
            "Kotlin, Jetpack Compose, coroutines, Gradle, CI/CD",
        ),
        _Template(
            "Développeur·se iOS (Swift)", "mobile",
            "notre application de banque au quotidien",
            (
                "Développer des fonctionnalités en SwiftUI",
                "Intégrer l'authentification forte (Face ID, 3-D Secure)",
                "Contribuer à la bibliothèque de composants partagés",
            ),
            "Swift, SwiftUI, Xcode, XCTest, Combine",
        ),
        _Template(
            "Ingénieur·e backend d'API mobiles", "plateforme",
            "la plateforme d'API qui alimente nos applications mobiles et celles de nos "
            "partenaires",
            (
                "Concevoir et documenter des API REST (OpenAPI)",
                "Mettre en place la supervision et les alertes",
                "Optimiser les temps de réponse et la montée en charge",
            ),
            "Node.js, TypeScript, PostgreSQL, Docker, OpenAPI",
        ),
        _Template(
            "Ingénieur·e QA mobile – automatisation des tests", "qualité",
            "la qualité de nos applications Android et iOS, publiées chaque semaine",
            (
                "Écrire des scénarios de test automatisés avec Appium",
                "Intégrer les tests à la chaîne d'intégration continue",
                "Analyser les anomalies et suivre leur correction avec les développeurs",
            ),
            "Appium, Python ou Java, Git, Jira, tests mobiles",
        ),
        _Template(
            "Développeur·se IoT et application compagnon", "objets connectés",
            "nos capteurs connectés et leur application mobile compagnon (Bluetooth Low Energy)",
            (
                "Développer la communication BLE entre les capteurs et le smartphone",
                "Réaliser les écrans de suivi dans l'application",
                "Participer aux essais sur le terrain avec nos clients",
            ),
            "C, Bluetooth Low Energy, Kotlin ou Swift, MQTT",
        ),
    ),
    Pole.security: (
        _Template(
            "Analyste SOC junior", "SOC",
            "la surveillance 24 h/24 des systèmes d'information de nos clients",
            (
                "Qualifier les alertes remontées par le SIEM et documenter les incidents",
                "Écrire de nouvelles règles de détection à partir de MITRE ATT&CK",
                "Participer aux exercices de réponse à incident",
            ),
            "SIEM (Splunk ou ELK), réseaux TCP/IP, Linux, MITRE ATT&CK",
        ),
        _Template(
            "Ingénieur·e sécurité applicative – tests d'intrusion", "audit",
            "des audits de sécurité d'applications web et mobiles",
            (
                "Réaliser des tests d'intrusion encadrés sur des applications web et mobiles",
                "Rédiger les rapports d'audit et les recommandations",
                "Développer des outils d'automatisation des tests",
            ),
            "OWASP, Burp Suite, Python, Linux, rédaction",
        ),
        _Template(
            "Développeur·se monétique – terminaux de paiement", "monétique",
            "le logiciel de nos terminaux de paiement certifiés EMV",
            (
                "Développer des évolutions du noyau de paiement sans contact",
                "Écrire et dérouler les plans de tests de certification",
                "Analyser les traces de transactions avec les équipes support",
            ),
            "C, EMV, ISO 8583, tests, Linux embarqué",
        ),
        _Template(
            "Développeur·se Java – paiement en ligne 3-D Secure", "paiement en ligne",
            "notre passerelle de paiement qui traite plusieurs millions de transactions par mois",
            (
                "Développer les évolutions du protocole 3-D Secure 2",
                "Renforcer la détection de la fraude par des règles métier",
                "Contribuer aux tests de charge et à la documentation",
            ),
            "Java 17, Spring Boot, PostgreSQL, Kafka, sécurité",
        ),
        _Template(
            "Ingénieur·e conformité PCI DSS et gestion des identités", "conformité",
            "la conformité PCI DSS et la gestion des identités et des accès (IAM)",
            (
                "Cartographier les flux de données de cartes et les droits d'accès",
                "Automatiser les revues de droits avec notre solution IAM",
                "Préparer les éléments de preuve de l'audit annuel",
            ),
            "PCI DSS, IAM, Active Directory, Python, rigueur",
        ),
        _Template(
            "Développeur·se droits numériques (DRM) et licences", "protection des contenus",
            "la protection des contenus numériques (DRM) et la gestion des licences de nos "
            "clients éditeurs",
            (
                "Intégrer des solutions DRM (Widevine, FairPlay) dans nos lecteurs",
                "Développer le service de délivrance des licences",
                "Tester la robustesse des protections",
            ),
            "C++ ou Java, cryptographie appliquée, DRM, API REST",
        ),
    ),
    Pole.multimedia: (
        _Template(
            "Développeur·se front-end – plateforme vidéo", "produit",
            "notre plateforme de vidéo à la demande",
            (
                "Développer des composants React accessibles",
                "Optimiser le chargement des pages et des vidéos",
                "Mettre en place des tests A/B avec l'équipe produit",
            ),
            "React, TypeScript, HTML/CSS, accessibilité, tests",
        ),
        _Template(
            "Ingénieur·e streaming vidéo (HLS/DASH)", "diffusion",
            "la chaîne de diffusion vidéo en direct et à la demande",
            (
                "Améliorer les chaînes d'encodage FFmpeg",
                "Mesurer la qualité d'expérience des spectateurs",
                "Automatiser le déploiement des encodeurs dans le cloud",
            ),
            "FFmpeg, HLS/DASH, Python, Linux, AWS",
        ),
        _Template(
            "Développeur·se Unity – réalité augmentée", "studio",
            "des expériences interactives en réalité augmentée pour des musées et des marques",
            (
                "Développer des prototypes interactifs sous Unity",
                "Intégrer des contenus 3D et des animations",
                "Tester les expériences sur tablettes et casques",
            ),
            "Unity, C#, ARCore/ARKit, 3D temps réel",
        ),
        _Template(
            "Data analyst – mesure d'audience", "data",
            "la mesure d'audience de nos contenus vidéo et audio",
            (
                "Construire des tableaux de bord d'audience",
                "Analyser les parcours des utilisateurs",
                "Proposer des recommandations éditoriales fondées sur les données",
            ),
            "SQL, Python, Power BI ou Metabase, statistiques",
        ),
        _Template(
            "Designer UX/UI – applications multimédia", "design",
            "la conception de nos applications multimédia sur le web, le mobile et la TV "
            "connectée",
            (
                "Mener des entretiens et des tests utilisateurs",
                "Concevoir des maquettes et des prototypes dans Figma",
                "Faire évoluer notre design system avec les développeurs",
            ),
            "Figma, recherche utilisateur, design system, accessibilité",
        ),
        _Template(
            "Ingénieur·e vision par ordinateur", "R&D",
            "l'indexation automatique d'images et de vidéos",
            (
                "Entraîner et évaluer des modèles de détection d'objets",
                "Industrialiser les modèles dans notre chaîne de traitement",
                "Annoter et préparer les jeux de données",
            ),
            "Python, PyTorch, OpenCV, Docker",
        ),
    ),
    Pole.software: (
        _Template(
            "Consultant·e ERP junior (Odoo)", "intégration ERP",
            "le déploiement de notre progiciel de gestion chez des PME industrielles",
            (
                "Recueillir les besoins des clients et paramétrer les modules",
                "Développer des modules spécifiques en Python",
                "Former les utilisateurs clés et rédiger la documentation",
            ),
            "Odoo, Python, SQL, gestion de projet, relation client",
        ),
        _Template(
            "Développeur·se full-stack Java / Angular", "développement",
            "notre progiciel de gestion commerciale",
            (
                "Développer des fonctionnalités de bout en bout (API Spring Boot, écrans Angular)",
                "Participer aux cérémonies Scrum et aux revues de code",
                "Améliorer la couverture de tests et la performance des requêtes",
            ),
            "Java, Spring Boot, Angular, PostgreSQL, Git",
        ),
        _Template(
            "Ingénieur·e DevOps", "plateforme SaaS",
            "l'industrialisation du déploiement de nos progiciels en mode SaaS",
            (
                "Automatiser les déploiements avec GitLab CI et Terraform",
                "Conteneuriser les applications et les déployer sur Kubernetes",
                "Améliorer la supervision (Prometheus, Grafana)",
            ),
            "Linux, Docker, Kubernetes, Terraform, GitLab CI",
        ),
        _Template(
            "Développeur·se Python – progiciel RH et paie", "RH et paie",
            "les modules RH et paie de notre progiciel",
            (
                "Développer les évolutions réglementaires de la paie",
                "Écrire des tests automatisés sur les calculs",
                "Optimiser les traitements de masse",
            ),
            "Python, Django, PostgreSQL, tests, rigueur",
        ),
        _Template(
            "Ingénieur·e data – entrepôt de données", "data",
            "l'entrepôt de données et les tableaux de bord de nos clients",
            (
                "Concevoir des flux d'alimentation (ETL) fiables",
                "Modéliser les données pour le reporting",
                "Mettre en place des contrôles de qualité des données",
            ),
            "SQL, Python, dbt ou Airflow, modélisation",
        ),
        _Template(
            "Développeur·se .NET – progiciel de gestion", "développement",
            "notre progiciel de gestion de la relation client",
            (
                "Développer de nouvelles fonctionnalités en C#/.NET",
                "Migrer des écrans vers Blazor",
                "Participer aux tests de non-régression",
            ),
            "C#, .NET, SQL Server, Blazor, Azure DevOps",
        ),
        _Template(
            "Ingénieur·e cloud – migration vers Kubernetes", "cloud",
            "la migration des applications de nos clients vers un cloud souverain",
            (
                "Analyser les applications et proposer une architecture cible",
                "Réaliser les migrations et les tests de bascule",
                "Documenter les procédures d'exploitation",
            ),
            "Kubernetes, Linux, Ansible, réseaux, cloud",
        ),
    ),
}  # fmt: skip

BENEFITS = (
    "Titres-restaurant et prise en charge de 50 % de l'abonnement de transport.",
    "Accès au restaurant d'entreprise et prise en charge de 50 % de l'abonnement de transport.",
    "Titres-restaurant, mutuelle d'entreprise et forfait mobilités durables.",
)
DECLINE_REASONS = (
    "Après l'entretien de présentation, le profil est plus orienté réseaux que développement : "
    "il ne correspond pas aux missions de ce poste. Nous préférons libérer la place.",
    "L'étudiant·e n'est disponible qu'à partir de la mi-mai (fin des examens), or le projet "
    "démarre dès le début du mois d'avril chez le client : les dates ne sont pas compatibles.",
)
#: French area digit of the landline numbers, by city.
AREA_DIGIT = {
    "Paris": "1", "Lille": "3", "Strasbourg": "3", "Lyon": "4", "Grenoble": "4",
    "Marseille": "4", "Sophia Antipolis": "4", "Montpellier": "4", "Nantes": "2",
    "Rennes": "2", "Toulouse": "5", "Bordeaux": "5",
}  # fmt: skip
#: Weight of an offer for a student, by the position of its pole in the student's ranking.
POLE_WEIGHTS = (10, 4, 1.5, 0.6)


# --- helpers ---------------------------------------------------------------------------------


def _siret(rng: random.Random, taken: set[str]) -> str:
    """SIREN = 8 digits + Luhn digit; SIRET = SIREN + 4-digit NIC + Luhn digit."""
    while True:
        body = f"{rng.randint(30000000, 99999999):08d}"
        siren = body + luhn.calc_check_digit(body)
        base = siren + f"{rng.choice((1, 1, 1, 2, 3, 5, 12, 18, 25)):04d}"
        siret = base + luhn.calc_check_digit(base)
        if stdnum_siret.is_valid(siret) and siret not in taken:
            taken.add(siret)
            return siret


def _phone(rng: random.Random, city: str) -> str:
    """A French number in E.164: a mobile, or a landline of the city's area."""
    while True:
        lead = rng.choice(("6", "7", AREA_DIGIT.get(city, "1"), AREA_DIGIT.get(city, "1")))
        number = f"+33{lead}{rng.randint(10000000, 99999999)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number, "FR")):
            return number


def _local_end_of_day(day: date) -> datetime:
    """23:59 on ``day`` in Casablanca, as an aware UTC datetime."""
    return datetime.combine(day, time(23, 59), tzinfo=CASABLANCA).astimezone(UTC)


def _stipend(rng: random.Random, year: int, weekly: Decimal, big: bool) -> Decimal:
    """The legal monthly minimum rounded up to the next €50, plus what the company adds."""
    known = internship_law.SOCIAL_SECURITY_HOURLY_CEILING
    # Next year's ceiling is not published yet: the law check uses the latest one (a warning).
    minimum = internship_law.monthly_minimum(min(year, max(known)), weekly)
    extra = rng.choice((0, 0, 0, 50, 100, 150, 200, 300)) + (100 if big else 0)
    return Decimal(math.ceil(minimum / 50) * 50 + extra)


# --- companies -------------------------------------------------------------------------------


@dataclass
class Host:
    spec: _Company
    company: Company
    contact: User
    tutors: list[Tutor]


def _companies(rng, coordinator: User, host: User | None, password_hash: str, year: int):
    """The 15 approved companies with their contacts and tutors."""
    taken = set(db.session.scalars(select(Company.siret)))
    hosts: list[Host] = []
    for spec in DEMO_COMPANIES:
        registered = random_time(date(year - 1, 6, 1) + timedelta(days=rng.randint(0, 90)), rng)
        company = Company(
            legal_name=spec.legal_name,
            siret=_siret(rng, taken),
            naf_code=spec.naf_code,
            address=spec.address,
            postcode=spec.postcode,
            city=spec.city,
            headcount=spec.headcount,
            sector=spec.sector,
            mnc_member=spec.mnc_member,
            representative_name=spec.representative[0],
            representative_title=spec.representative[1],
            status=CompanyStatus.approved,
            created_at=registered,
            approved_at=registered + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8)),
            approved_by_id=coordinator.id,
        )
        db.session.add(company)
        hosts.append(Host(spec, company, host, []))
    db.session.flush()

    specs = []
    for entry in hosts:
        spec = entry.spec
        if spec.contact is not None:
            specs.append(
                (email_for(spec.contact, spec.domain), spec.contact, Role.host, entry.company.id)
            )
        if spec.hr_account:
            specs.append((f"rh@{spec.domain}", spec.hr_account, Role.host, entry.company.id))
    users = {user.email: user for user in create_accounts(specs, password_hash, utcnow())}
    for entry in hosts:
        spec = entry.spec
        if spec.contact is not None:
            entry.contact = users[email_for(spec.contact, spec.domain)]
        elif host is not None and host.company_id is None:
            host.company_id = entry.company.id  # the demo host account: the demo company
            record("user.company", host, {"company": entry.company.id, "demo": True})
        record(
            "company.register",
            entry.company,
            {"siret": entry.company.siret, "demo": True},
            actor=entry.contact,
        )
        record("company.approve", entry.company, {"demo": True}, actor=coordinator)
        for full_name, job_title in spec.tutors:
            tutor = Tutor(
                company_id=entry.company.id,
                created_at=entry.company.approved_at + timedelta(days=rng.randint(1, 20)),
                full_name=full_name,
                job_title=job_title,
                email=email_for(full_name, spec.domain),
                phone=_phone(rng, spec.city),
            )
            db.session.add(tutor)
            entry.tutors.append(tutor)
    db.session.flush()
    for entry in hosts:
        for tutor in entry.tutors:
            record("tutor.save", tutor, {"demo": True}, actor=entry.contact)
    return hosts


# --- offers ----------------------------------------------------------------------------------


class Templates:
    """Hands out offer templates per pole, in a shuffled rotation."""

    def __init__(self, rng: random.Random) -> None:
        self.queues = {}
        for pole, templates in OFFER_TEMPLATES.items():
            items = list(templates)
            rng.shuffle(items)
            self.queues[pole] = items

    def next(self, pole: Pole, avoid: set[str]) -> _Template:
        queue = self.queues[pole]
        for index, template in enumerate(queue):
            if template.title not in avoid:
                queue.append(queue.pop(index))
                return template
        template = queue.pop(0)
        queue.append(template)
        return template


def _description(rng, template: _Template, entry: Host, language: WorkLanguage, mode) -> str:
    english = " et en anglais" if language is not WorkLanguage.fr else ""
    remote = (
        " Télétravail possible deux jours par semaine après la période d'intégration."
        if mode is WorkMode.hybrid
        else ""
    )
    missions = "\n".join(f"- {mission}" for mission in template.missions)
    return (
        f"{entry.company.legal_name} accueille un·e stagiaire au sein de son équipe "
        f"{template.team}, à {entry.spec.city}. Le stage porte sur {template.context}.\n\n"
        f"Missions :\n{missions}\n\n"
        "Profil : élève ingénieur·e ou étudiant·e en master (bac+5) en informatique, à l'aise "
        f"à l'écrit comme à l'oral en français{english}. Curiosité, rigueur et goût du travail "
        "en équipe.\n\n"
        "Encadrement : un point hebdomadaire avec votre tuteur·rice, des revues de code "
        f"régulières et une intégration complète dans l'équipe.{remote} {rng.choice(BENEFITS)}"
    )


def _new_offer(
    rng, cohort: Cohort, entry: Host, tutor: Tutor, template: _Template, pole: Pole,
    start: date, checked_on: date, latest_end: date | None, max_seats: int = 1,
) -> Offer:  # fmt: skip
    """A draft offer that passes the law check on ``checked_on`` (its law warnings stored)."""
    weekly = Decimal(rng.choices((35, 37, 39), weights=(8, 1, 1))[0])
    months = rng.choice((4, 5, 5, 6)) if weekly == 35 else rng.choice((4, 5))
    seats = 2 if entry.spec.headcount >= 50 and rng.random() < 0.15 and max_seats >= 2 else 1
    language = rng.choices(list(WorkLanguage), weights=(6, 1, 3))[0]
    mode = WorkMode.hybrid if rng.random() < 0.35 else WorkMode.onsite
    offer = Offer(
        cohort_id=cohort.id,
        company_id=entry.company.id,
        tutor_id=tutor.id,
        title=template.title,
        description=_description(rng, template, entry, language, mode),
        pole=pole,
        skills=template.skills,
        city=entry.spec.city,
        language=language,
        work_mode=mode,
        status=O.draft,
        law_warnings=[],
    )
    offer.company = entry.company
    db.session.add(offer)
    big = entry.spec.headcount >= 500
    while True:
        end = internship_law.add_months(start, months) - timedelta(days=1)
        if latest_end is not None:
            end = min(end, latest_end)
        offer.start_on, offer.end_on, offer.seats = start, end, seats
        offer.weekly_hours, offer.daily_hours = weekly, weekly / 5
        offer.monthly_stipend = _stipend(rng, start.year, weekly, big)
        # L124-13: leave past 2 months; two days a month of internship (no draw: the demo's
        # random sequence stays as it was).
        offer.leave_days = 2 * months
        db.session.flush()
        report = law.check_offer(offer, today=checked_on)
        if report.ok:
            break
        if seats > 1:
            seats = 1
        elif weekly > 35:
            weekly = Decimal(35)
        elif months > 4:
            months -= 1
        else:
            reasons = "; ".join(f.default_message for f in report.violations)
            raise RuntimeError(f"demo offer {template.title!r} breaks the law: {reasons}")
    offer.law_warnings = [
        {"code": f.code, "key": f.message_key, "text": law.message(f)} for f in report.warnings
    ]
    return offer


def advance_offer(
    offer: Offer, target: OfferStatus, at: datetime, entry: Host, coordinator
) -> None:
    """One step of the offer's life, with the services' audit event (no e-mail)."""
    source = offer.status
    assert target in offer_services.TRANSITIONS[source], (source, target)
    staff = (source, target) == (O.submitted, O.approved)
    offer.status = target
    if target is O.submitted:
        offer.submitted_at = at
    elif target is O.approved:
        offer.approved_at = at
        offer.approved_by_id = coordinator.id
    elif target is O.published:
        offer.published_at = at
    record(
        "offer.transition",
        offer,
        {"from": source.value, "to": target.value, "demo": True},
        actor=coordinator if staff else entry.contact,
    )


def create_offers(
    rng, cohort: Cohort, plan: list[tuple[Host, OfferStatus]], templates: Templates,
    start_choices: tuple[date, ...], opened: date, last: date, coordinator,
) -> list[Offer]:  # fmt: skip
    """Offers of ``cohort`` following ``plan`` (company, final status); submitted between
    ``opened`` and ``last``, approved and published a few days later."""
    latest_end = app_services.latest_internship_end(cohort)
    tutor_seats: Counter[int] = Counter()
    tutor_turn: Counter[int] = Counter()
    titles: dict[int, set[str]] = defaultdict(set)
    offers = []
    span = max(0, (last - opened).days - 8)
    for entry, status in plan:
        company_id = entry.company.id
        pole = entry.spec.poles[len(titles[company_id]) % len(entry.spec.poles)]
        template = templates.next(pole, titles[company_id])
        titles[company_id].add(template.title)
        # A tutor follows at most 3 interns at once (R124-13); all of a cohort's offers overlap.
        tutor = min(entry.tutors, key=lambda t: (tutor_seats[t.id], tutor_turn[t.id]))
        tutor_turn[tutor.id] = len(offers) + 1
        submitted_on = opened + timedelta(days=rng.randint(0, span))
        created = random_time(submitted_on - timedelta(days=rng.randint(1, 10)), rng)
        start = rng.choice(start_choices)
        offer = _new_offer(
            rng, cohort, entry, tutor, template, pole, start, submitted_on, latest_end,
            max_seats=3 - tutor_seats[tutor.id],
        )  # fmt: skip
        tutor_seats[tutor.id] += offer.seats
        offer.created_at = created
        record("offer.create", offer, {"demo": True}, actor=entry.contact)
        at = random_time(submitted_on, rng)
        if status is O.draft:
            offer.law_warnings = []  # checked when it is submitted
        else:
            for target in (O.submitted, O.approved, O.published):
                advance_offer(offer, target, at, entry, coordinator)
                if target is status:
                    break
                at += timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
        offers.append(offer)
    db.session.flush()
    return offers


# --- the previous cohort: students -----------------------------------------------------------


def _alumni(rng, cohort: Cohort, coordinator: User, password_hash: str) -> list[Application]:
    """34 students with complete files, scored, 30 selected and 4 waitlisted, published."""
    institutions = ensure_demo_institutions()
    rules = app_services.rules_for(cohort)
    latest_end = app_services.latest_internship_end(cohort)
    people = draw_people(rng)[:ALUMNI]
    opened = cohort.applications_open_on or date(cohort.year - 1, 10, 1)
    closed = cohort.applications_close_on or date(cohort.year - 1, 12, 15)
    selection_on = cohort.selection_on or date(cohort.year, 1, 31)
    students = create_accounts(
        [
            (ALUMNI_EMAIL.format(i + 1), f"{p.first_name} {p.last_name}", Role.student, None)
            for i, p in enumerate(people)
        ],
        password_hash,
        random_time(opened, rng),
    )
    score = Decimal("91.50")
    applications = []
    cins: set[str] = set()
    for rank, (person, student) in enumerate(zip(people, students, strict=True), start=1):
        application = Application(cohort_id=cohort.id, student=student, status=A.draft)
        fill_profile(rng, application, person, institutions, cins, rules, latest_end, opened, set())
        started = opened + timedelta(days=rng.randint(0, 50))
        application.created_at = random_time(started, rng)
        application.submitted_at = random_time(
            min(closed, started + timedelta(days=rng.randint(2, 20))), rng
        )
        application.consent_at = application.submitted_at - timedelta(hours=1)
        application.return_commitment_at = application.submitted_at - timedelta(hours=1)
        application.eligibility_suggestion = True
        application.eligibility_reasons = []
        application.eligibility_decided_at = application.submitted_at + timedelta(days=4)
        application.eligibility_decided_by_id = coordinator.id
        score -= Decimal(rng.randint(15, 140)) / 100
        application.final_score = score
        application.review_score = min(Decimal(100), score + Decimal(rng.randint(-300, 300)) / 100)
        application.final_rank = rank
        if rank <= SELECTED:
            application.status = A.selected
        else:
            application.status = A.waitlisted
            application.waitlist_rank = rank - SELECTED
        db.session.add(application)
        applications.append(application)
    settings = selection_services.settings_for(cohort)
    settings.scoring_started_at = utc_at(closed + timedelta(days=3), 9)
    settings.decisions_at = utc_at(selection_on - timedelta(days=1), 17)
    settings.published_at = utc_at(selection_on, 10)
    db.session.flush()
    record_demo_states(applications, lambda _application: coordinator)
    return applications


# --- the previous cohort: planning the matching ----------------------------------------------


def _score_key(application: Application):
    """The order ``placements.services.build_inputs`` uses when the coordinators' scores
    stand in for a company's ranking."""
    return (-application.final_score, application.final_rank, application.id)


def _simulate(prefs, rankings, capacities, apps, declined=frozenset()):
    """The engine's result on planned inputs, built as ``build_inputs`` builds them."""
    student_prefs = {
        str(a): [str(o) for o in offers if (a, o) not in declined and capacities.get(o, 0) > 0]
        for a, offers in prefs.items()
    }
    pool: dict[int, list[int]] = defaultdict(list)
    for a, offers in prefs.items():
        for o in offers:
            pool[o].append(a)
    offer_prefs = {}
    for o in capacities:
        by_score = sorted(pool[o], key=lambda a: _score_key(apps[a]))
        ranked = rankings.get(o)
        if ranked:
            explicit = sorted((r, a) for a, r in ranked.items() if r is not None)
            order = [a for _r, a in explicit] + [a for a in by_score if a not in ranked]
        else:
            order = by_score
        offer_prefs[str(o)] = [str(a) for a in order]
    caps = {str(o): c for o, c in capacities.items()}
    return {
        int(a): (int(o) if o else None)
        for a, o in matching.stable_match(student_prefs, offer_prefs, caps).items()
    }


def _plan(rng, selected: list[Application], offers: list[Offer], ranking_offers: set[int]):
    """Students' preferences (3–5 offers, mostly of their first poles), the rankings of the
    companies that rank, and the two placements the companies will decline.

    Planned with the pure engine so that every student is placed by the first run, and the
    two declined students by the follow-up run.
    """
    apps = {a.id: a for a in selected}
    by_id = {o.id: o for o in offers}
    seats = {o.id: o.seats for o in offers}
    prefs: dict[int, list[int]] = {}
    for application in selected:
        poles = application.pole_ranking
        minimum = min(o.monthly_stipend for o in offers)
        weights = [
            POLE_WEIGHTS[poles.index(o.pole.value)]
            * (1 + float(o.monthly_stipend - minimum) / 800)
            * (1.3 if o.city in ("Paris", "Lyon") else 1)
            for o in offers
        ]
        pool = list(offers)
        chosen = []
        for _ in range(rng.choice((3, 4, 4, 5, 5))):
            index = rng.choices(range(len(pool)), weights=weights)[0]
            chosen.append(pool.pop(index).id)
            weights.pop(index)
        prefs[application.id] = chosen

    # The companies' own view: the grades and their impression, a few not acceptable.
    rankings: dict[int, dict[int, int | None]] = {}
    for offer_id in sorted(ranking_offers):
        candidates = [a for a, chosen in prefs.items() if offer_id in chosen]
        if not candidates:
            continue
        noise = {a: rng.uniform(-1.5, 1.5) for a in candidates}
        ordered = sorted(candidates, key=lambda a: -(float(apps[a].grade_average) + noise[a]))
        entries: dict[int, int | None] = {}
        for a in ordered:
            acceptable = len(ordered) == 1 or rng.random() > 0.15
            ranked = sum(1 for r in entries.values() if r is not None)
            entries[a] = ranked + 1 if acceptable else None
        rankings[offer_id] = entries

    # Every student placed: an unplaced student adds (or swaps for their last choice) an
    # offer of one of their first poles that still has a seat.
    for _ in range(10):
        result = _simulate(prefs, rankings, seats, apps)
        unplaced = sorted(a for a, o in result.items() if o is None)
        if not unplaced:
            break
        load = Counter(o for o in result.values() if o)
        for a in unplaced:
            poles = apps[a].pole_ranking
            free = [
                o for o in offers
                if load[o.id] < o.seats and o.id not in prefs[a]
            ]  # fmt: skip
            free.sort(key=lambda o: (poles.index(o.pole.value), o.id in ranking_offers, o.id))
            pick = free[0]
            if len(prefs[a]) >= MAX_PREFERENCES:
                dropped = prefs[a].pop()
                rankings.get(dropped, {}).pop(a, None)
            prefs[a].append(pick.id)
            load[pick.id] += 1
    result = _simulate(prefs, rankings, seats, apps)
    for offer_id, entries in rankings.items():  # ranks 1..n again
        kept = sorted((r, a) for a, r in entries.items() if r is not None)
        renumbered = {a: n for n, (_r, a) in enumerate(kept, start=1)}
        rankings[offer_id] = {a: renumbered.get(a) for a in entries}

    # Two declines, on two different companies, whose students the follow-up run places.
    placed = sorted(a for a, o in result.items() if o is not None)
    rng.shuffle(placed)
    load = Counter(o for o in result.values() if o)
    declines: list[int] = []
    for s1, s2 in combinations(placed, 2):
        o1, o2 = result[s1], result[s2]
        if by_id[o1].company_id == by_id[o2].company_id:
            continue
        free = {o: seats[o] - load[o] for o in seats}
        free[o1] += 1
        free[o2] += 1
        again = _simulate(
            {s1: prefs[s1], s2: prefs[s2]},
            rankings,
            {o: n for o, n in free.items() if n > 0},
            apps,
            declined=frozenset({(s1, o1), (s2, o2)}),
        )
        if again[s1] is not None and again[s2] is not None:
            declines = [s1, s2]
            break
    return prefs, rankings, declines


# --- the previous cohort: the matching through the services ----------------------------------


def run_matching(rng, cohort: Cohort, hosts: list[Host], offers, selected, coordinator) -> None:
    contacts = {entry.company.id: entry.contact for entry in hosts}
    ranking_companies = {hosts[0].company.id} | {
        entry.company.id for entry in rng.sample(hosts[1:], RANKING_COMPANIES)
    }
    ranking_offers = {o.id for o in offers if o.company_id in ranking_companies}
    prefs, rankings, declines = _plan(rng, selected, offers, ranking_offers)
    offers_by_id = {o.id: o for o in offers}
    matching_on = cohort.matching_on or date(cohort.year, 2, 28)
    # Deadlines fall at 23:59 in Casablanca, the programme's zone (as the coordinators type
    # them): not 23:59 UTC, which the pages would show as 00:59 the next day.
    preferences_deadline = _local_end_of_day(matching_on - timedelta(days=14))
    company_deadline = _local_end_of_day(matching_on - timedelta(days=4))

    # 1. The students rank offers (the deadline is open while they do), then it passes.
    settings = placement_services.settings_for(cohort)
    settings.preferences_deadline_at = None
    settings.company_deadline_at = None
    for application in selected:
        placement_services.set_preferences(application, prefs[application.id], application.student)
        at = random_time(preferences_deadline.date() - timedelta(days=rng.randint(1, 12)), rng)
        db.session.execute(
            update(StudentPreference)
            .where(StudentPreference.application_id == application.id)
            .values(updated_at=at)
        )
    settings.preferences_deadline_at = preferences_deadline

    # 2. About ten companies rank their candidates; for the others the scores stand in.
    for offer_id, entries in rankings.items():
        offer = offers_by_id[offer_id]
        placement_services.set_company_ranking(offer, entries, contacts[offer.company_id])
        at = random_time(company_deadline.date() - timedelta(days=rng.randint(1, 8)), rng)
        db.session.execute(
            update(CompanyRanking).where(CompanyRanking.offer_id == offer_id).values(updated_at=at)
        )
    settings.company_deadline_at = company_deadline
    settings.confirmation_days = 7

    # 3. Preview, commit; the companies confirm, two decline with their reason.
    committed = _run(cohort, coordinator, utc_at(matching_on, 9, 30))
    for placement in committed:
        contact = contacts[offers_by_id[placement.offer_id].company_id]
        answered = utc_at(matching_on, 9, 30) + timedelta(hours=rng.randint(3, 120))
        if placement.application_id in declines:
            reason = DECLINE_REASONS[declines.index(placement.application_id)]
            placement_services.decline(placement, reason, contact, now=answered)
        else:
            placement_services.confirm(placement, contact, now=answered)

    # 4. Follow-up run for the declined students; their new companies confirm.
    if declines:
        follow_up = utc_at(matching_on + timedelta(days=7), 9, 30)
        for placement in _run(cohort, coordinator, follow_up):
            contact = contacts[offers_by_id[placement.offer_id].company_id]
            answered = follow_up + timedelta(hours=rng.randint(3, 48))
            placement_services.confirm(placement, contact, now=answered)
    db.session.flush()


def _run(cohort: Cohort, coordinator: User, at: datetime) -> list[Placement]:
    run = placement_services.run_preview(cohort, coordinator)
    run.created_at = at
    committed = at + timedelta(minutes=20)
    placements = placement_services.commit_run(run, coordinator, now=committed)
    for placement in placements:
        placement.created_at = committed
    db.session.flush()
    return placements


# --- entry point -----------------------------------------------------------------------------


@sends_no_emails  # the services queue e-mails (proposals, confirmations…)
def load_demo_hosts(
    previous: Cohort, current: Cohort, host: User | None, today: date | None = None
) -> int:
    """Create the demo companies, the previous cohort's offers, students and placements, and
    the current cohort's offers; returns how many companies were created (0 when any company
    exists already: nothing is done)."""
    today = today or date.today()
    if db.session.scalar(select(Company.id).limit(1)) is not None:
        return 0
    coordinator = demo_coordinator()
    if coordinator is None or host is None:
        return 0  # load_demo_data creates both first
    rng = random.Random(SEED)
    password_hash = hash_password()
    hosts = _companies(rng, coordinator, host, password_hash, previous.year)
    templates = Templates(rng)

    # The previous cohort: 40 published offers, the students, the matching.
    has_data = db.session.scalar(
        select(func.count()).select_from(Offer).where(Offer.cohort_id == previous.id)
    ) or db.session.scalar(
        select(func.count()).select_from(Application).where(Application.cohort_id == previous.id)
    )
    if not has_data:
        plan = [(entry, O.published) for entry in hosts for _ in range(entry.spec.offers)]
        departure = previous.departure_on or date(previous.year, 4, 1)
        opened = previous.applications_open_on or date(previous.year - 1, 10, 1)
        offers = create_offers(
            rng,
            previous,
            plan,
            templates,
            start_days(departure),
            opened + timedelta(days=15),
            # published before the students rank (two weeks before the matching)
            (previous.matching_on or date(previous.year, 2, 20)) - timedelta(days=30),
            coordinator,
        )
        applications = _alumni(rng, previous, coordinator, password_hash)
        selected = [a for a in applications if a.status is A.selected]
        run_matching(rng, previous, hosts, offers, selected, coordinator)

    # The current cohort: 8 published offers of other companies; the demo company has one
    # offer in each state.
    has_offers = db.session.scalar(
        select(func.count()).select_from(Offer).where(Offer.cohort_id == current.id)
    )
    if not has_offers:
        others = rng.sample(hosts[1:], 8)
        plan = [(entry, O.published) for entry in others] + [
            (hosts[0], status) for status in (O.draft, O.submitted, O.approved, O.published)
        ]
        departure = current.departure_on or today + timedelta(days=150)
        opened = current.applications_open_on or today - timedelta(days=30)
        create_offers(
            rng,
            current,
            plan,
            templates,
            (first_working_day(departure),),
            max(opened, today - timedelta(days=60)),
            today - timedelta(days=1),
            coordinator,
        )

    return len(hosts)
