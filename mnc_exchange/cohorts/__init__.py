"""Yearly cohorts (promotions) and their calendar and states."""
