"""CSV files that spreadsheets open safely: every text cell is neutralised against formula
injection ("CSV injection"), whatever separator the spreadsheet splits on.

A spreadsheet runs a cell as a formula when it starts with ``=``, ``+``, ``-`` or ``@`` (and
some treat a leading tab or carriage return the same way). Our files are comma-separated, but
Excel or LibreOffice set up for French split on semicolons, and others on tabs: a cell
``Dupont;=HYPERLINK(...)`` then becomes two cells, the second a formula. So a ``'`` (which
spreadsheets show as text, never run) is put

- before the cell, when the cell starts with one of those characters, and
- right after any separator character (``,`` ``;`` tab, CR, LF) that is followed by one,

ignoring spaces and double quotes in between (a reader may drop them). Numbers the code
computes (``int``, ``float``, ``Decimal``) are written as they are, so negative numbers stay
numbers; only text is neutralised.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

#: A cell starting with one of these runs as a formula in some spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: Characters a spreadsheet may split cells on.
SEPARATORS = ",;\t\r\n"
_IGNORED = ' "\u00a0'
_LEADING = re.compile(rf"^[{_IGNORED}]*[=+\-@]")
_AFTER_SEPARATOR = re.compile(rf"([{re.escape(SEPARATORS)}])(?=[{_IGNORED}]*[=+\-@])")


def safe_text(value: Any) -> str:
    """``value`` as text that no spreadsheet runs as a formula (None is an empty cell)."""
    text = "" if value is None else str(value)
    if not text:
        return text
    text = _AFTER_SEPARATOR.sub(r"\1'", text)
    if text.startswith(FORMULA_STARTS) or _LEADING.match(text):
        text = "'" + text
    return text


def safe_cell(value: Any) -> Any:
    """A number stays a number (negative ones too); anything else becomes safe text."""
    if isinstance(value, bool):
        return safe_text(value)
    if isinstance(value, int | float | Decimal):
        return value
    return safe_text(value)


def _number_mark(cell: Any, decimal_mark: str) -> Any:
    if decimal_mark != "." and isinstance(cell, float | Decimal):
        return str(cell).replace(".", decimal_mark)
    return cell


def write_csv(
    header: Iterable[Any],
    rows: Iterable[Iterable[Any]],
    delimiter: str = ",",
    decimal_mark: str = ".",
) -> str:
    """The CSV text every export uses: a UTF-8 BOM (for Excel), comma-separated (or
    ``delimiter``), quoted when needed, CRLF line ends, each cell through ``safe_cell``;
    decimal numbers written with ``decimal_mark`` (a French Excel reads "83,33")."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(v) for v in header])
    for row in rows:
        writer.writerow([_number_mark(safe_cell(v), decimal_mark) for v in row])
    return out.getvalue()
