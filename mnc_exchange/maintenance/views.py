"""“My data”: every logged-in person downloads what the programme holds about them."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from flask_login import current_user, login_required

from ..audit.services import record
from ..extensions import db
from .personal_data import export_zip

bp = Blueprint("privacy", __name__, url_prefix="/account/data")


@bp.route("")
@login_required
def index():
    return render_template("privacy/index.html")


@bp.route("/export.zip")
@login_required
def download():
    data = export_zip(current_user)
    record("privacy.export", current_user, actor=current_user)
    db.session.commit()
    return Response(
        data,
        mimetype="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="mnc-exchange-my-data.zip"',
            "Cache-Control": "no-store",
        },
    )
