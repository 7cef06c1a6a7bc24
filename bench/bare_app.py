"""The bare page of the page benchmarks (bench/pages.sh): a Flask app whose only page renders a
Jinja template of 50 paragraphs, nothing else (no database, no session, no extension). Served
by gunicorn exactly like the application, it is the yardstick: every page's throughput is given
as a ratio to this one's, measured in the same run.

    gunicorn --workers 2 --bind 127.0.0.1:8001 'bench.bare_app:app'
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template

app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))

PARAGRAPHS = [
    f"Paragraph {n}: a sentence of ordinary length, the kind a page of this application shows."
    for n in range(1, 51)
]


@app.get("/")
def bare():
    return render_template("bare.html", paragraphs=PARAGRAPHS)


@app.get("/ping")
def ping():
    return "ok"
