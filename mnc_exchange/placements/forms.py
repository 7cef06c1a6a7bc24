"""Forms of the matching phase: the student's ranking of offers, the company's ranking of its
candidates and its answer to a proposed placement, the coordinators' settings and actions.

Forms repeated once per row of a page (decline, cancel, release) are built with a ``prefix``
from ``core.forms.row_prefix`` so that each row's fields have their own names and ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ..applications.models import Application
from ..core.forms import AppForm, count_field, optional_number, strip, textarea_field
from ..core.timeutils import CASABLANCA
from ..offers.models import Offer
from .models import MAX_PREFERENCES

REASON_MAX = 2000
CANCEL_REASON_MAX = 500  # Placement.cancel_reason is a String(500)
CONFIRMATION_DAYS_MAX = 60
#: Highest rank a company may give (far above any realistic number of candidates).
COMPANY_RANK_MAX = 999

ORDINAL_LABELS = {
    1: _l("1st choice"),
    2: _l("2nd choice"),
    3: _l("3rd choice"),
    4: _l("4th choice"),
    5: _l("5th choice"),
}


def choice_label(n: int):
    return ORDINAL_LABELS.get(n) or _l("Choice no. %(n)d", n=n)


# --- the student's ranking of offers ----------------------------------------------------------


def offer_label(offer: Offer) -> str:
    return f"{offer.title} — {offer.company.legal_name} ({offer.city})"


class RankingForm(AppForm):
    """``choice_1`` … ``choice_<MAX_PREFERENCES>``: offer ids, first = preferred.

    The choices are filled from the offers the student may rank (``offers=``). Blank
    choices are allowed at the end only; an offer may appear once.
    """

    submit = SubmitField(_l("Save my ranking"))

    def __init__(self, *args, offers: Iterable[Offer] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._allowed = {str(offer.id) for offer in offers}
        choices = [SelectChoice("", _l("— no offer —"))] + [
            SelectChoice(str(offer.id), offer_label(offer)) for offer in offers
        ]
        for field in self.choice_fields:
            field.choices = choices

    @property
    def choice_fields(self) -> list:
        return [self[f"choice_{n}"] for n in range(1, MAX_PREFERENCES + 1)]

    @staticmethod
    def _posted_extra_choices() -> int:
        """How many non-empty ``choice_N`` beyond ``MAX_PREFERENCES`` were posted."""
        if not has_request_context() or request.method != "POST":
            return 0
        count = 0
        for key in request.form:
            match = re.fullmatch(r"choice_(\d+)", key)
            if match and int(match.group(1)) > MAX_PREFERENCES:
                count += any(value.strip() for value in request.form.getlist(key))
        return count

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self._posted_extra_choices():
            self.form_errors.append(
                ngettext(
                    "You can rank at most %(num)d offer.",
                    "You can rank at most %(num)d offers.",
                    MAX_PREFERENCES,
                )
            )
            ok = False
        seen: dict[str, int] = {}
        blank_at: int | None = None
        for n, field in enumerate(self.choice_fields, start=1):
            value = (field.data or "").strip()
            if not value:
                blank_at = blank_at or n
                continue
            if value not in self._allowed:
                field.errors = [*field.errors, _l("Choose an offer from the list.")]
                ok = False
                continue
            if blank_at is not None:
                field.errors = [
                    *field.errors,
                    _l(
                        "Fill your choices in order: your choice no. %(n)d is empty.",
                        n=blank_at,
                    ),
                ]
                ok = False
            if value in seen:
                field.errors = [
                    *field.errors,
                    _l("You already chose this offer as your choice no. %(n)d.", n=seen[value]),
                ]
                ok = False
            else:
                seen[value] = n
        return ok

    def offer_ids(self) -> list[int]:
        return [int(f.data) for f in self.choice_fields if (f.data or "").strip()]


for _n in range(1, MAX_PREFERENCES + 1):
    setattr(
        RankingForm,
        f"choice_{_n}",
        SelectField(choice_label(_n), filters=[strip], validate_choice=False, default=""),
    )


# --- the company's ranking of its candidates --------------------------------------------------


def rank_field(application_id: int) -> str:
    return f"rank_{application_id}"


def reject_field(application_id: int) -> str:
    return f"reject_{application_id}"


class CandidateRankingForm(AppForm):
    """For each candidate: ``rank_<id>`` (1 = preferred, blank = not ranked) or
    ``reject_<id>`` (not acceptable). Build it with ``candidate_ranking_form``."""

    submit = SubmitField(_l("Save the ranking"))
    application_ids: tuple[int, ...] = ()

    def rank(self, application_id: int):
        return self[rank_field(application_id)]

    def reject(self, application_id: int):
        return self[reject_field(application_id)]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        taken: dict[int, int] = {}
        for application_id in self.application_ids:
            rank, reject = self.rank(application_id), self.reject(application_id)
            if rank.errors:
                ok = False
                continue
            if rank.data is not None and reject.data:
                rank.errors = [
                    *rank.errors,
                    _l("Give a rank or mark the candidate not acceptable, not both."),
                ]
                ok = False
            elif rank.data is not None:
                taken[rank.data] = taken.get(rank.data, 0) + 1
        for application_id in self.application_ids:
            rank = self.rank(application_id)
            if rank.data is not None and taken.get(rank.data, 0) > 1 and not rank.errors:
                rank.errors = [
                    *rank.errors,
                    _l("Two candidates cannot share rank %(n)d.", n=rank.data),
                ]
                ok = False
        return ok

    def entries(self) -> dict[int, int | None]:
        """Application id → rank, or ``None`` when not acceptable; unranked candidates are
        left out (the programme's scores order them)."""
        result: dict[int, int | None] = {}
        for application_id in self.application_ids:
            if self.reject(application_id).data:
                result[application_id] = None
            elif self.rank(application_id).data is not None:
                result[application_id] = self.rank(application_id).data
        return result


def candidate_ranking_form(
    candidates: Iterable[Application], existing: dict | None = None, formdata=None
) -> CandidateRankingForm:
    """The ranking form for ``candidates``; ``existing`` (application id → CompanyRanking)
    fills it when ``formdata`` is None (a GET), else the posted values are read."""
    ids = tuple(application.id for application in candidates)
    attrs: dict = {"application_ids": ids}
    for application_id in ids:
        attrs[rank_field(application_id)] = IntegerField(
            _l("Rank"),
            validators=optional_number(
                1, COMPANY_RANK_MAX, _l("A rank is a whole number from %(min)s to %(max)s.")
            ),
            render_kw={"type": "number", "min": 1, "max": COMPANY_RANK_MAX, "inputmode": "numeric"},
        )
        attrs[reject_field(application_id)] = BooleanField(_l("Not acceptable"))
    form_class = type("BoundCandidateRankingForm", (CandidateRankingForm,), attrs)
    if formdata is not None:
        return form_class(formdata=formdata)
    data = {}
    for application_id, row in (existing or {}).items():
        if application_id not in ids:
            continue
        data[rank_field(application_id)] = row.rank if row.acceptable else None
        data[reject_field(application_id)] = not row.acceptable
    return form_class(formdata=None, data=data)


def _reason_form(label, required, button, rows: int, max_chars: int = REASON_MAX) -> type:
    """A form of a required reason (at most ``max_chars``, in a box of ``rows``) and a button:
    ``required`` is the message when the reason is left empty."""

    class ReasonForm(AppForm):
        reason = textarea_field(label, required=required, rows=rows, max_chars=max_chars)
        submit = SubmitField(button)

    return ReasonForm


# --- the company's answer to a proposed placement ----------------------------------------------


DeclinePlacementForm = _reason_form(
    _l("Reason for declining (required, read by the programme's coordinators)"),
    _l("Give the reason for declining."),
    _l("Decline"),
    rows=2,
)


# --- coordinators ------------------------------------------------------------------------------


def _deadline_field(label, description) -> DateTimeLocalField:
    """An optional date and time, typed in Casablanca time."""
    return DateTimeLocalField(
        label,
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        tz=CASABLANCA,
        validators=[Optional()],
        description=description,
    )


class MatchingSettingsForm(AppForm):
    preferences_deadline_at = _deadline_field(
        _l("Students rank offers until (Casablanca time)"), _l("Leave empty for no deadline.")
    )
    company_deadline_at = _deadline_field(
        _l("Companies rank candidates until (Casablanca time)"),
        _l("Leave empty for no deadline. It cannot come before the students' one."),
    )
    confirmation_days = count_field(
        _l("Days a company has to confirm a proposed placement"),
        CONFIRMATION_DAYS_MAX,
        _l("Enter the number of days."),
        minimum=1,
        default=7,
    )
    submit = SubmitField(_l("Save the settings"))


CancelPlacementForm = _reason_form(
    _l("Reason for cancelling"),
    _l("Give the reason for cancelling this placement."),
    _l("Cancel the placement"),
    rows=3,
    max_chars=CANCEL_REASON_MAX,
)
ReleaseForm = _reason_form(
    _l("Why this student cannot be placed"),
    _l("Give the reason why this student cannot be placed."),
    _l("Cannot be placed: release the seat"),
    rows=1,
)
