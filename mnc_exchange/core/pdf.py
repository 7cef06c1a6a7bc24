"""PDF rendering with WeasyPrint, never fetching anything from outside.

Only ``data:`` URLs and the fonts bundled in ``mnc_exchange/static/fonts`` may be loaded: any
other URL (http, other files) is refused, so a document cannot leak a request or read a file.
``FONT_FACES`` is the CSS that declares the bundled fonts; templates include it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

FONTS_DIR = (Path(__file__).resolve().parent.parent / "static" / "fonts").resolve()

_FACES = (
    ("DejaVuSans.ttf", "normal", "normal"),
    ("DejaVuSans-Bold.ttf", "bold", "normal"),
    ("DejaVuSans-Oblique.ttf", "normal", "italic"),
)

FONT_FACES = "\n".join(
    "@font-face { font-family: 'MNC Sans'; "
    f"src: url('{(FONTS_DIR / name).as_uri()}'); font-weight: {weight}; font-style: {style}; }}"
    for name, weight, style in _FACES
)


class URLRefused(ValueError):
    """A document tried to load a URL outside the allowed ones."""


def _fetcher():
    from weasyprint.urls import URLFetcher

    allowed = {(FONTS_DIR / name).as_uri() for name, _w, _s in _FACES}

    class LocalOnlyFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=1)

        def fetch(self, url, headers=None):
            text = str(url)
            if not (text.lower().startswith("data:") or text in allowed):
                raise URLRefused(f"URL refused in a generated PDF: {text[:80]}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher()


def render_document(html: str):
    """Lay ``html`` out with the local-only fetcher; the WeasyPrint document gives the pages
    (``.pages``) and the PDF (``.write_pdf()``)."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=None, url_fetcher=_fetcher()).render()


def render_pdf(html: str) -> bytes:
    """Render ``html`` (a complete document) to PDF bytes with the local-only fetcher."""
    return render_document(html).write_pdf()


def pdf_workers(configured: int | None = None) -> int:
    """How many processes render a batch of documents: ``PDF_WORKERS`` (``0`` or unset: one per
    CPU the process may use)."""
    if configured and configured > 0:
        return configured
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def render_pdfs(htmls: Iterable[str], workers: int = 1) -> Iterator[bytes]:
    """Render several complete documents to PDF, in order, with ``workers`` processes.

    WeasyPrint's layout is pure Python and single-threaded: a batch (a cohort's agreements) is
    laid out in parallel in worker processes started afresh (``spawn``: nothing of this process,
    database connections included, is inherited). Each document is rendered exactly as
    :func:`render_pdf` does. With one worker (or one document) everything stays in this process.
    """
    htmls = list(htmls)
    if workers <= 1 or len(htmls) <= 1:
        for html in htmls:
            yield render_pdf(html)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(htmls)), mp_context=context) as pool:
        yield from pool.map(render_pdf, htmls)
