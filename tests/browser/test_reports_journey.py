"""End-to-end journey of an official (issue 8): opens the programme dashboard from the menu,
switches to the other year, downloads the cohort report (PDF) and the list of the interns as an
Excel file.

Two past cohorts with placed, departed and returned interns are loaded directly (the
``build_cohort`` of the metrics tests, through the real services); everything else goes through
the browser. The interface stays in French: the selectors use ids, names and data attributes,
and the texts asserted are years, names and headers computed from the application's own labels,
so the test keeps passing whatever the catalogue says.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Page = expect = None

import openpyxl
from flask_babel import force_locale
from pypdf import PdfReader

from mnc_exchange.accounts.models import Role
from mnc_exchange.extensions import db
from mnc_exchange.reports import exports
from tests.factories import PASSWORD, UserFactory
from tests.test_reports_metrics import build_cohort, past_year

LATEST = past_year(2)
EARLIER = past_year(3)
#: One returned intern per cohort with a name of their own (the others are "PrénomN ÉtudiantN").
INTERNS = {LATEST: ("Éloïse", "Lefèvre"), EARLIER: ("Karim", "Ouazzani")}
OFFICIAL = "nadia.officielle@ministere.example.ma"


def seed() -> None:
    for year, name in INTERNS.items():
        build_cohort(year, names={"back2": name})
    UserFactory(role=Role.official, email=OFFICIAL, full_name="Nadia Officielle", locale="fr")
    db.session.commit()  # end the read: the live server works on the data next
    db.session.remove()


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def download(page: Page, selector: str) -> tuple[str, bytes]:
    """Click ``selector``, wait for the download; its suggested file name and its bytes."""
    with page.expect_download() as info:
        page.locator(selector).click()
    got = info.value
    assert got.failure() is None
    return got.suggested_filename, Path(got.path()).read_bytes()


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_official_switches_year_and_downloads_the_report_and_the_export(page: Page):
    seed()
    log_in(page, OFFICIAL)

    # The dashboard opens on the latest cohort with placements.
    page.locator("#nav-reports").click()
    expect(page).to_have_url(re.compile(r"/reports$"))
    expect(page.locator("#year-select")).to_have_value(str(LATEST))
    expect(page.locator("#funnel-placed")).to_have_text("4")
    expect(page.locator("#report-pdf-fr")).to_have_attribute(
        "href", re.compile(rf"/reports/{LATEST}/report\.pdf")
    )

    # Switch to the earlier year.
    page.locator("#year-select").select_option(str(EARLIER))
    page.locator("#year-submit").click()
    expect(page).to_have_url(re.compile(rf"/reports\?year={EARLIER}$"))
    expect(page.locator("#year-select")).to_have_value(str(EARLIER))
    expect(page.locator("#trends tr.table-active")).to_have_attribute("data-year", str(EARLIER))

    # The cohort report of that year, in French.
    filename, data = download(page, "#report-pdf-fr")
    assert filename == f"mnc-cohort-report-{EARLIER}-fr.pdf"
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert str(EARLIER) in text
    assert " ".join(INTERNS[EARLIER]) in text
    assert " ".join(INTERNS[LATEST]) not in text

    # The list of the interns as an Excel file, from the exports page.
    page.locator("#exports-link").click()
    expect(page).to_have_url(re.compile(rf"/reports/{EARLIER}/exports$"))
    expect(page.locator("#format-xlsx")).to_be_checked()
    filename, data = download(page, "#interns-submit")
    assert filename == f"mnc-{EARLIER}-interns.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    with force_locale("fr"):  # the official reads French
        headers = [label for _key, label in exports.student_columns()]
    assert list(rows[0]) == headers
    names = [row[0] for row in rows[1:]]
    assert len(names) == 4  # the placed students
    assert " ".join(INTERNS[EARLIER]) in names
    assert " ".join(INTERNS[LATEST]) not in names
