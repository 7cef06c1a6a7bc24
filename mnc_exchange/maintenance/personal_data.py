"""Everything the application holds about one person, as JSON plus their files (the right of
access of law 09-08 and GDPR art. 15/20)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import inspect, or_, select

from ..accounts.models import User
from ..applications import uploads
from ..applications.models import Application, ApplicationMessage, Document
from ..extensions import db

#: Columns never exported (secrets, internal file names, the lists' sort keys: the names
#: lower-cased, exported as they are).
HIDDEN = {
    "password_hash",
    "token_hash",
    "stored_name",
    "scan_stored_name",
    "sort_last_name",
    "sort_first_name",
}


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _row(obj) -> dict[str, Any]:
    return {
        column.key: _value(getattr(obj, column.key))
        for column in inspect(obj).mapper.column_attrs
        if column.key not in HIDDEN
    }


def collect(user: User) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(data, files) where files are (path in the archive, stored relative path)."""
    from ..agreements.models import Agreement, AgreementDocument, Signature
    from ..audit.models import AuditEvent
    from ..followup.models import CheckIn, EmploymentSurvey, Incident, Internship
    from ..placements.models import Placement, StudentPreference

    data: dict[str, Any] = {"account": _row(user), "exported_at": datetime.now().isoformat()}
    files: list[tuple[str, str]] = []
    applications = list(
        db.session.scalars(select(Application).where(Application.student_id == user.id))
    )
    app_ids = [a.id for a in applications] or [0]
    data["applications"] = []
    for application in applications:
        entry = _row(application)
        documents = db.session.scalars(
            select(Document).where(Document.application_id == application.id)
        ).all()
        entry["documents"] = [_row(d) for d in documents]
        for d in documents:
            files.append(
                (f"documents/{application.id}/v{d.version}-{d.original_name}", d.stored_name)
            )
        entry["messages"] = [
            _row(m)
            for m in db.session.scalars(
                select(ApplicationMessage).where(
                    ApplicationMessage.application_id == application.id
                )
            )
        ]
        data["applications"].append(entry)
    data["preferences"] = [
        _row(p)
        for p in db.session.scalars(
            select(StudentPreference).where(StudentPreference.application_id.in_(app_ids))
        )
    ]
    placements = list(
        db.session.scalars(select(Placement).where(Placement.application_id.in_(app_ids)))
    )
    data["placements"] = [_row(p) for p in placements]
    placement_ids = [p.id for p in placements] or [0]
    agreements = list(
        db.session.scalars(select(Agreement).where(Agreement.placement_id.in_(placement_ids)))
    )
    data["agreements"] = []
    for agreement in agreements:
        entry = _row(agreement)
        entry["documents"] = []
        for document in db.session.scalars(
            select(AgreementDocument).where(AgreementDocument.agreement_id == agreement.id)
        ):
            doc = _row(document)
            doc.pop("snapshot", None)
            doc["signatures"] = [
                _row(s)
                for s in db.session.scalars(
                    select(Signature).where(Signature.document_id == document.id)
                )
            ]
            entry["documents"].append(doc)
            files.append((f"agreements/{document.reference}.pdf", document.stored_name))
        data["agreements"].append(entry)
    internships = list(
        db.session.scalars(select(Internship).where(Internship.placement_id.in_(placement_ids)))
    )
    internship_ids = [i.id for i in internships] or [0]
    data["internships"] = [_row(i) for i in internships]
    data["checkins"] = [
        _row(c)
        for c in db.session.scalars(
            select(CheckIn).where(CheckIn.internship_id.in_(internship_ids))
        )
    ]
    data["incidents"] = [
        _row(i)
        for i in db.session.scalars(
            select(Incident).where(
                or_(Incident.internship_id.in_(internship_ids), Incident.reported_by_id == user.id)
            )
        )
    ]
    data["employment_surveys"] = [
        _row(s)
        for s in db.session.scalars(
            select(EmploymentSurvey).where(EmploymentSurvey.internship_id.in_(internship_ids))
        )
    ]
    data["activity"] = [
        {"at": _value(e.created_at), "action": e.action}
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id)
        )
    ]
    return data, files


def export_zip(user: User) -> bytes:
    data, files = collect(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "my-data.json", json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        )
        seen: set[str] = set()
        for name, stored in files:
            if name in seen:
                continue
            seen.add(name)
            try:
                path = uploads.path_of(stored)
            except Exception:  # noqa: BLE001,S112 - a damaged entry never blocks the export
                continue
            if path.is_file():
                archive.write(path, name)
    return buffer.getvalue()
