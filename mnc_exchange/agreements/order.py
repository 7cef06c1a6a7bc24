"""The signing order of agreements and amendments (``AGREEMENT_SIGNING_ORDER``).

Written as stages separated by ``>``; the parties of one stage, separated by commas, sign in
any order, and a party signs only once every party of the earlier stages has signed. The
default, ``host > student > tutor, institution, referent > programme``: the host company
signs first (in the application), then the student (in the application), then the tutor, the
sending institution and its referent teacher (usually on paper), and the programme last.
"""

from __future__ import annotations

from .models import Party

DEFAULT_SIGNING_ORDER = "host > student > tutor, institution, referent > programme"


def parse_signing_order(text: str) -> tuple[tuple[Party, ...], ...]:
    """The stages of ``text``; ``ValueError`` if a party is unknown, repeated or missing."""
    stages: list[tuple[Party, ...]] = []
    seen: set[Party] = set()
    for chunk in (text or "").split(">"):
        names = [name.strip().lower() for name in chunk.split(",") if name.strip()]
        if not names:
            continue
        stage = []
        for name in names:
            try:
                party = Party(name)
            except ValueError:
                raise ValueError(
                    f"unknown party {name!r} (expected: {', '.join(p.value for p in Party)})"
                ) from None
            if party in seen:
                raise ValueError(f"{name!r} appears twice")
            seen.add(party)
            stage.append(party)
        stages.append(tuple(stage))
    missing = [p.value for p in Party if p not in seen]
    if missing:
        raise ValueError(f"every party must appear once; missing: {', '.join(missing)}")
    return tuple(stages)


def stages_for(
    order: tuple[tuple[Party, ...], ...], signatories: tuple[Party, ...]
) -> list[tuple[Party, ...]]:
    """The stages restricted to a document's signatories (empty stages dropped)."""
    wanted = set(signatories)
    stages = [tuple(p for p in stage if p in wanted) for stage in order]
    return [stage for stage in stages if stage]


def awaited(stages: list[tuple[Party, ...]], signed: set[Party]) -> list[Party]:
    """The parties whose turn it is: the unsigned parties of the first unfinished stage."""
    for stage in stages:
        waiting = [p for p in stage if p not in signed]
        if waiting:
            return waiting
    return []
