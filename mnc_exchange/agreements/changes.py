"""What changed between two versions of an agreement, read from their snapshots.

The préfecture gives its opinion on one agreement (CESEDA R426-19/20): a new version whose
dates, hours, stipend, host or activities differ is a different agreement and needs a new
submission; a correction that changes none of these (a referent's e-mail, a typo in the
benefits) keeps the préfecture's answer. ``material_changes`` lists the terms that differ.

Pure module: plain dicts in (``AgreementDocument.snapshot``, see ``services.build_snapshot``),
plain data out; no Flask, no database.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

#: The terms the préfecture judges, in the order they are reported, with the snapshot fields
#: (section, key) of each. "host" covers the host's legal identity and the place of work.
MATERIAL_TERMS: dict[str, tuple[tuple[str, str], ...]] = {
    "dates": (("terms", "start_on"), ("terms", "end_on")),
    "hours": (("terms", "weekly_hours"), ("terms", "daily_hours")),
    "stipend": (("terms", "monthly_stipend"),),
    "host": (
        ("host", "legal_name"),
        ("host", "siret"),
        ("host", "address"),
        ("host", "postcode"),
        ("host", "city"),
        ("terms", "work_address"),
        ("terms", "work_city"),
    ),
    "activities": (("terms", "activities"), ("terms", "skills_to_acquire")),
}

#: Numeric fields: compared as numbers ("35" and "35.0" are the same hours).
_NUMERIC = {"weekly_hours", "daily_hours", "monthly_stipend"}


def _value(snapshot: dict[str, Any], section: str, key: str) -> Any:
    value = (snapshot.get(section) or {}).get(key)
    if key in _NUMERIC and value not in (None, ""):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return str(value)
    if isinstance(value, str):
        # Line breaks and repeated spaces are layout, not content.
        return " ".join(value.split())
    return value


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    """The (section, key) fields of ``MATERIAL_TERMS`` whose values differ."""
    return [
        (section, key)
        for fields in MATERIAL_TERMS.values()
        for section, key in fields
        if _value(before, section, key) != _value(after, section, key)
    ]


def material_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The material terms (``dates``, ``hours``, ``stipend``, ``host``, ``activities``) that
    differ between two snapshots, in that order; ``[]`` for a mere correction."""
    changed = set(changed_fields(before, after))
    return [
        term for term, fields in MATERIAL_TERMS.items() if any(field in changed for field in fields)
    ]
