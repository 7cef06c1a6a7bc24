"""The signature record of a document's final version: who signed for each party, in which
capacity, when (date and time in the party's zone, named), how (in the application, or on
paper with the scan's SHA-256) and the SHA-256 of the version signed.

The record is a plain dict of French strings (the PDFs are in French), added to the snapshot
given to the template as ``s.final``; nothing here touches the database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from ..core.timeutils import CASABLANCA, PARIS, as_utc
from .models import AgreementDocument, Party, Signature, SignatureMethod

#: Where each party signs from: the host's side in France, the others in Morocco.
PARTY_ZONES: dict[Party, ZoneInfo] = {
    Party.host: PARIS,
    Party.tutor: PARIS,
    Party.student: CASABLANCA,
    Party.institution: CASABLANCA,
    Party.referent: CASABLANCA,
    Party.programme: CASABLANCA,
}
ZONE_NAMES = {"Europe/Paris": "heure de Paris", "Africa/Casablanca": "heure du Maroc"}

PARTY_LABELS_FR = {
    Party.host: "L’organisme d’accueil",
    Party.student: "Le stagiaire",
    Party.tutor: "Le tuteur de stage",
    Party.institution: "L’établissement d’enseignement",
    Party.referent: "L’enseignant référent",
    Party.programme: "Le programme Maroc Numeric Cluster",
}


def _zone_label(moment: datetime, zone: ZoneInfo) -> str:
    offset = moment.astimezone(zone).strftime("%z")  # +0100
    return f"{ZONE_NAMES.get(zone.key, zone.key)}, {zone.key}, UTC{offset[:3]}:{offset[3:]}"


def when(moment: datetime, zone: ZoneInfo) -> str:
    """``12 mars 2027 à 14:05 (heure de Paris, Europe/Paris, UTC+01:00)``."""
    local = as_utc(moment).astimezone(zone)
    text = format_datetime(local, "d MMMM y 'à' HH:mm", locale="fr")
    return f"{_first(text, local.date())} ({_zone_label(local, zone)})"


def _first(text: str, day: date) -> str:
    return "1er " + text[2:] if day.day == 1 and text.startswith("1 ") else text


def long_date(day: date) -> str:
    return _first(format_date(day, "long", locale="fr"), day)


def _default_capacity(party: Party, signature: Signature, snapshot: dict) -> str:
    host = snapshot.get("host", {})
    institution = snapshot.get("institution", {})
    tutor = snapshot.get("tutor", {})
    name = signature.signer_name.strip().lower()
    if party is Party.student:
        return "stagiaire"
    if party is Party.host:
        if name and name == (host.get("representative") or "").strip().lower():
            return host.get("representative_title") or "représentant légal"
        return "pour l’organisme d’accueil"
    if party is Party.tutor:
        title = tutor.get("job_title") or ""
        return f"tuteur de stage, {title}" if title else "tuteur de stage"
    if party is Party.institution:
        if name and name == (institution.get("representative") or "").strip().lower():
            return "représentant légal de l’établissement"
        return "pour l’établissement d’enseignement"
    if party is Party.referent:
        return "enseignant référent"
    return "pour le programme Maroc Numeric Cluster"


def signature_entry(
    signature: Signature, snapshot: dict, recorded_by: str | None = None
) -> dict[str, Any]:
    """One line of the record."""
    party = signature.party
    zone = PARTY_ZONES[party]
    capacity = (signature.signer_capacity or "").strip() or _default_capacity(
        party, signature, snapshot
    )
    entry: dict[str, Any] = {
        "party": party.value,
        "party_label": PARTY_LABELS_FR[party],
        "signer": signature.signer_name,
        "capacity": capacity,
        "on_behalf_of": (signature.on_behalf_of or "").strip(),
        "method": signature.method.value,
        "signed_at": as_utc(signature.signed_at).isoformat(),
    }
    if signature.method is SignatureMethod.in_app:
        entry["when"] = when(signature.signed_at, zone)
        entry["how"] = "signature électronique dans l’application du programme"
        entry["how_short"] = "dans l’application du programme"
    else:
        entry["how_short"] = "sur papier, scan enregistré"
        day = as_utc(signature.signed_at).astimezone(PARIS).date()
        entry["when"] = f"{long_date(day)} (date portée sur l’exemplaire papier)"
        how = "signature manuscrite sur papier"
        if signature.scan_sha256:
            how += f", scan enregistré (SHA-256 {signature.scan_sha256})"
        entry["how"] = how
        if signature.recorded_at is not None:
            recorded = f"enregistrée le {when(signature.recorded_at, CASABLANCA)}"
            if recorded_by:
                recorded += f" par {recorded_by}"
            entry["recorded"] = recorded
    return entry


def build_record(
    document: AgreementDocument,
    order: list[tuple[Party, ...]],
    finalised_at: datetime,
    seal_subject: str | None,
    recorders: dict[int, str],
) -> dict[str, Any]:
    """The ``final`` part of the snapshot for ``document``'s final version."""
    snapshot = document.snapshot or {}
    by_party = {s.party: s for s in document.signatures}
    ordered = [p for stage in order for p in stage if p in by_party]
    ordered += [p for p in by_party if p not in ordered]
    entries = [
        signature_entry(
            by_party[p], snapshot, recorders.get(by_party[p].recorded_by_id or 0) or None
        )
        for p in ordered
    ]
    return {
        "signed_reference": document.reference,
        "signed_sha256": document.sha256,
        "signed_issued": when(document.issued_at, CASABLANCA),
        "finalised": when(finalised_at, CASABLANCA),
        "seal": seal_subject,
        "signatures": entries,
        "by_party": {entry["party"]: entry for entry in entries},
    }
