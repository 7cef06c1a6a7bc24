"""gunicorn settings; gunicorn reads ``./gunicorn.conf.py`` by itself when started from here.

The worker count comes from ``WEB_CONCURRENCY`` (gunicorn's own default) or ``--workers``. The
app trusts ``WEB_CONCURRENCY=1`` as the proof of a single worker process when the rate limits
are counted in memory (no ``REDIS_URL``), so a ``--workers`` that contradicts it is refused.
"""

import os


def on_starting(server):
    declared = os.environ.get("WEB_CONCURRENCY", "").strip()
    if declared and declared != str(server.cfg.workers):
        raise SystemExit(
            f"gunicorn.conf.py: WEB_CONCURRENCY={declared} but gunicorn would start "
            f"{server.cfg.workers} workers (--workers): make them agree."
        )
