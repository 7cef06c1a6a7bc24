"""Domain events: how a later step of the programme's year reacts to an earlier one.

The domains depend on each other in one direction only, following the year (accounts →
cohorts → applications → selection → offers / placements → agreements → follow-up →
reports): a later step may import an earlier one, never the reverse. When an earlier step
does something a later one must follow up (a withdrawal cancels the student's placement), it
sends a signal here; the later domain's receiver does its part.

- Receivers are connected once, by ``mnc_exchange.reactions.connect`` (called by
  ``create_app``: the app, the CLI and the tests all get them), in the order they run.
- ``send`` calls them in that order, in the sender's transaction. An exception propagates to
  the sender: a ``DomainError`` raised by a receiver refuses the whole step (the view rolls
  back), as when the call was direct.
- ``ask`` is for the rare question an earlier step puts to a later one (the certificate
  quotes the tutor's final evaluation): the first receiver's answer, or a default.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableSet
from typing import Any

from blinker import NamedSignal, Namespace


class _OrderedSet(MutableSet):
    """A set that keeps insertion order (blinker's ``set_class``): receivers run in the order
    they were connected."""

    def __init__(self, items: Iterable = ()) -> None:
        self._items = dict.fromkeys(items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item) -> None:
        self._items[item] = None

    def discard(self, item) -> None:
        self._items.pop(item, None)

    def copy(self) -> _OrderedSet:
        return _OrderedSet(self._items)


class _Signal(NamedSignal):
    set_class = _OrderedSet  # type: ignore[assignment]


class _Namespace(Namespace):
    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        if name not in self:
            self[name] = _Signal(name, doc)
        return self[name]


events = _Namespace()

#: ``send(application, previous=<status before>)``: the student withdrew the application.
application_withdrawn = events.signal(
    "application-withdrawn", "The student withdrew an application (sender: the application)."
)
#: ``send(placement)``: the company confirmed the placement.
placement_confirmed = events.signal(
    "placement-confirmed", "A company confirmed a placement (sender: the placement)."
)
#: ``send(agreement)``: an amendment changed the agreement's terms.
agreement_amended = events.signal(
    "agreement-amended", "An amendment changed an agreement's terms (sender: the agreement)."
)
#: ``ask(tutor_appraisal, agreement, "")``: the tutor's final evaluation in a sentence.
tutor_appraisal = events.signal(
    "tutor-appraisal", "The tutor's final evaluation for the certificate (sender: the agreement)."
)


def ask(signal: NamedSignal, sender: Any, default: Any = None) -> Any:
    """The first connected receiver's answer about ``sender``, or ``default``."""
    for _receiver, answer in signal.send(sender):
        return answer
    return default
