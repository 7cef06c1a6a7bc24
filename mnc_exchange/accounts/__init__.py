"""Accounts: users, roles, login, registration, passwords."""
