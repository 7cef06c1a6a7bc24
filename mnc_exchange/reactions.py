"""Who reacts to which domain event (``core.signals``), in the order the reactions run.

An earlier step of the year sends the event; the later domains' receivers do their part in
the same transaction. ``create_app`` calls ``connect`` (connecting twice changes nothing), so
the application, the CLI and the tests all have every reaction.
"""

from __future__ import annotations


def connect() -> None:
    from .core import signals
    from .followup import services as followup
    from .placements import services as placements
    from .selection import services as selection

    # A withdrawal cancels the student's placement, then frees the seat for the waitlist.
    signals.application_withdrawn.connect(placements.on_withdrawal)
    signals.application_withdrawn.connect(selection.after_withdrawal)
    # A confirmed placement opens the internship and its checklist.
    signals.placement_confirmed.connect(followup.ensure_internship)
    # An amendment moves the dates of the checklist steps not done yet.
    signals.agreement_amended.connect(followup.reschedule_amended)
    # The internship certificate quotes the tutor's final evaluation.
    signals.tutor_appraisal.connect(followup.final_evaluation_summary)
