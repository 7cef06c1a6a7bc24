"""Preferences on both sides, the matching runs and the placements companies confirm."""
