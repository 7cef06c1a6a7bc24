"""Outgoing e-mail: an outbox filled in the same transaction as the change that causes it."""
