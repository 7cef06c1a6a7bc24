"""Document downloads, for everyone allowed to see the application."""

from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required

from ..extensions import db
from . import uploads
from .access import ensure_can_download
from .models import Document

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.route("/<int:document_id>/download")
@login_required
def download(document_id: int):
    document = db.get_or_404(Document, document_id)
    ensure_can_download(current_user, document)
    path = uploads.path_of(document.stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
