"""Request guards: input that no page can use is refused before any view sees it.

- A NUL character (U+0000) anywhere in the URL, the query string, the form (names and values)
  or an uploaded file's name: 400. No text of the application may hold one, a browser never
  sends one from a form field, and PostgreSQL refuses them in text columns (the view would
  fail with a database error instead of a message). One guard covers every form, present and
  future, and the values views read by hand.
- A form part without a readable name (a malformed multipart body: werkzeug gives it the name
  None, on which WTForms' lists of fields fail): 400.
- An integer in the URL beyond the range of the id columns (32-bit on PostgreSQL): 404, the
  answer for any id that matches no row. SQLite cannot even compare a column with an integer
  beyond 64 bits.
"""

from __future__ import annotations

from flask import Flask, abort, request

#: The largest value of an INTEGER column on PostgreSQL: every id of the application.
MAX_URL_INT = 2**31 - 1

NUL = "\x00"


def _has_nul(values) -> bool:
    return any(NUL in value for value in values if isinstance(value, str))


def _bad_names(names) -> bool:
    return any(not isinstance(name, str) or NUL in name for name in names)


def refuse_unusable_input() -> None:
    view_args = request.view_args or {}
    if (
        NUL in request.path
        or _has_nul(view_args.values())
        or _has_nul(request.args.keys())
        or _has_nul(request.args.values())
    ):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        form = request.form  # parsed once; the view reuses it
        if _bad_names(form.keys()) or _has_nul(form.values()):
            abort(400)
        files = request.files
        if _bad_names(files.keys()) or _has_nul(f.filename for f in files.values()):
            abort(400)


def refuse_out_of_range_ids(endpoint, values) -> None:
    if values and any(
        isinstance(value, int) and not isinstance(value, bool) and value > MAX_URL_INT
        for value in values.values()
    ):
        abort(404)


def register(app: Flask) -> None:
    app.url_value_preprocessor(refuse_out_of_range_ids)
    app.before_request(refuse_unusable_input)
