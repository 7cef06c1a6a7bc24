"""Small helpers for sentences in the reader's language: French elision, numbers and sizes.

``de(name)`` gives the preposition and the name together: "de Karim" / "d'Ilyas" in French,
"of Karim" in English. A message that puts a name after "de" takes it as ``%(of_name)s``
(e.g. ``_("Rank %(of_name)s", of_name=de(name))``): the translation then never writes
"de Ilyas".
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import NumberPattern, format_decimal, parse_pattern
from babel.units import format_unit
from flask_babel import get_locale

#: Letters before which French elides "de" into "d'". "h" is left out: a name cannot tell a
#: silent h ("d'Hélène") from an aspirated one ("de Hicham"), and "de H…" is never wrong.
_VOWELS = frozenset("aeiouy")
_Y_CONSONANT_BEFORE = frozenset("aeiou")  # "Yasmine", "Youssef": y is a consonant there


def _language(locale: str | None = None) -> str:
    return (locale or str(get_locale() or "fr")).split("_")[0]


def elides(word: str) -> bool:
    """Does French elide "de"/"que"/"le" before ``word``? (vowel, accented or not)."""
    text = (word or "").strip()
    if not text:
        return False
    first = unicodedata.normalize("NFD", text[0])[0].lower()
    if first == "y":
        return len(text) > 1 and text[1].lower() not in _Y_CONSONANT_BEFORE
    return first in _VOWELS


def de(name, locale: str | None = None) -> str:
    """``de Karim`` / ``d'Ilyas`` (French), ``of Karim`` (English)."""
    name = str(name or "").strip()
    if _language(locale) == "fr":
        return f"d'{name}" if elides(name) else f"de {name}"
    return f"of {name}"


def decimal(value, places: int | None = None, locale: str | None = None) -> str:
    """A number in the reader's style (``14,50`` in French, ``14.50`` in English); ``places``
    fixes the number of decimals, else useless zeros are dropped."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format_decimal(
        amount, format=_decimal_pattern(places), locale=locale or str(get_locale())
    )


@lru_cache(maxsize=16)
def _decimal_pattern(places: int | None) -> NumberPattern:
    """The parsed pattern of ``decimal`` (parsing it costs more than formatting a number)."""
    if places is None:
        return parse_pattern("#,##0.###")
    return parse_pattern("#,##0." + "0" * places if places else "#,##0")


def filesize(size, locale: str | None = None) -> str:
    """``835 octets``, ``12,4 ko``, ``1,5 Mo`` (French); ``835 bytes``, ``12.4 kB`` (English)."""
    if size is None:
        return "—"
    locale = locale or str(get_locale())
    size = int(size)
    if size < 1024:
        return format_unit(size, "digital-byte", length="long", locale=locale)
    if size < 1024**2:
        value, unit = Decimal(size) / 1024, "digital-kilobyte"
    else:
        value, unit = Decimal(size) / 1024**2, "digital-megabyte"
    return format_unit(
        value.quantize(Decimal("0.1")), unit, length="short", format="#,##0.#", locale=locale
    )


def long_date(value, fmt: str = "long", locale: str | None = None) -> str:
    """A date in a sentence, in the reader's language (``1er mars 2027``, ``March 1, 2027``);
    accepts a date, a datetime or an ISO string (as stored in audit details and snapshots)."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    locale = locale or str(get_locale())
    text = format_date(value, fmt, locale=locale)
    if fmt == "long" and value.day == 1 and locale.startswith("fr") and text.startswith("1 "):
        text = "1er " + text[2:]
    return text
