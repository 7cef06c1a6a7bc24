"""WSGI entry point: ``flask --app app ...`` and ``gunicorn app:app``."""

from mnc_exchange import create_app

app = create_app()
