"""Coordinators' forms: return for correction, document review, eligibility decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..core.forms import AppForm, required_text

MESSAGE_MAX = 5000


class ReturnForm(AppForm):
    message = required_text(
        _l("Message to the student"),
        _l("Write a message telling the student what to correct."),
        MESSAGE_MAX,
        field=TextAreaField,
        description=_l("Say precisely what is to be corrected; the student receives it by e-mail."),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Return for correction"))


class DocumentReviewForm(AppForm):
    """One per document on the detail page: build it with ``prefix=document_prefix(id)``."""

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("accept", _l("Accept")), SelectChoice("reject", _l("Reject"))],
        validators=[InputRequired(message=_l("Choose to accept or reject the document."))],
    )
    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), Length(max=MESSAGE_MAX)],
        description=_l("Required when the document is rejected; the student receives it."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Save the review"))

    @property
    def accept(self) -> bool:
        return self.decision.data == "accept"


def document_prefix(document_id: int) -> str:
    return f"doc-{document_id}"


class EligibilityForm(AppForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("eligible", _l("Eligible")),
            SelectChoice("ineligible", _l("Not eligible")),
        ],
        validators=[InputRequired(message=_l("Choose eligible or not eligible."))],
    )
    override_reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=MESSAGE_MAX)],
        description=_l(
            "Required when the decision goes against the rules' suggestion or changes an "
            "earlier decision."
        ),
        render_kw={"rows": 3},
    )
    confirmed = HiddenField()
    submit = SubmitField(_l("Record the decision"))

    @property
    def eligible(self) -> bool:
        return self.decision.data == "eligible"

    @property
    def is_confirmed(self) -> bool:
        """Posted from the confirmation page (declaring a file not eligible)."""
        return self.confirmed.data == "1"


class ScreenAllForm(AppForm):
    cohort_id = HiddenField()
    submit = SubmitField(_l("Screen all submitted applications"))
