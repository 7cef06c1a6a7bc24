"""A blank typed into a select (a space, a tab) is no choice, never a 500 nor a stored blank.

Found by the form fuzzer (``gender=' '`` made ``POST /application/`` raise ``ValueError``):
WTForms' ``Optional`` clears the select's "not a choice" error for a blank value, so the
value must be coerced to "no choice" before the form hands it to the service."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from mnc_exchange.applications.forms import ApplicationForm


@pytest.mark.parametrize("blank", [" ", "\t", "  "])
def test_a_blank_select_is_no_choice(app, blank):
    with app.test_request_context(method="POST"):
        form = ApplicationForm(
            formdata=MultiDict(
                {"gender": blank, "region": blank, "french_level": blank, "english_level": blank}
            )
        )
        form.validate()
        values = form._values()
    assert values["gender"] is None
    assert values["region"] is None
    assert values["french_level"] is None and values["english_level"] is None
