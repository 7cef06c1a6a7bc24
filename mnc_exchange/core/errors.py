"""Domain errors raised by services and shown to users by views."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused an operation. ``message`` is already translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class TransitionRefused(DomainError):
    """A state machine refused a transition; the message says why."""
