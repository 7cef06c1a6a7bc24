"""Demo history (issue 7, for the reports of issue 8): the five cohorts before the previous one,
archived, and the whole follow-up of every intern since the first of them.

Called by ``load_demo_data`` (``history=True``). Idempotent: a past year is created only when
its cohort does not exist yet; the previous cohort (created by ``load_demo_data`` and ``hosts``,
30 confirmed placements) gets its unsuccessful applicants, its agreements and its follow-up only
when it has none yet.

For each past year (the previous cohort's year − 5 … − 1, i.e. 2021–2025 when the previous
cohort is 2026):

- a calendar like the real one: applications in October–November of the year before, selection
  mid-December, matching mid-January, departures on 1 April, returns by 30 September;
- 110–180 applicants (45–55 % women) with the whole funnel: drafts never sent, files returned
  and abandoned, withdrawals, ineligible files (they break the screening rules), eligible files
  scored, about 60 shortlisted and interviewed (``final_rank``), 30 selected, a waitlist, the
  others rejected; the decisions published;
- the offers of the demo companies that took part that year (they joined the programme over
  the years), each passing the French-law check of its year, and the matching through
  ``placements.services`` exactly as ``hosts`` runs it (two declines, a follow-up run,
  30 confirmed placements);
- agreements only for the latest archived year: the earlier ones were signed on paper before
  the platform existed (the cohort's title says so, and the reports count no signed agreement
  for them); the unsuccessful applicants of years past the retention period are anonymised as
  ``maintenance.retention`` would have done.

For the previous cohort: the unsuccessful applicants (so that its funnel compares with the other
years), real agreements for its 30 placements, then the follow-up.

The agreements go through ``agreements.services``: ``issue`` (a real PDF; about half a second
each, which is why only two cohorts have them), in-app signatures for the student and the host
contact, paper signatures with a small scanned PDF for the tutor, the institution, the referent
teacher and the programme, the préfecture's stamp for long stays, and an amendment for an early
end.

The follow-up goes through ``followup.services`` for every intern: the checklist steps done on
plausible dates (departure, arrival, VLS-TS), monthly check-ins (a few low, with problems),
incidents (10–20 % of the interns, mostly low or medium, at most one critical a year, closed
with a resolution), the tutors' mid-term and final evaluations (through the link's token), one
or two early ends a year, the returns (``confirm_return`` schedules the 3/6/12-month surveys)
and the survey answers (employment in Morocco rising over the years, some abroad, studying,
looking; a few unreachable; the surveys not due yet stay pending). Every service gets the day
the action took place as ``today``; the timestamps the services set to "now" are dated back.

Written directly, with audit events marked ``{"demo": True}``: accounts, applications and their
selection outcome, the cohort's state, unfilled offers closed, the anonymisation. The e-mails
the services queue are deleted at the end: the demo sends none.
"""

from __future__ import annotations

import io
import random
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import Role, User
from ..agreements import services as agreement_services
from ..agreements.models import Agreement, AgreementDocument, Party, PrefectureDecision
from ..applications import services as app_services
from ..applications import uploads
from ..applications.models import Application, ApplicationStatus, Institution
from ..applications.reference import Gender
from ..audit.services import record
from ..cohorts.models import Cohort, CohortState
from ..cohorts.services import create_cohort
from ..core.timeutils import utcnow
from ..extensions import db
from ..followup import schedule
from ..followup import services as followup
from ..followup.models import (
    CheckIn,
    ContractType,
    EmploymentSurvey,
    EvaluationKind,
    IncidentCategory,
    IncidentStatus,
    Internship,
    SalaryBand,
    Severity,
    Situation,
)
from ..hosts.models import Company, Pole, Tutor
from ..internship_law import PREFECTURE_NOTICE_MONTHS, SOCIAL_SECURITY_HOURLY_CEILING, add_months
from ..offers.models import Offer, OfferStatus
from ..placements.models import Placement, PlacementStatus
from ..selection import services as selection_services
from .accounts import create_accounts, demo_coordinator, hash_password
from .applicants import (
    ensure_demo_institutions,
    fill_profile,
    leave_incomplete,
    record_demo_states,
)
from .common import (
    OVERRIDE_ELIGIBLE,
    OVERRIDE_INELIGIBLE,
    Person,
    cohort_years,
    email_for,
    minimal_pdf,
    random_name,
    random_person,
    random_regions,
    random_time,
    sends_no_emails,
    start_days,
    utc_at,
)
from .hosts import (
    BENEFITS,
    DEMO_COMPANIES,
    OFFER_TEMPLATES,
    Host,
    Templates,
    advance_offer,
    create_offers,
    run_matching,
)

A = ApplicationStatus
O = OfferStatus  # noqa: E741 - short alias, as in offers.services

SEED = 7021
#: Archived years before the previous cohort.
YEARS = 5
#: How many of the latest archived years have their agreements in the platform (each agreement
#: renders a PDF, about half a second: 30 per year). The earlier ones were signed on paper.
AGREEMENT_YEARS = 1
QUOTA = 30
ALUMNI_EMAIL = "alumni{year}-{n:02d}@demo.mnc.ma"
APPLICANT_EMAIL = "candidat{year}-{n:03d}@demo.mnc.ma"
#: Title of the years whose agreements were signed on paper, before the platform.
PAPER_TITLE = "MNC {year} — conventions signées sur papier, avant la plateforme"


@dataclass(frozen=True)
class _Plan:
    submitted: int  # applications sent (drafts come on top)
    drafts: int
    female: float  # share of women among the applicants
    shortlisted: int  # interviewed, ranked (final_rank)
    waitlisted: int
    offers: int
    employed_12: float  # employed in Morocco 12 months after the end, over the surveys due
    early_ends: int
    incidents: int  # interns with an incident
    critical: bool  # one of them critical


#: The archived years, oldest first: the programme grows, employment in Morocco rises.
PLANS = (
    _Plan(114, 9, 0.47, 58, 6, 34, 0.55, 2, 4, True),
    _Plan(131, 11, 0.48, 60, 8, 35, 0.60, 1, 5, False),
    _Plan(149, 12, 0.51, 60, 7, 36, 0.64, 2, 5, True),
    _Plan(163, 14, 0.53, 62, 8, 37, 0.69, 1, 6, False),
    _Plan(178, 15, 0.52, 60, 8, 38, 0.74, 2, 5, True),
)
#: The previous cohort: ``hosts`` made its 34 interviewed students (30 selected).
PREVIOUS_PLAN = _Plan(192, 16, 0.50, 60, 4, 0, 0.77, 1, 5, False)

#: For each demo company (``DEMO_COMPANIES`` order): how many years before the previous cohort
#: it has taken part (5: since the first archived year; 0: only since the previous cohort).
SINCE = (5, 4, 5, 3, 5, 5, 2, 5, 3, 1, 5, 2, 4, 0, 5)

#: The sending institutions' weight among the applicants, and their e-mail domain.
INSTITUTION_WEIGHTS = {
    "ENSIAS": 4,
    "INPT": 4,
    "EMI": 3,
    "ENSA Tanger": 2,
    "ENSA Marrakech": 2,
    "FST Settat": 1,
    "FST Fès": 2,
    "ENSAM Casablanca": 2,
    "UM6P": 2,
}
INSTITUTION_DOMAINS = {
    "ENSIAS": "um5.ac.ma",
    "INPT": "inpt.ac.ma",
    "EMI": "emi.ac.ma",
    "ENSA Tanger": "uae.ac.ma",
    "ENSA Marrakech": "uca.ac.ma",
    "FST Settat": "uhp.ac.ma",
    "FST Fès": "usmba.ac.ma",
    "ENSAM Casablanca": "univh2c.ma",
    "UM6P": "um6p.ma",
}

# --- follow-up texts -------------------------------------------------------------------------

STEP_NOTES = {
    "insurance": (
        "Assurance santé et rapatriement souscrite pour toute la durée du stage.",
        "Attestation d'assurance transmise à l'entreprise.",
    ),
    "housing": (
        "Chambre en résidence étudiante, à 25 minutes du bureau.",
        "Colocation trouvée grâce à un ancien du programme.",
        "Studio meublé ; bail de six mois signé à distance.",
    ),
    "travel_booked": (
        "Vol Casablanca – Paris-Orly réservé.",
        "Billet aller simple ; retour réservé plus tard.",
    ),
    "visa_granted": ("Visa reçu au consulat de Rabat.", "Visa récupéré chez le prestataire."),
    "vls_ts_validated": ("Validé en ligne sur le site de l'ANEF.",),
}

LEARNED = {
    "start": (
        "Intégration dans l'équipe, installation du poste et découverte de la base de code.",
        "Découverte des outils de l'équipe (Git, Jira, intégration continue) et premiers "
        "tickets corrigés.",
        "Formation à l'architecture du produit et aux règles de sécurité de l'entreprise.",
    ),
    "middle": (
        "J'ai livré ma première fonctionnalité en production et participé aux revues de code.",
        "Écriture de tests automatisés : la couverture du module est passée de 40 % à 70 %.",
        "Je présente mon travail à la démonstration de fin de sprint devant le client.",
        "Optimisation de requêtes SQL lentes : j'ai appris à lire un plan d'exécution.",
        "Mise en place d'un tableau de bord de supervision avec l'équipe d'exploitation.",
        "Rédaction de la documentation technique du module que je développe.",
        "Atelier de conception avec les équipes produit et design ; premières maquettes.",
    ),
    "end": (
        "Finalisation de mon sujet et rédaction du rapport de stage.",
        "Passation à l'équipe et préparation de ma soutenance.",
        "Présentation de mes travaux à la direction technique ; retours très positifs.",
    ),
}
PROBLEMS = (
    "Les trajets sont longs : 1 h 15 entre le logement et le bureau.",
    "Un peu d'isolement les jours de télétravail.",
    "Le coût de la vie est plus élevé que prévu ; je dois réduire mes dépenses.",
    "Charge de travail élevée avant la mise en production.",
    "Difficile de suivre les réunions en anglais au début.",
)

EVALUATION_COMMENTS = {
    EvaluationKind.midterm: {
        5: "Intégration excellente et très rapide ; déjà autonome sur des sujets complexes.",
        4: "Bonne intégration dans l'équipe ; objectifs de la seconde moitié fixés ensemble.",
        3: "Démarrage un peu lent sur notre environnement technique, en progrès constant.",
        2: "Des difficultés à s'organiser ; un point hebdomadaire supplémentaire est prévu.",
        1: "Les attendus ne sont pas atteints ; point à organiser avec le programme.",
    },
    EvaluationKind.final: {
        5: "Excellent stage : autonomie remarquable, code de grande qualité, force de "
        "proposition. Nous serions heureux de poursuivre la collaboration.",
        4: "Très bon stage, progression rapide ; doit encore gagner en aisance à l'oral en "
        "réunion client.",
        3: "Stage satisfaisant ; les objectifs principaux sont atteints malgré un démarrage "
        "difficile.",
        2: "Résultats en deçà des attentes ; la communication sur l'avancement a manqué.",
        1: "Stage non concluant.",
    },
}


@dataclass(frozen=True)
class _IncidentSpec:
    category: IncidentCategory
    severity: Severity
    reporter: str  # student | host | coordinator
    summary: str
    description: str
    comments: tuple[str, ...]
    resolution: str
    problem: str  # what the student writes in that month's check-in


C, S = IncidentCategory, Severity

INCIDENTS: dict[Severity, tuple[_IncidentSpec, ...]] = {
    S.low: (
        _IncidentSpec(
            C.health,
            S.low,
            "student",
            "Consultation médicale : remboursement des frais",
            "J'ai consulté un médecin généraliste pour une angine. Je ne sais pas comment me "
            "faire rembourser par mon assurance.",
            ("Procédure de l'assureur envoyée : gardez la feuille de soins et la facture.",),
            "Frais remboursés par l'assurance en trois semaines.",
            "J'ai été malade quelques jours.",
        ),
        _IncidentSpec(
            C.other,
            S.low,
            "student",
            "Retard de versement de la gratification",
            "La gratification du premier mois n'a pas été versée à la date prévue.",
            ("Le service paie confirme un retard lié à l'ouverture du compte bancaire.",),
            "Gratification versée avec celle du mois suivant ; compte bancaire ouvert.",
            "La gratification n'est pas arrivée à temps ce mois-ci.",
        ),
        _IncidentSpec(
            C.visa,
            S.low,
            "student",
            "Validation du VLS-TS : paiement refusé en ligne",
            "Le site de l'ANEF refuse le paiement du timbre fiscal avec ma carte marocaine.",
            ("Le timbre peut s'acheter en bureau de tabac : code à saisir ensuite en ligne.",),
            "Timbre acheté en bureau de tabac ; VLS-TS validé.",
            "Démarches administratives compliquées pour le visa.",
        ),
        _IncidentSpec(
            C.workplace,
            S.low,
            "student",
            "Réunions tardives avec un client",
            "Plusieurs réunions avec un client canadien sont fixées après 19 h.",
            ("Échange avec le tuteur : les horaires de la convention s'appliquent.",),
            "Le tuteur a revu l'organisation : plus de réunions après 18 h.",
            "Des journées parfois longues à cause des réunions du soir.",
        ),
        _IncidentSpec(
            C.housing,
            S.low,
            "student",
            "Chauffage en panne dans le logement",
            "Le chauffage de mon studio ne fonctionne plus depuis une semaine ; le "
            "propriétaire ne répond pas.",
            ("Modèle de courrier de mise en demeure envoyé à l'étudiant·e.",),
            "Réparation faite par le propriétaire après le courrier.",
            "Quelques soucis dans le logement.",
        ),
    ),
    S.medium: (
        _IncidentSpec(
            C.housing,
            S.medium,
            "student",
            "La résidence annule la réservation",
            "La résidence étudiante annule ma chambre dix jours avant l'arrivée.",
            (
                "L'entreprise propose une résidence hôtelière pour les premières semaines.",
                "Deux annonces de studios transmises par un ancien du programme.",
            ),
            "Logement temporaire pris en charge par l'entreprise, puis studio trouvé.",
            "Recherche de logement stressante ce mois-ci.",
        ),
        _IncidentSpec(
            C.workplace,
            S.medium,
            "student",
            "Missions éloignées de la convention",
            "Depuis trois semaines, je fais surtout du support aux utilisateurs au lieu du "
            "développement prévu dans la convention.",
            ("Point téléphonique avec le tuteur : décalage dû à une urgence chez un client.",),
            "Retour aux missions prévues après un point à trois (étudiant·e, tuteur, programme).",
            "Mes missions ne correspondent pas à ce qui était prévu.",
        ),
        _IncidentSpec(
            C.health,
            S.medium,
            "host",
            "Entorse : arrêt de travail d'une semaine",
            "Notre stagiaire s'est fait une entorse en sortant du métro ; arrêt de travail "
            "d'une semaine prescrit par le médecin.",
            ("Déclaration faite à l'assurance ; l'école est informée.",),
            "Retour au bureau après l'arrêt ; télétravail accordé la semaine suivante.",
            "Une entorse m'a immobilisé·e une semaine.",
        ),
        _IncidentSpec(
            C.safety,
            S.medium,
            "student",
            "Vol du téléphone dans le métro",
            "Mon téléphone a été volé dans le métro ; j'ai perdu l'accès à ma banque.",
            ("Récépissé de plainte obtenu au commissariat ; banque prévenue.",),
            "Plainte déposée, ligne et accès bancaires rétablis.",
            "On m'a volé mon téléphone.",
        ),
        _IncidentSpec(
            C.visa,
            S.medium,
            "coordinator",
            "Rendez-vous en préfecture introuvable",
            "L'étudiant·e ne trouve pas de rendez-vous pour retirer son titre de séjour avant "
            "l'expiration du visa.",
            ("Demande d'aide envoyée au service des étrangers par l'entreprise.",),
            "Rendez-vous obtenu ; récépissé délivré dans l'attente du titre.",
            "Je n'arrive pas à obtenir de rendez-vous à la préfecture.",
        ),
        _IncidentSpec(
            C.workplace,
            S.medium,
            "host",
            "Absences non prévenues",
            "Notre stagiaire ne s'est pas présenté·e deux jours sans prévenir.",
            ("Appel à l'étudiant·e : malentendu sur un jour de congé accordé oralement.",),
            "Rappel des règles d'absence de la convention ; pas de récidive.",
            "",
        ),
    ),
    S.high: (
        _IncidentSpec(
            C.health,
            S.high,
            "host",
            "Hospitalisation : appendicite",
            "Notre stagiaire a été opéré·e en urgence d'une appendicite ; trois jours "
            "d'hospitalisation.",
            (
                "Famille prévenue, assurance saisie pour la prise en charge des frais.",
                "Appel à l'étudiant·e : la convalescence se passe bien.",
            ),
            "Frais pris en charge par l'assurance ; reprise après deux semaines d'arrêt.",
            "J'ai été hospitalisé·e quelques jours.",
        ),
        _IncidentSpec(
            C.safety,
            S.high,
            "student",
            "Vol du passeport et du titre de séjour",
            "Mon sac a été volé avec mon passeport et mon titre de séjour.",
            (
                "Plainte déposée ; rendez-vous pris au consulat général du Maroc.",
                "Attestation de l'entreprise fournie pour la préfecture.",
            ),
            "Passeport refait au consulat et duplicata du titre de séjour obtenu.",
            "On m'a volé mes papiers : beaucoup de démarches.",
        ),
        _IncidentSpec(
            C.housing,
            S.high,
            "student",
            "Sans logement à la fin de la sous-location",
            "Ma sous-location s'arrête plus tôt que prévu : je n'ai plus de logement dans "
            "cinq jours.",
            ("Hébergement d'urgence en résidence hôtelière, avancé par l'entreprise.",),
            "Nouveau logement trouvé en dix jours ; avance remboursée sur la gratification.",
            "Je dois trouver un nouveau logement en urgence.",
        ),
    ),
    S.critical: (
        _IncidentSpec(
            C.safety,
            S.critical,
            "coordinator",
            "Agression dans la rue : hospitalisation",
            "L'entreprise nous informe que son stagiaire a été agressé·e le soir en rentrant ; "
            "hospitalisé·e pour des contusions et une fracture du poignet.",
            (
                "Famille, école et consulat prévenus ; plainte déposée avec l'aide du tuteur.",
                "Visite du tuteur à l'hôpital ; sortie prévue dans trois jours.",
                "Soutien psychologique proposé par l'assurance.",
            ),
            "Rétablissement complet ; stage poursuivi en télétravail pendant trois semaines.",
            "Mois très difficile après l'agression.",
        ),
        _IncidentSpec(
            C.health,
            S.critical,
            "host",
            "Accident de trottinette : hospitalisation",
            "Notre stagiaire a été renversé·e à trottinette ; hospitalisé·e avec un "
            "traumatisme crânien léger.",
            (
                "Famille prévenue ; assistance rapatriement de l'assurance mise en alerte.",
                "Sortie de l'hôpital ; arrêt de travail de trois semaines.",
            ),
            "Rétablissement sans séquelle ; reprise du stage après l'arrêt.",
            "J'ai eu un accident.",
        ),
    ),
}


@dataclass(frozen=True)
class _EarlyEnd:
    reason: str
    early_return: bool
    after_days: tuple[int, int]  # days after the start
    incident: _IncidentSpec | None = None


EARLY_ENDS = (
    _EarlyEnd(
        "Raisons familiales : décès d'un proche ; retour au Maroc à la demande de "
        "l'étudiant·e, avec l'accord de l'entreprise et de l'école.",
        True,
        (40, 110),
    ),
    _EarlyEnd(
        "Problème de santé nécessitant un suivi au Maroc (avis médical transmis au programme).",
        True,
        (50, 100),
        _IncidentSpec(
            C.health,
            S.high,
            "student",
            "Problème de santé : traitement au Maroc",
            "Mon médecin recommande un traitement qui doit se faire au Maroc, près de ma famille.",
            ("Avis médical reçu ; l'école et l'entreprise sont informées.",),
            "Fin anticipée du stage et retour au Maroc organisés avec l'assurance.",
            "Des soucis de santé ce mois-ci.",
        ),
    ),
    _EarlyEnd(
        "Désaccord persistant sur les missions confiées, éloignées de la convention ; "
        "rupture d'un commun accord après médiation du programme.",
        True,
        (45, 90),
        _IncidentSpec(
            C.workplace,
            S.high,
            "student",
            "Conflit avec le tuteur sur les missions",
            "Les missions n'ont rien à voir avec la convention et les échanges avec mon "
            "tuteur sont devenus très tendus.",
            (
                "Réunion de médiation avec le tuteur et la responsable RH.",
                "Pas de solution de remplacement dans l'entreprise.",
            ),
            "Fin anticipée d'un commun accord ; l'école valide le stage sur la période faite.",
            "Situation très tendue avec mon tuteur.",
        ),
    ),
    _EarlyEnd(
        "Le projet client auquel le stage était rattaché a été arrêté ; l'entreprise n'a "
        "pas pu proposer d'autre mission. L'étudiant·e reste en France jusqu'à la date "
        "prévue pour terminer son mémoire.",
        False,
        (70, 120),
    ),
    _EarlyEnd(
        "Offre d'emploi au Maroc avec prise de poste immédiate ; fin anticipée d'un commun "
        "accord avec l'entreprise et l'école.",
        True,
        (90, 140),
    ),
)

# --- employment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Employer:
    name: str
    city: str
    sector: str
    pole: Pole
    mnc_member: bool


M, SEC, MM, SW = Pole.mobile, Pole.security, Pole.multimedia, Pole.software

#: Moroccan employers (fictitious names; MNC members flagged).
EMPLOYERS_MA = (
    _Employer("Atlas Monétique SA", "Casablanca", "Monétique et paiement électronique", SEC, True),
    _Employer("Maghreb Cloud Services SARL", "Casablanca", "Hébergement et infogérance", SW, True),
    _Employer("Anfa Digital Factory", "Casablanca", "Transformation numérique bancaire", SW, False),
    _Employer(
        "Banque Atlantique du Maroc – DSI", "Casablanca", "Banque (systèmes d'information)",
        SW, False,
    ),
    _Employer("Nordsoft Services Maroc", "Casablanca", "Centre de services nearshore", SW, True),
    _Employer("Souk Pay SA", "Casablanca", "Paiement mobile et portefeuille électronique", M, True),
    _Employer("Technopolis Data Lab SARL", "Rabat", "Données et IA", SW, False),
    _Employer("Bouregreg Logiciels SA", "Rabat", "Édition de progiciels (ERP, paie)", SW, True),
    _Employer("Chellah Cybersécurité SARL", "Rabat", "Audit de sécurité et SOC", SEC, True),
    _Employer("Oudayas Conseil IT", "Rabat", "Conseil en systèmes d'information", SW, False),
    _Employer("Détroit Télécom Services", "Tanger", "Services télécoms et réseaux", M, True),
    _Employer(
        "Boughaz Automotive Software SARL", "Tanger", "Logiciel embarqué automobile", M, False
    ),
    _Employer("Menara Studio Interactif", "Marrakech", "Jeux vidéo, réalité augmentée", MM, False),
    _Employer("Ocre Médias SARL", "Marrakech", "Production vidéo et plateformes web", MM, True),
)  # fmt: skip
#: Employers abroad besides the host companies.
EMPLOYERS_ABROAD = (
    _Employer("Kepler Conseil SAS", "Paris", "Conseil en systèmes d'information", SW, False),
    _Employer("Lac Léman Software SA", "Genève", "Édition de logiciels", SW, False),
    _Employer("Saint-Laurent Numérique inc.", "Montréal", "Services numériques", M, False),
)

JOB_TITLES: dict[Pole, tuple[tuple[str, str], ...]] = {
    SW: (
        ("Ingénieur logiciel", "Ingénieure logiciel"),
        ("Développeur full-stack", "Développeuse full-stack"),
        ("Consultant ERP", "Consultante ERP"),
        ("Ingénieur DevOps", "Ingénieure DevOps"),
        ("Data engineer", "Data engineer"),
    ),
    SEC: (
        ("Analyste SOC", "Analyste SOC"),
        ("Ingénieur sécurité", "Ingénieure sécurité"),
        ("Consultant monétique", "Consultante monétique"),
    ),
    M: (
        ("Développeur mobile", "Développeuse mobile"),
        ("Ingénieur réseaux mobiles", "Ingénieure réseaux mobiles"),
        ("Ingénieur logiciel embarqué", "Ingénieure logiciel embarqué"),
    ),
    MM: (
        ("Développeur front-end", "Développeuse front-end"),
        ("Designer UX/UI", "Designer UX/UI"),
        ("Développeur Unity", "Développeuse Unity"),
    ),
}
STUDYING = (
    "Inscrit·e en master spécialisé en cybersécurité.",
    "Doctorat en intelligence artificielle.",
    "Master en alternance en informatique décisionnelle.",
    "MBA à temps plein.",
)
SEEKING = (
    "Plusieurs entretiens en cours à Casablanca.",
    "En attente d'une réponse après un entretien final.",
    "",
    "",
)
OTHER = (
    "Service militaire.",
    "Projet de création d'entreprise (application de réservation).",
    "Pause pour raisons familiales.",
)
BANDS = list(SalaryBand)


# --- context -----------------------------------------------------------------------------------


@dataclass
class _Ctx:
    today: date
    coordinator: User
    hosts: list[Host]
    contacts: dict[int, User]  # company id -> the contact who signs and reports
    password_hash: str
    institutions: list[Institution]  # weighted pool for ``rng.choice``


def _hosts() -> list[Host]:
    """The demo companies (``hosts``), in ``DEMO_COMPANIES`` order, with their first
    contact and their tutors."""
    companies = {
        c.legal_name: c
        for c in db.session.scalars(
            select(Company).where(Company.legal_name.in_([s.legal_name for s in DEMO_COMPANIES]))
        )
    }
    if len(companies) != len(DEMO_COMPANIES):
        return []
    contacts: dict[int, User] = {}
    for user in db.session.scalars(
        select(User)
        .where(User.role == Role.host, User.company_id.in_([c.id for c in companies.values()]))
        .order_by(User.id)
    ):
        contacts.setdefault(user.company_id, user)
    tutors: dict[int, list[Tutor]] = defaultdict(list)
    for tutor in db.session.scalars(
        select(Tutor)
        .where(Tutor.company_id.in_([c.id for c in companies.values()]))
        .order_by(Tutor.id)
    ):
        tutors[tutor.company_id].append(tutor)
    hosts = []
    for spec in DEMO_COMPANIES:
        company = companies[spec.legal_name]
        if company.id not in contacts or not tutors[company.id]:
            return []
        hosts.append(Host(spec, company, contacts[company.id], tutors[company.id]))
    return hosts


def _when(day: date, rng: random.Random) -> datetime:
    """A time of day on ``day`` (never later than now)."""
    return min(random_time(day, rng), utcnow())


def _later(moment: datetime, earlier: datetime) -> datetime:
    """``moment``, or an hour after ``earlier`` when it does not come after it (never later
    than now)."""
    return min(max(moment, earlier + timedelta(hours=1)), utcnow())


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _clip(value: int, low: int = 1, high: int = 5) -> int:
    return max(low, min(high, value))


# --- applicants --------------------------------------------------------------------------------


def _people(rng: random.Random, n: int, female_share: float) -> list[Person]:
    women = round(n * female_share)
    genders = [Gender.female] * women + [Gender.male] * (n - women)
    rng.shuffle(genders)
    regions = random_regions(rng, n)
    return [
        random_person(rng, gender, region) for gender, region in zip(genders, regions, strict=True)
    ]


def _outcomes(rng: random.Random, plan: _Plan, interviewed_already: int = 0) -> dict[str, int]:
    """How many applications end in each outcome. ``interviewed_already``: ranked students
    that exist already (the previous cohort's selected and waitlisted)."""
    n = plan.submitted
    ineligible = round(n * rng.uniform(0.14, 0.18))
    withdrawn = round(n * rng.uniform(0.04, 0.06))
    returned = max(1, round(n * 0.02))
    eligible = n - ineligible - withdrawn - returned
    ranked = {"selected": QUOTA, "waitlisted": plan.waitlisted}
    if interviewed_already:
        ranked = {"selected": 0, "waitlisted": 0}
    interviewed = plan.shortlisted - (interviewed_already or QUOTA + plan.waitlisted)
    return {
        "draft": plan.drafts,
        "returned": returned,
        "withdrawn": withdrawn,
        "ineligible": ineligible,
        "not_shortlisted": eligible - plan.shortlisted,
        **ranked,
        "rejected": interviewed,
    }


RANKED = ("selected", "waitlisted", "rejected")


def _applications(
    rng: random.Random,
    cohort: Cohort,
    plan: _Plan,
    outcomes: dict[str, int],
    ctx: _Ctx,
    rank_from: int = 1,
    score_from: Decimal = Decimal("92.00"),
    review_cap: Decimal | None = None,
) -> list[Application]:
    """The applications of ``cohort`` with the given outcomes, their accounts and the
    selection's results (scores, ranks, waitlist)."""
    rules = app_services.rules_for(cohort)
    latest_end = app_services.latest_internship_end(cohort)
    opened, closed = cohort.applications_open_on, cohort.applications_close_on
    selection_on = cohort.selection_on
    kinds = [kind for kind, n in outcomes.items() for _ in range(n)]
    rng.shuffle(kinds)
    people = _people(rng, len(kinds), plan.female)
    # Ranks: the selected first, then the waitlist, then the interviewed not kept.
    ranked = sorted(
        (i for i, kind in enumerate(kinds) if kind in RANKED),
        key=lambda i: (RANKED.index(kinds[i]), rng.random()),
    )
    rank_of = {i: rank_from + n for n, i in enumerate(ranked)}
    emails, number = [], 0
    for i, kind in enumerate(kinds):
        if kind == "selected":
            emails.append(ALUMNI_EMAIL.format(year=cohort.year, n=rank_of[i] - rank_from + 1))
        else:
            number += 1
            emails.append(APPLICANT_EMAIL.format(year=cohort.year, n=number))
    students = create_accounts(
        [
            (email, f"{p.first_name} {p.last_name}", Role.student, None)
            for email, p in zip(emails, people, strict=True)
        ],
        ctx.password_hash,
        utc_at(opened),
    )
    # Final scores go down the ranking; review scores sit around them, and below them for the
    # files that were not shortlisted.
    final, score = {}, score_from
    for i in ranked:
        final[i] = score
        score -= Decimal(rng.randint(15, 110)) / 100
    review = {
        i: min(Decimal(100), final[i] + Decimal(rng.randint(-300, 300)) / 100) for i in ranked
    }
    cut = min([*review.values(), *([review_cap] if review_cap is not None else [])])
    cins = set(
        db.session.scalars(
            select(Application.cin).where(
                Application.cohort_id == cohort.id, Application.cin.is_not(None)
            )
        )
    )
    breakable = ["french_level", "average", "year_of_study", "passport"]
    waitlist = 0
    applications = []
    for i, (kind, person, student) in enumerate(zip(kinds, people, students, strict=True)):
        application = Application(cohort=cohort, student=student, status=A.draft)
        fail = set(rng.sample(breakable, rng.randint(1, 2))) if kind == "ineligible" else set()
        fill_profile(
            rng, application, person, ctx.institutions, cins, rules, latest_end, opened, fail
        )
        started = _day(rng, opened, closed - timedelta(days=3))
        application.created_at = _when(started, rng)
        student.created_at = application.created_at
        applications.append(application)
        db.session.add(application)
        if kind == "draft":
            leave_incomplete(rng, application)
            continue
        submitted = min(closed, started + timedelta(days=rng.randint(1, 20)))
        application.submitted_at = max(application.created_at, _when(submitted, rng))
        application.consent_at = application.submitted_at - timedelta(hours=1)
        application.return_commitment_at = application.submitted_at - timedelta(hours=1)
        if kind == "returned":  # returned for correction, never sent again
            application.status = A.returned
            continue
        screening = app_services.screen_application(application, rules)
        decided = min(closed + timedelta(days=10), submitted + timedelta(days=rng.randint(3, 12)))
        if kind == "withdrawn":
            application.status = A.withdrawn
            application.withdrawn_at = _when(
                _day(rng, submitted + timedelta(days=2), selection_on - timedelta(days=3)), rng
            )
            if screening.eligible and rng.random() < 0.4:
                application.eligibility_decided_at = _when(decided, rng)
                application.eligibility_decided_by_id = ctx.coordinator.id
            continue
        application.eligibility_decided_at = _when(decided, rng)
        application.eligibility_decided_by_id = ctx.coordinator.id
        if kind == "ineligible":
            application.status = A.ineligible
            if screening.eligible:
                application.eligibility_override_reason = OVERRIDE_INELIGIBLE
            continue
        if not screening.eligible:
            application.eligibility_override_reason = OVERRIDE_ELIGIBLE
        if kind == "not_shortlisted":
            application.status = A.rejected
            application.review_score = max(Decimal(30), cut - Decimal(rng.randint(30, 2500)) / 100)
            continue
        application.review_score = review[i]
        application.final_score = final[i]
        application.final_rank = rank_of[i]
        application.status = A(kind)
        if kind == "waitlisted":
            waitlist += 1
            application.waitlist_rank = waitlist
    db.session.flush()
    record_demo_states(
        applications,
        lambda a: (
            ctx.coordinator if a.status in (A.selected, A.waitlisted, A.rejected) else a.student
        ),
    )
    return applications


def _publish_selection(cohort: Cohort) -> None:
    settings = selection_services.settings_for(cohort)
    settings.shortlist_size = 60
    settings.scoring_started_at = utc_at(cohort.applications_close_on + timedelta(days=3), 9)
    settings.decisions_at = utc_at(cohort.selection_on - timedelta(days=1), 17)
    settings.published_at = utc_at(cohort.selection_on, 10)
    db.session.flush()


def _anonymise(cohort: Cohort, applications: list[Application], anonymous_hash: str) -> int:
    """What ``maintenance.retention.purge`` does to the unsuccessful applicants once the
    retention period is over (it ran on 15 January after the period)."""
    years = current_app.config.get("PERSONAL_DATA_RETENTION_YEARS", 2)
    when = datetime(cohort.year + years + 1, 1, 15, 3, 0, tzinfo=UTC)
    targets = [a for a in applications if a.status is not A.selected]
    for application in targets:
        for name in (
            "first_name", "last_name", "birth_date", "cin", "phone", "passport_number",
            "passport_expiry", "motivation", "eligibility_override_reason",
            "decision_override_reason",
        ):  # fmt: skip
            setattr(application, name, None)
        application.anonymised_at = when
        record(
            "retention.anonymise",
            application,
            {"cohort": cohort.id, "demo": True},
            actor=None,
        )
        user = application.student
        user.email = f"anonymised-{user.id}@invalid.example"
        user.full_name = "—"
        user.active = False
        user.password_hash = anonymous_hash
        record("retention.account", user, {"demo": True}, actor=None)
    db.session.flush()
    return len(targets)


# --- a past year -------------------------------------------------------------------------------


def _calendar(rng: random.Random, year: int) -> dict[str, date]:
    return {
        "applications_open_on": date(year - 1, 10, 1) + timedelta(days=rng.randint(0, 4)),
        "applications_close_on": date(year - 1, 11, rng.randint(20, 28)),
        "selection_on": date(year - 1, 12, rng.randint(15, 19)),
        "matching_on": date(year, 1, rng.randint(12, 16)),
        "departure_on": date(year, 4, 1),
        "return_on": date(year, 9, 30),
    }


def _offer_plan(rng: random.Random, active: list[Host], total: int) -> list[tuple[Host, O]]:
    """How many offers each company publishes: its usual number, adjusted to ``total``;
    at most 3 seats per tutor and 3 offers for a company under 20 people."""
    counts = {i: entry.spec.offers for i, entry in enumerate(active)}
    caps = {
        i: entry.spec.offers if entry.spec.headcount < 20 else min(6, 3 * len(entry.tutors))
        for i, entry in enumerate(active)
    }
    while sum(counts.values()) < total:
        room = [i for i in counts if counts[i] < caps[i]]
        if not room:
            break
        weights = [active[i].spec.headcount ** 0.5 for i in room]
        counts[rng.choices(room, weights=weights)[0]] += 1
    while sum(counts.values()) > total:
        counts[rng.choice([i for i in counts if counts[i] > 1])] -= 1
    return [(active[i], O.published) for i in counts for _ in range(counts[i])]


def _past_year(year: int, index: int, ctx: _Ctx, agreements: bool, anonymous: str | None):
    rng = random.Random(SEED + year)
    plan = PLANS[index]
    title = f"MNC {year}" if agreements else PAPER_TITLE.format(year=year)
    cohort = create_cohort(year, QUOTA, title, **_calendar(rng, year))

    applications = _applications(rng, cohort, plan, _outcomes(rng, plan), ctx)
    _publish_selection(cohort)

    active = [
        entry for entry, since in zip(ctx.hosts, SINCE, strict=True) if since >= YEARS - index
    ]
    departure = cohort.departure_on
    offers = create_offers(
        rng,
        cohort,
        _offer_plan(rng, active, plan.offers),
        Templates(rng),
        start_days(departure),
        cohort.applications_open_on + timedelta(days=15),
        cohort.matching_on - timedelta(days=30),
        ctx.coordinator,
    )
    selected = [a for a in applications if a.status is A.selected]
    run_matching(rng, cohort, ctx.hosts, offers, selected, ctx.coordinator)
    closed_at = utc_at(departure - timedelta(days=rng.randint(20, 40)), 11)
    for offer in offers:
        if offer.status is O.published:  # seats left when the placements were confirmed
            advance_offer(offer, O.closed, closed_at, _host_of(ctx, offer), ctx.coordinator)
    db.session.flush()

    if agreements:
        _agreements(rng, cohort, ctx)
    _follow_up(rng, cohort, plan, ctx)

    cohort.state = CohortState.archived
    record("cohort.demo_state", cohort, {"state": cohort.state.value, "demo": True})
    if anonymous is not None:
        _anonymise(cohort, applications, anonymous)
    db.session.flush()
    return cohort


def _host_of(ctx: _Ctx, offer: Offer) -> Host:
    return next(entry for entry in ctx.hosts if entry.company.id == offer.company_id)


def _backdate_companies(rng: random.Random, ctx: _Ctx, first_year: int, previous: int) -> None:
    """The companies took part since their first year: registered the summer before."""
    for entry, since in zip(ctx.hosts, SINCE, strict=True):
        year = previous - since
        if year < first_year:
            continue
        registered = _when(date(year - 1, 5, 15) + timedelta(days=rng.randint(0, 80)), rng)
        company = entry.company
        if company.created_at <= registered:
            continue
        company.created_at = registered
        company.approved_at = registered + timedelta(days=rng.randint(1, 6), hours=3)
        for tutor in entry.tutors:
            tutor.created_at = company.approved_at + timedelta(days=rng.randint(1, 20))
        for user in company.contacts:
            if user.created_at > company.created_at:
                user.created_at = company.created_at
                user.approved_at = company.approved_at


# --- the previous cohort -----------------------------------------------------------------------


def _previous_applicants(previous: Cohort, ctx: _Ctx) -> int:
    """The unsuccessful applicants of the previous cohort (``hosts`` made only the 34
    interviewed students who were selected or waitlisted)."""
    marker = APPLICANT_EMAIL.format(year=previous.year, n=1)
    if db.session.scalar(select(User.id).where(User.email == marker)) is not None:
        return 0
    existing = db.session.scalars(
        select(Application).where(Application.cohort_id == previous.id)
    ).all()
    ranked = [a for a in existing if a.final_rank is not None]
    if not ranked:
        return 0
    rng = random.Random(SEED + previous.year)
    outcomes = _outcomes(rng, PREVIOUS_PLAN, interviewed_already=len(ranked))
    created = _applications(
        rng,
        previous,
        PREVIOUS_PLAN,
        outcomes,
        ctx,
        rank_from=max(a.final_rank for a in ranked) + 1,
        score_from=min(a.final_score for a in ranked) - Decimal("0.20"),
        review_cap=min((a.review_score for a in ranked if a.review_score), default=None),
    )
    return len(created)


# --- agreements --------------------------------------------------------------------------------


def _referent(rng: random.Random, institution: Institution) -> tuple[str, str]:
    female = rng.random() < 0.45
    name = " ".join(random_name(rng, female))
    domain = INSTITUTION_DOMAINS.get(institution.name, "ecole.ac.ma")
    return f"Pr. {name}", email_for(name, domain)


def _scan(reference: str, party: Party, signer: str, day: date) -> uploads.CheckedUpload:
    data = minimal_pdf(
        [
            f"{reference} : page des signatures",
            f"Signé par {signer} ({party.value}) le {day.strftime('%d/%m/%Y')}",
            "Scan de démonstration.",
        ]
    )
    return uploads.check_upload(io.BytesIO(data), f"{reference}-{party.value}-signe.pdf")


def _sign_all(
    rng: random.Random, document: AgreementDocument, ctx: _Ctx, first: date, last: date
) -> date:
    """Every party signs between ``first`` and ``last``, in the signing order: the host
    contact and the student in the app, the others on paper (the coordinator records the scan).
    Returns the last day."""
    agreement = document.agreement
    placement = agreement.placement
    application = placement.application
    last = max(first, min(last, ctx.today))
    stages = agreement_services.signing_order(document)
    stage_days = sorted(_day(rng, first, last) for _ in stages)
    days = {party: day for stage, day in zip(stages, stage_days, strict=True) for party in stage}
    in_app = {
        Party.student: (application.student, f"198.51.100.{rng.randint(2, 250)}"),
        Party.host: (ctx.contacts[placement.offer.company_id], f"203.0.113.{rng.randint(2, 250)}"),
    }
    institution = application.institution
    signers = {
        Party.tutor: agreement.tutor.full_name if agreement.tutor else "—",
        Party.institution: institution.legal_representative.split(",")[0].strip(),
        Party.referent: agreement.referent_name,
        Party.programme: ctx.coordinator.full_name,
    }
    previous = None
    for stage in stages:
        for party in stage:
            moment = _when(days[party], rng)
            if previous is not None:
                moment = _later(moment, previous)  # in the signing order, to the minute
            previous = moment
            if party in in_app:
                user, address = in_app[party]
                agreement_services.sign_in_app(document, user, address, at=moment)
                continue
            scan = _scan(document.reference, party, signers[party], days[party])
            agreement_services.record_paper_signature(
                document,
                party,
                signers[party],
                scan,
                ctx.coordinator,
                signed_on=days[party],
                at=moment,
            )
    return days[Party.programme]


def _activities(offer: Offer) -> tuple[str, str]:
    template = next(
        (t for templates in OFFER_TEMPLATES.values() for t in templates if t.title == offer.title),
        None,
    )
    if template is None:
        return offer.title, offer.skills
    activities = "\n".join(f"- {mission}" for mission in template.missions)
    skills = (
        f"Compétences techniques : {template.skills}. Compétences transversales : travail en "
        "équipe agile, communication écrite et orale en français, autonomie."
    )
    return activities, skills


def _agreements(rng: random.Random, cohort: Cohort, ctx: _Ctx) -> int:
    """Issue and sign the agreement of every confirmed placement of ``cohort``, a few days
    after the company's confirmation and before the préfecture's deadline (2 months before the
    start of a stay over 3 months); the préfecture stamps them."""
    placements = db.session.scalars(
        select(Placement)
        .options(
            joinedload(Placement.application).joinedload(Application.institution),
            joinedload(Placement.offer).joinedload(Offer.company),
        )
        .where(Placement.cohort_id == cohort.id, Placement.status == PlacementStatus.confirmed)
        .order_by(Placement.responded_at, Placement.id)
    ).all()
    plans = []
    for placement in placements:
        offer = placement.offer
        confirmed = (placement.responded_at or utc_at(cohort.matching_on)).date()
        long_stay = followup.is_long_stay(offer.start_on, offer.end_on)
        deadline = (
            add_months(offer.start_on, -PREFECTURE_NOTICE_MONTHS)
            if long_stay
            else offer.start_on - timedelta(days=14)
        )
        issue_on = min(confirmed + timedelta(days=rng.randint(1, 3)), deadline - timedelta(days=5))
        if issue_on < confirmed or issue_on > ctx.today:
            return 0  # this calendar leaves no time for the agreements: none is issued
        plans.append((placement, deadline, issue_on))
    referents: dict[int, list[tuple[str, str]]] = {}
    for placement, deadline, issue_on in plans:
        institution = placement.application.institution
        if institution.id not in referents:
            referents[institution.id] = [_referent(rng, institution) for _ in range(3)]
        referent_name, referent_email = rng.choice(referents[institution.id])
        activities, skills = _activities(placement.offer)
        # The offer's days of leave (L124-13), sometimes more as agreed with the institution
        # (one draw either way: the demo's random sequence stays as it was).
        extra = rng.choice((0, 5, 5, 10))
        data = agreement_services.IssueInput(
            referent_name=referent_name,
            referent_email=referent_email,
            activities=activities,
            skills_to_acquire=skills,
            leave_days=max(placement.offer.leave_days, extra),
            benefits=rng.choice(BENEFITS),
        )
        document = agreement_services.issue(placement, data, ctx.coordinator, today=issue_on)
        agreement = document.agreement
        issued = _when(issue_on, rng)
        agreement.created_at = agreement.updated_at = issued
        document.issued_at = issued
        signed = _sign_all(
            rng,
            document,
            ctx,
            issue_on,
            min(issue_on + timedelta(days=4), deadline - timedelta(days=1)),
        )
        if agreement.prefecture_required:
            submitted = min(signed + timedelta(days=rng.randint(0, 1)), deadline)
            agreement_services.record_prefecture(
                agreement,
                submitted,
                PrefectureDecision.stamped,
                submitted + timedelta(days=rng.randint(10, 24)),
                None,
                ctx.coordinator,
            )
        agreement.updated_at = _when(signed, rng)
    db.session.flush()
    return len(plans)


# --- follow-up ---------------------------------------------------------------------------------


@dataclass
class _Planned:
    """What happens to one intern."""

    quality: int  # the tutor's overall impression, 1..5
    early: _EarlyEnd | None = None
    ended_on: date | None = None
    incidents: list[tuple[_IncidentSpec, date]] | None = None
    keep_open: bool = False  # an incident still being handled
    final_answered: bool = True
    confirm_return: bool = True


def _follow_up(
    rng: random.Random,
    cohort: Cohort,
    plan: _Plan,
    ctx: _Ctx,
    unconfirmed: int = 0,
    still_open: int = 0,
) -> None:
    """Everything that happened to the interns of ``cohort`` until ``ctx.today``;
    ``unconfirmed`` alumni have not confirmed their return yet and ``still_open`` incidents
    are still being handled (the previous cohort)."""
    internships = list(
        db.session.scalars(
            select(Internship)
            .options(
                selectinload(Internship.steps),
                joinedload(Internship.placement).joinedload(Placement.application),
                joinedload(Internship.placement).joinedload(Placement.offer),
            )
            .where(Internship.cohort_id == cohort.id)
            .order_by(Internship.id)
        ).unique()
    )
    if not internships:
        return
    criteria = [c.key for c in followup.criteria_for(cohort)]
    order = list(range(len(internships)))
    rng.shuffle(order)
    planned = {
        i: _Planned(quality=rng.choices((2, 3, 4, 5), weights=(3, 20, 45, 32))[0]) for i in order
    }
    dates = {i: followup.dates_of(internships[i]) for i in order}

    # Early ends (with the incident that led to some of them).
    for i, early in zip(
        order[: plan.early_ends], rng.sample(EARLY_ENDS, plan.early_ends), strict=True
    ):
        start, end = dates[i]
        ended_on = min(
            end - timedelta(days=7), start + timedelta(days=rng.randint(*early.after_days))
        )
        planned[i].early, planned[i].ended_on = early, ended_on
        planned[i].quality = min(planned[i].quality, 4)
        if early.incident is not None:
            planned[i].incidents = [
                (early.incident, ended_on - timedelta(days=rng.randint(10, 25)))
            ]
    linked = sum(1 for i in order[: plan.early_ends] if planned[i].incidents)
    others = order[plan.early_ends :]

    # Incidents: mostly low or medium, a few high, at most one critical.
    with_incident = others[: max(0, plan.incidents - linked)]
    severities = rng.choices((S.low, S.medium, S.high), weights=(40, 45, 15), k=len(with_incident))
    if plan.critical and severities:
        severities[-1] = S.critical
    used: Counter[str] = Counter()
    for i, severity in zip(with_incident, severities, strict=True):
        pool = sorted(INCIDENTS[severity], key=lambda s: (used[s.summary], rng.random()))
        spec = pool[0]
        used[spec.summary] += 1
        start, end = dates[i]
        if spec.category in (C.housing, C.visa):
            occurred = start + timedelta(days=rng.randint(5, 45))
        else:
            occurred = start + timedelta(days=rng.randint(15, max(16, (end - start).days - 15)))
        planned[i].incidents = [(spec, occurred)]
    for i in with_incident[:still_open]:
        planned[i].keep_open = True
    rest = others[len(with_incident) :]
    for i in rest[:unconfirmed]:
        planned[i].confirm_return = False  # the return is not confirmed yet
    if rng.random() < 0.5 and rest[unconfirmed:]:
        planned[rest[-1]].final_answered = False  # the tutor let the link expire

    for i, internship in enumerate(internships):
        _intern(rng, internship, dates[i], planned[i], criteria, ctx)
    db.session.flush()
    _surveys(rng, internships, plan, ctx)


def _step_days(
    rng: random.Random, internship: Internship, start: date, long_stay: bool
) -> dict[str, date]:
    """When each step of the checklist was done."""
    dues = {step.key: step.due_on for step in internship.steps}
    days: dict[str, date] = {}
    agreement = agreement_services.agreement_for(internship.placement)
    if "prefecture_stamp" in dues:
        stamped = agreement.prefecture_decided_on if agreement is not None else None
        days["prefecture_stamp"] = stamped or dues["prefecture_stamp"] - timedelta(
            days=rng.randint(5, 25)
        )
    appointment = dues["visa_appointment"] + timedelta(days=rng.randint(-8, 2))
    if "prefecture_stamp" in days:
        appointment = max(appointment, days["prefecture_stamp"] + timedelta(days=rng.randint(2, 6)))
    days["visa_appointment"] = appointment
    days["insurance"] = dues["insurance"] - timedelta(days=rng.randint(0, 20))
    days["housing"] = dues["housing"] + timedelta(days=rng.randint(-25, 6))
    days["visa_granted"] = min(
        appointment + timedelta(days=rng.randint(6, 15)), start - timedelta(days=4)
    )
    departure = start - timedelta(days=rng.randint(1, 3))
    days["travel_booked"] = min(
        days["visa_granted"] + timedelta(days=rng.randint(0, 5)), departure - timedelta(days=2)
    )
    days["departure"] = departure
    days["arrival_confirmed"] = departure + timedelta(days=rng.choice((0, 0, 0, 1)))
    if "vls_ts_validated" in dues:
        days["vls_ts_validated"] = days["arrival_confirmed"] + timedelta(days=rng.randint(12, 75))
    return days


def _evaluate(
    rng: random.Random,
    internship: Internship,
    kind: EvaluationKind,
    sent_on: date,
    quality: int,
    criteria: list[str],
    answered: bool,
    today: date,
) -> None:
    """The link is sent (as the daily job does) and, most often, answered through it."""
    if sent_on > today:
        return
    evaluation, token = followup.send_evaluation_link(internship, kind, None)
    sent = _when(sent_on, rng)
    if answered:
        base = quality - (1 if kind is EvaluationKind.midterm and rng.random() < 0.3 else 0)
        scores = {key: _clip(base + rng.choice((-1, 0, 0, 0, 1))) for key in criteria}
        overall = _clip(round(sum(scores.values()) / len(scores)))
        followup.submit_evaluation(token, scores, overall, EVALUATION_COMMENTS[kind][overall])
        answered_on = min(today, sent_on + timedelta(days=rng.randint(1, 12)))
        evaluation.submitted_at = _later(_when(answered_on, rng), sent)
    evaluation.sent_at = evaluation.created_at = sent
    evaluation.expires_at = sent + timedelta(days=followup.EVALUATION_LINK_DAYS)
    evaluation.updated_at = evaluation.submitted_at or sent


def _incident(
    rng: random.Random,
    internship: Internship,
    spec: _IncidentSpec,
    occurred: date,
    keep_open: bool,
    ctx: _Ctx,
) -> None:
    student = internship.placement.application.student
    reporter = {
        "student": student,
        "host": ctx.contacts[internship.placement.offer.company_id],
        "coordinator": ctx.coordinator,
    }[spec.reporter]
    reported_on = min(ctx.today, occurred + timedelta(days=rng.randint(0, 2)))
    incident = followup.report_incident(
        internship, reporter, spec.category, spec.severity, occurred, spec.summary,
        spec.description, today=reported_on,
    )  # fmt: skip
    moment = incident.created_at = _when(reported_on, rng)
    followup.set_incident_status(incident, IncidentStatus.in_progress, ctx.coordinator)
    day = reported_on
    for body in spec.comments:
        comment = followup.comment_incident(incident, ctx.coordinator, body)
        moment = comment.created_at = _later(_when(day, rng), moment)
        day += timedelta(days=rng.randint(1, 6))
    closed_on = day + timedelta(days=rng.randint(0, 8))
    if not keep_open and closed_on <= ctx.today:
        followup.set_incident_status(
            incident, IncidentStatus.closed, ctx.coordinator, resolution=spec.resolution
        )
        moment = incident.closed_at = _later(_when(closed_on, rng), moment)
    incident.updated_at = moment


def _intern(
    rng: random.Random,
    internship: Internship,
    dates: tuple[date, date],
    planned: _Planned,
    criteria: list[str],
    ctx: _Ctx,
) -> None:
    today = ctx.today
    placement = internship.placement
    student = placement.application.student
    start, end = dates
    stop = planned.ended_on or end
    long_stay = followup.is_long_stay(start, end)
    internship.created_at = placement.responded_at or utc_at(start - timedelta(days=70))
    last_action = internship.created_at

    # 1. The checklist.
    days = _step_days(rng, internship, start, long_stay)
    for step in sorted(internship.steps, key=lambda s: s.position):
        day = days.get(step.key)
        if day is None or day > today:
            continue
        notes = STEP_NOTES.get(step.key)
        note = rng.choice(notes) if notes and rng.random() < 0.3 else None
        visa = ("vls_ts" if long_stay else "short_stay") if step.key == "visa_granted" else None
        actor = student if rng.random() < 0.9 else ctx.coordinator
        followup.update_step(step, day, note, actor, visa_type=visa, today=day)
    arrived = internship.arrived_on or start

    # 2. Monthly check-ins (one forgotten now and then; none for an abrupt last month).
    troubles = {schedule.month_start(day): spec for spec, day in planned.incidents or []}
    months = schedule.checkin_months(start, stop)
    if planned.early:
        months = months[:-1] or months
    # What was learned: settling in, then a different topic each month (the first feature
    # shipped comes first), then the report and the hand-over.
    middle = LEARNED["middle"]
    topics = rng.sample(middle, min(len(middle), max(0, len(months) - 2)))
    topics.sort(key=lambda topic: topic != middle[0])
    learned_by_month = [rng.choice(LEARNED["start"]), *topics, rng.choice(LEARNED["end"])]
    for index, month in enumerate(months):
        if index and rng.random() < 0.04:
            continue
        month_end = add_months(month, 1) - timedelta(days=1)
        if rng.random() < 0.6:
            day = min(month_end, stop) - timedelta(days=rng.randint(0, 3))
        else:
            day = month_end + timedelta(days=rng.randint(1, 6))
        day = max(day, arrived, month)
        if day > today:
            continue
        spec = troubles.get(month)
        if spec is not None:
            wellbeing = rng.choice((1, 2) if spec.severity in (S.high, S.critical) else (2, 3))
            problems = spec.problem
        elif rng.random() < 0.08:
            wellbeing, problems = rng.choice((2, 3, 3)), rng.choice(PROBLEMS)
        else:
            wellbeing = rng.choices((3, 4, 5), weights=(15, 45, 40))[0]
            problems = ""
        workload = rng.choices((2, 3, 4, 5), weights=(5, 40, 40, 15))[0]
        learned = learned_by_month[-1] if index == len(months) - 1 else learned_by_month[index]
        checkin = followup.submit_checkin(
            internship, month, wellbeing, workload, learned, problems, student, today=day
        )
        checkin.submitted_at = _when(day, rng)

    # 3. Incidents.
    for spec, occurred in planned.incidents or []:
        if occurred <= today:
            _incident(rng, internship, spec, occurred, planned.keep_open, ctx)

    # 4. The tutor's evaluations: mid-term at the midpoint, final two weeks before the end.
    midpoint = schedule.midpoint(start, end)
    if midpoint <= stop:
        _evaluate(
            rng, internship, EvaluationKind.midterm, midpoint - timedelta(days=rng.randint(0, 2)),
            planned.quality, criteria, True, today,
        )  # fmt: skip
    if planned.early is None:
        _evaluate(
            rng, internship, EvaluationKind.final, end - timedelta(days=14), planned.quality,
            criteria, planned.final_answered, today,
        )  # fmt: skip

    # 5. The early end, with its amendment when the agreement is in the app.
    if planned.early is not None and planned.ended_on <= today:
        followup.end_early(
            internship, planned.ended_on, planned.early.reason, planned.early.early_return,
            ctx.coordinator,
        )  # fmt: skip
        agreement = agreement_services.agreement_for(internship.placement)
        if agreement is not None:
            amended_on = min(today, planned.ended_on + timedelta(days=rng.randint(1, 4)))
            document = agreement_services.amend(
                agreement,
                agreement_services.AmendmentInput(
                    reasons=["early_end"],
                    early_end_on=planned.ended_on,
                    explanation=planned.early.reason,
                ),
                ctx.coordinator,
                today=amended_on,
            )
            document.issued_at = _when(amended_on, rng)
            _sign_all(rng, document, ctx, amended_on, amended_on + timedelta(days=8))
        last_action = _when(planned.ended_on, rng)

    # 6. The return to Morocco (surveys at 3, 6 and 12 months scheduled): after the planned
    # end, also when the internship ended early without an early return.
    if planned.early is not None and planned.early.early_return:
        returned = planned.ended_on + timedelta(days=rng.randint(1, 6))
    elif rng.random() < 0.8:
        returned = end + timedelta(days=rng.randint(1, 7))
    else:
        returned = end + timedelta(days=rng.randint(10, 25))  # a few days of holiday first
    if planned.confirm_return and returned <= today:
        confirmed = min(today, returned + timedelta(days=rng.randint(0, 5)))
        actor = student if rng.random() < 0.85 else ctx.coordinator
        followup.confirm_return(internship, returned, actor, today=confirmed)
        last_action = _when(confirmed, rng)
        for survey in db.session.scalars(
            select(EmploymentSurvey).where(EmploymentSurvey.internship_id == internship.id)
        ):
            survey.created_at = survey.updated_at = last_action
    internship.updated_at = max(last_action, internship.created_at)


# --- employment surveys ------------------------------------------------------------------------


def _job(
    rng: random.Random, pole: Pole, female: bool, abroad: bool, host: Company | None, year: int
) -> dict:
    if abroad:
        if host is not None and rng.random() < 0.6:
            employer = _Employer(host.legal_name, host.city, host.sector, pole, host.mnc_member)
        else:
            employer = rng.choice(EMPLOYERS_ABROAD)
        band = rng.choices((SalaryBand.from_15000, SalaryBand.from_25000), weights=(2, 8))[0]
    else:
        matching = [e for e in EMPLOYERS_MA if e.pole is pole]
        employer = rng.choice(matching if matching and rng.random() < 0.7 else EMPLOYERS_MA)
        drift = max(0, min(4, year - 2021))
        band = rng.choices(BANDS, weights=(2, 30 - 3 * drift, 45, 20 + 3 * drift, 3))[0]
    title = rng.choice(JOB_TITLES[employer.pole if rng.random() < 0.7 else pole])
    contract = rng.choices(
        (ContractType.permanent, ContractType.fixed_term, ContractType.freelance),
        weights=(68, 25, 7),
    )[0]
    return {
        "employer": employer.name,
        "city": employer.city,
        "sector": employer.sector,
        "pole": employer.pole,
        "employer_mnc_member": employer.mnc_member,
        "job_title": title[1] if female else title[0],
        "contract_type": contract,
        "salary_band": band,
    }


def _path(
    rng: random.Random, kind: str, internship: Internship, year: int
) -> dict[int, followup.SituationInput]:
    """The alumnus's situation at 3, 6 and 12 months, consistent from one wave to the next
    (``kind`` is the situation at 12 months)."""
    application = internship.placement.application
    female = application.gender is Gender.female
    offer = internship.placement.offer
    waves: dict[int, followup.SituationInput] = {}
    if kind in ("morocco", "abroad"):
        abroad = kind == "abroad"
        hired = rng.choices((0, 2, 3, 5, 6, 9, 12), weights=(30, 15, 15, 12, 10, 10, 8))[0]
        if abroad:
            hired = rng.choice((0, 0, 3, 6))
        job = _job(rng, offer.pole, female, abroad, offer.company, year)
        if not abroad and rng.random() < 0.12:  # a pre-hiring internship first
            first = {
                **job,
                "contract_type": ContractType.internship,
                "salary_band": SalaryBand.below_6000,
            }
            job = {**job, "contract_type": ContractType.permanent}
        else:
            first = job
        later = job
        if rng.random() < 0.15:  # a new employer, better paid, a year on
            later = _job(rng, offer.pole, female, abroad, offer.company, year)
            later["salary_band"] = BANDS[min(len(BANDS) - 1, BANDS.index(job["salary_band"]) + 1)]
        situation = Situation.employed_abroad if abroad else Situation.employed_morocco
        first_wave = min(w for w in (3, 6, 12) if hired <= w)
        for wave in (3, 6, 12):
            if hired <= wave:
                values = later if wave == 12 else first if wave == first_wave else job
                waves[wave] = followup.SituationInput(situation, **values)
            elif rng.random() < 0.15:
                waves[wave] = followup.SituationInput(
                    Situation.studying, comment=rng.choice(STUDYING)
                )
            else:
                waves[wave] = followup.SituationInput(
                    Situation.seeking, comment=rng.choice(SEEKING)
                )
        return waves
    situation, comments = {
        "studying": (Situation.studying, STUDYING),
        "seeking": (Situation.seeking, SEEKING),
        "other": (Situation.other, OTHER),
    }[kind]
    comment = rng.choice(comments)
    for wave in (3, 6, 12):
        waves[wave] = followup.SituationInput(situation, comment=comment)
    return waves


def _surveys(rng: random.Random, internships: list[Internship], plan: _Plan, ctx: _Ctx) -> None:
    """Answers to the surveys due by ``today``: at 12 months, ``plan.employed_12`` of the
    alumni are employed in Morocco (the few who do not answer count as not employed); a few
    are unreachable; those due in the last month may still be pending."""
    today = ctx.today
    by: dict[int, dict[int, EmploymentSurvey]] = defaultdict(dict)
    for survey in db.session.scalars(
        select(EmploymentSurvey).where(
            EmploymentSurvey.internship_id.in_([i.id for i in internships]),
            EmploymentSurvey.wave.in_((3, 6, 12)),
        )
    ):
        by[survey.internship_id][survey.wave] = survey
    alumni = [i for i in internships if i.id in by]
    if not alumni:
        return
    rng.shuffle(alumni)
    n = len(alumni)
    silent = alumni[: round(n * 0.07)]  # unreachable a year on
    responders = alumni[len(silent) :]
    employed = min(len(responders), round(plan.employed_12 * n))
    rest = len(responders) - employed
    abroad, studying = round(rest * 0.4), round(rest * 0.25)
    other = 1 if rest - abroad - studying >= 3 else 0
    kinds = (
        ["morocco"] * employed
        + ["abroad"] * abroad
        + ["studying"] * studying
        + ["other"] * other
        + ["seeking"] * (rest - abroad - studying - other)
    )
    rng.shuffle(kinds)
    kinds += rng.choices(("morocco", "seeking", "abroad"), weights=(6, 3, 1), k=len(silent))
    silent_ids = {i.id for i in silent}
    for internship, kind in zip(responders + silent, kinds, strict=True):
        year = internship.placement.offer.start_on.year
        path = _path(rng, kind, internship, year)
        student = internship.placement.application.student
        for wave, survey in sorted(by[internship.id].items()):
            if survey.due_on > today:
                continue  # not due yet: pending
            late = (today - survey.due_on).days
            # At 12 months the figures follow the plan: only the silent ones do not answer.
            unreachable = internship.id in silent_ids if wave == 12 else rng.random() < 0.04
            if late < 30 and rng.random() < 0.5:
                continue  # reminders sent, no answer yet
            if unreachable:
                if late >= 35:
                    followup.mark_unreachable(survey, ctx.coordinator)
                    survey.updated_at = _when(survey.due_on + timedelta(days=35), rng)
                continue
            phone = rng.random() < 0.2
            answered_on = survey.due_on + timedelta(
                days=rng.randint(12, 35) if phone else rng.randint(0, 20)
            )
            answered_on = min(answered_on, today)
            actor = ctx.coordinator if phone else student
            followup.answer_survey(survey, path[wave], actor, by_phone=phone, today=answered_on)
            survey.answered_at = survey.updated_at = _when(answered_on, rng)
    db.session.flush()


# --- entry point -------------------------------------------------------------------------------


@sends_no_emails  # the services queue e-mails (agreements, alerts, evaluation links…)
def load_demo_history(today: date | None = None, archived: bool = True) -> int:
    """Create the archived cohorts that are missing and the previous cohort's history;
    returns how many cohorts were created. ``archived=False``: only the previous cohort's
    history (its agreements and follow-up), not the five archived years (the slow part)."""
    today = today or date.today()
    _current, previous_year = cohort_years(today)
    previous = db.session.scalar(select(Cohort).where(Cohort.year == previous_year))
    coordinator = demo_coordinator()
    if previous is None or coordinator is None:
        return 0  # load_demo_data creates both first
    hosts = _hosts()
    if not hosts:
        return 0  # hosts made no companies (the database held some already)
    # Only years whose social-security ceiling is known: their offers pass the law check.
    years = [
        previous_year - YEARS + i
        for i in range(YEARS if archived else 0)
        if previous_year - YEARS + i in SOCIAL_SECURITY_HOURLY_CEILING
    ]
    existing = set(db.session.scalars(select(Cohort.year).where(Cohort.year.in_(years))))
    has_history = db.session.scalar(
        select(func.count())
        .select_from(CheckIn)
        .join(Internship, Internship.id == CheckIn.internship_id)
        .where(Internship.cohort_id == previous.id)
    )
    if len(existing) == len(years) and has_history:
        return 0

    institutions = ensure_demo_institutions()
    pool = [i for i in institutions for _ in range(INSTITUTION_WEIGHTS.get(i.name, 1))]
    ctx = _Ctx(
        today=today,
        coordinator=coordinator,
        hosts=hosts,
        contacts={entry.company.id: entry.contact for entry in hosts},
        password_hash=hash_password(),
        institutions=pool,
    )
    retention = current_app.config.get("PERSONAL_DATA_RETENTION_YEARS", 2)
    anonymous_hash = None
    created = 0
    for year in years:
        if year in existing:
            continue
        anonymous = None
        if year <= today.year - retention - 1:
            if anonymous_hash is None:
                anonymous_hash = hash_password(secrets.token_urlsafe(32))
            anonymous = anonymous_hash
        index = year - (previous_year - YEARS)  # in PLANS
        agreements = year >= previous_year - AGREEMENT_YEARS
        _past_year(year, index, ctx, agreements=agreements, anonymous=anonymous)
        created += 1
    if created:
        _backdate_companies(random.Random(SEED), ctx, years[0], previous_year)

    if not has_history:
        _previous_applicants(previous, ctx)
        rng = random.Random(SEED + previous_year + 1)
        if not db.session.scalar(select(Agreement.id).where(Agreement.cohort_id == previous.id)):
            _agreements(rng, previous, ctx)
        _follow_up(rng, previous, PREVIOUS_PLAN, ctx, unconfirmed=2, still_open=1)

    return created
