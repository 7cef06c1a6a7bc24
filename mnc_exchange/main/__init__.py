"""Home page, dashboards per role, language switch."""
