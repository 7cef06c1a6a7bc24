"""Security regression tests (issue 13)."""
