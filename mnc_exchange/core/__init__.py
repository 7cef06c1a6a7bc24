"""Shared building blocks: time helpers, domain errors, model mixins."""
