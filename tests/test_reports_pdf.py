"""The yearly cohort report (PDF): its text read back with pypdf holds the key figures, the
funnel, the breakdowns, the interns and the incidents of a hand-built cohort whose right answers
are known (tests/test_reports_metrics.py ``build_cohort``); French by default, English on
request; an empty cohort renders with "—" and the reasons; long breakdowns are capped; the
route serves it to officials; the ``cohort-report`` command writes it and refuses an unknown
year."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from babel.dates import format_date
from flask_babel import force_locale
from pypdf import PdfReader

from mnc_exchange.reports.data import load_records
from mnc_exchange.reports.metrics import rates
from mnc_exchange.reports.report import (
    TOP,
    Formats,
    capped_breakdown,
    cohort_report_pdf,
    css_string,
    incident_summary,
    render_report,
)
from tests.factories import CohortFactory
from tests.test_reports_metrics import build_cohort, past_year, rec

ARABIC = ("محمد", "العلوي")
ACCENTED = ("Éloïse", "Lefèvre")
NAMES = {
    "back1": ARABIC,
    "back2": ACCENTED,
    "placed": ("Yassine", "Berrada"),
    "early": ("Salma", "Chraibi"),
    "unplaced": ("Nadia", "Horsliste"),  # selected, never placed: not an intern
}


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, whitespace normalised (narrow no-break spaces included)."""
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def pdf_text(data: bytes) -> str:
    return " ".join(pdf_pages(data))


def form_xobjects(data: bytes) -> int:
    """Vector drawings embedded in the pages (WeasyPrint draws each SVG chart as forms)."""
    reader = PdfReader(io.BytesIO(data))
    count = 0
    for page in reader.pages:
        objects = page["/Resources"].get("/XObject") or {}
        count += sum(1 for o in objects.values() if o.get_object().get("/Subtype") == "/Form")
    return count


def page_of(pages: list[str], needle: str) -> int:
    """The number of the first page after the cover (and its contents) holding ``needle``."""
    return next(i for i, text in enumerate(pages, start=1) if i > 1 and needle in text)


@pytest.fixture
def built():
    return build_cohort(past_year(), names=NAMES)


# --- the report's content ---------------------------------------------------------------------


def test_the_english_report_holds_the_figures_of_the_cohort(built):
    year = built.cohort.year
    data = cohort_report_pdf(built.cohort, "en", date.today())
    pages = pdf_pages(data)
    text = " ".join(pages)
    count = len(pages)
    assert count >= 7

    # Cover: programme, title, year, cut-off, generation, page numbers on every page.
    assert "Maroc Numeric Cluster internship programme" in pages[0]
    assert "Annual cohort report" in pages[0]
    assert str(year) in pages[0]
    assert "Data as of " + format_date(date.today(), "long", locale="en") in pages[0]
    assert "Generated on" in pages[0]
    assert "page 1 / %d" % count in pages[0]  # noqa: UP031 - as printed
    for number, page in enumerate(pages, start=1):
        assert f"page {number} / {count}" in page
    for page in pages[1:]:
        assert f"Annual cohort report · {year}" in page  # running header

    # Key figures: value, then numerator / denominator; the reasons and the response rates.
    assert "8 Applied 5 Selected 4 Placed 2 Returned to Morocco" in text
    assert "Places filled 40% 4 / 10" in text
    assert "Completion 66.7% 2 / 3" in text
    assert "Return to Morocco 66.7% 2 / 3" in text
    assert "Employed in Morocco at 6 months 50% 1 / 2" in text
    assert "Response rate: 50% (1 answered of 2 due)." in text  # 12 months
    assert "Average monthly stipend €700.00 4" in text
    assert "Tutors' satisfaction 5.00 / 5 1" in text
    assert "Incidents 3 Low 1 · Medium 0 · High 1 · Critical 1" in text

    # The funnel: its table and its chart (the chart's title is only drawn in the SVG).
    assert "Applied 8 — 100% Eligible 7 87.5% Applied (8) 87.5%" in text
    assert "Returned to Morocco 2 66.7% Departed (3) 25%" in text
    assert f"Funnel of the {year} cohort" in text
    assert form_xobjects(data) > 0

    # Breakdowns: every dimension, with totals; charts for the pole and the region.
    for title in (
        "By MNC pole",
        "By host city",
        "By host company",
        "By sending institution",
        "By region of origin",
        "By gender",
    ):
        assert title in text
    # applied, selected, placed, completed, returned, then at 3, 6 and 12 months: employed in
    # Morocco and the response rate ("—" while no survey of the group is due).
    assert "Mobile services 2 2 2 2 2 1 100% 1 100% 1 50%" in text
    assert "Paris 1 1 1 1 1 0 100% 1 100% 1 100%" in text
    assert (
        f"Numérique Conseil {year} SAS 4 4 4 2 2 1 100% 1 100% 1 50% "
        "Not placed 4 1 0 0 0 — — — — — —"
    ) in text
    assert "Total 8 5 4 2 2 1 100% 1 100% 1 50%" in text

    # Trends: every cohort; the only one is in progress (abroad), so no line is drawn.
    assert "Trends since the first cohort" in text
    assert "is in progress: it is not drawn" in text
    assert "Rates year by year, in percent" not in text  # no chart

    # The interns: the placed students only, with their outcome.
    interns = pages[page_of(pages, "List of the interns") - 1]
    assert "4 placed students, by name." in interns
    assert "Éloïse Lefèvre" in interns and "Employed in Morocco" in interns
    assert "Yassine Berrada" in interns and "Placed, not departed" in interns
    assert "Salma Chraibi" in interns and "Ended early" in interns
    assert "Employed abroad" in interns  # the Arabic-named intern's outcome
    assert f"ENSIAS {year}" in interns and "Lyon" in interns
    assert f"Mar 2, {year} – May 15, {year}" in interns  # the early end
    assert "Horsliste" not in text

    # Incidents: counts only, no description.
    incidents = pages[page_of(pages, "Counts only") - 1]
    assert "Housing 1 0 1 1 3" in incidents
    assert f"May {year} 1 0 1 1 3" in incidents
    assert "With at least one incident 2" in incidents
    assert "Problème de logement" not in text and "Logement" not in text

    # The methods annex.
    assert "How the figures are computed" in text
    assert "Confirmed placements over the cohort's quota." in text
    assert (
        "Among the returned interns whose 6-month survey was due by the cut-off date: "
        "answered “employed in Morocco”."
    ) in text


def test_the_report_is_french_by_default(built, client, auth):
    auth.as_role("official")  # a French-speaking official
    response = client.get(f"/reports/{built.cohort.year}/report.pdf")
    assert response.status_code == 200
    assert (
        f"mnc-cohort-report-{built.cohort.year}-fr.pdf" in response.headers["Content-Disposition"]
    )
    text = pdf_text(response.data)
    for heading in ("Chiffres clés", "Répartitions", "Liste des stagiaires", "Mode de calcul"):
        assert heading in text
    assert "Places pourvues 40 % 4 / 10" in text
    assert "Retour au Maroc 66,7 % 2 / 3" in text
    assert "700,00 €" in text
    assert "Logement 1 0 1 1 3" in text
    assert "Fin anticipée" in text
    assert "page 1 / " in text
    assert "Key figures" not in text


def test_the_english_report_has_english_headings_only(built):
    text = pdf_text(cohort_report_pdf(built.cohort, "en", date.today()))
    for heading in ("Key figures", "Breakdowns", "List of the interns", "Incidents"):
        assert heading in text
    assert "Chiffres clés" not in text and "Répartitions" not in text


def test_the_cutoff_date_decides_which_surveys_are_due(built):
    year = built.cohort.year
    # On 15 November of the cohort's year only the 3-month surveys (31 October) are due.
    text = pdf_text(cohort_report_pdf(built.cohort, "en", date(year, 11, 15)))
    assert f"Data as of November 15, {year}" in text
    assert "Employed in Morocco at 3 months 50% 1 / 2" in text
    assert (
        "Employed in Morocco at 6 months — 0 / 0 employed in Morocco / surveys due "
        "No 6-month survey was due by the cut-off date."
    ) in text


def test_an_empty_cohort_renders_with_dashes_and_reasons():
    cohort = CohortFactory(year=past_year(5), quota=25)
    report = render_report(cohort, "en", date.today())
    text = " ".join(pdf_pages(report.pdf))
    assert "This cohort has no application yet" in text
    assert "Places filled 0% 0 / 25" in text  # a real zero
    assert "Completion — 0 / 0 completed / departed No intern has departed yet." in text
    assert "Return to Morocco — 0 / 0 returned / departed No intern has departed yet." in text
    assert "Average monthly stipend — 0 placed interns No intern is placed yet." in text
    assert "Applied 0 — — Eligible 0 — Applied (0) —" in text  # shares of nothing
    assert "No incident reported in this cohort." in text
    assert "No student yet." in text
    assert f"page {report.pages} / {report.pages}" in text


def test_a_report_among_several_cohorts_shows_their_trends(built):
    CohortFactory(year=past_year(4), quota=20)
    text = pdf_text(cohort_report_pdf(built.cohort, "en", date.today()))
    assert (
        f"{past_year(4)} in progress 20 0 0 0 0 0 0 0 "
        f"{built.cohort.year} in progress 10 8 7 5 4 3 2 2"
    ) in text


# --- parts ------------------------------------------------------------------------------------


def test_long_breakdowns_keep_the_largest_groups_and_add_up_the_others():
    records = []
    for i in range(TOP + 5):  # 20 institutions, institution i has i + 1 applicants
        records += [rec(institution=f"Institution {i:02d}") for _ in range(i + 1)]
    records += [rec(institution=None), rec(institution=None, placed=True)]
    with force_locale("en"):
        table = capped_breakdown(records, "institution")
    kinds = [row.kind for row in table.rows]
    assert kinds == ["value"] * TOP + ["others", "unknown", "total"]
    assert table.groups == TOP + 5 + 1 and table.others == 5
    # The largest first; the five smallest (1 to 5 applicants) are added up.
    assert table.rows[0].label == "Institution 19" and table.rows[0].counts["applied"] == 20
    assert table.rows[TOP].label == "5 other groups"
    assert table.rows[TOP].counts["applied"] == 1 + 2 + 3 + 4 + 5
    assert table.rows[TOP + 1].label == "Not given" and table.rows[TOP + 1].counts["placed"] == 1
    assert table.rows[-1].counts["applied"] == len(records)
    assert table.chart is None  # only the pole and the region are drawn


def test_a_short_breakdown_is_not_capped():
    records = [rec(region="oriental"), rec(region="souss-massa", placed=True)]
    with force_locale("en"):
        table = capped_breakdown(records, "region")
    assert [row.kind for row in table.rows] == ["value", "value", "total"]
    assert table.chart.startswith("data:image/svg+xml;base64,")


def test_the_incident_summary_matches_the_key_figures(built):
    records = load_records(built.cohort, date.today())
    with force_locale("en"):
        summary = incident_summary(built.cohort, records, Formats("en"))
    assert summary.severity_totals == rates(records, built.cohort.quota).incidents
    assert summary.total == 3 and summary.interns == 2
    assert summary.by_category == [
        ("Housing", {"low": 1, "medium": 0, "high": 1, "critical": 1}, 3)
    ]
    assert summary.by_month == [
        (f"May {built.cohort.year}", {"low": 1, "medium": 0, "high": 1, "critical": 1}, 3)
    ]


def test_page_margin_texts_cannot_break_out_of_the_css_string():
    text = str(css_string('Rapport "annuel" \\ </style><script>'))
    assert text.startswith('"') and text.endswith('"')
    inner = text[1:-1]
    assert '"' not in inner and "<" not in inner and ">" not in inner
    assert inner == "Rapport \\22 annuel\\22  \\5c  \\3c /style\\3e \\3c script\\3e "


# --- the route --------------------------------------------------------------------------------


def test_officials_download_the_report(client, built, auth):
    auth.as_role("official", locale="en")
    year = built.cohort.year
    response = client.get(f"/reports/{year}/report.pdf")
    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="mnc-cohort-report-{year}-en.pdf"'
    )
    assert "Annual cohort report" in pdf_text(response.data)
    assert client.get("/reports/1999/report.pdf").status_code == 404


@pytest.mark.parametrize("role", ["student", "host"])
def test_other_roles_cannot_download_it(client, built, auth, role):
    auth.as_role(role, locale="en")
    response = client.get(f"/reports/{built.cohort.year}/report.pdf")
    assert response.status_code in (403, 404)
    assert not response.data.startswith(b"%PDF")


def test_anonymous_visitors_are_sent_to_the_login_page(client, built):
    response = client.get(f"/reports/{built.cohort.year}/report.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the command ------------------------------------------------------------------------------


def test_the_command_writes_the_report(runner, built, tmp_path):
    year = built.cohort.year
    output = tmp_path / "report.pdf"
    result = runner.invoke(
        args=["cohort-report", str(year), "--output", str(output), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    data = output.read_bytes()
    pages = pdf_pages(data)
    assert f"{len(pages)} page(s)" in result.output
    assert re.search(r"in \d+\.\d s\.", result.output)
    assert "Key figures" in pages[1]
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left


def test_the_command_takes_a_cutoff_and_defaults_to_french(runner, built, tmp_path):
    year = built.cohort.year
    output = tmp_path / "rapport.pdf"
    result = runner.invoke(
        args=["cohort-report", str(year), "-o", str(output), "--cutoff", f"{year}-11-15"]
    )
    assert result.exit_code == 0, result.output
    assert f"data as of {year}-11-15" in result.output
    text = pdf_text(output.read_bytes())
    assert f"Données au 15 novembre {year}" in text
    assert "Chiffres clés" in text


def test_the_command_refuses_an_unknown_year(runner, built, tmp_path):
    output = tmp_path / "report.pdf"
    result = runner.invoke(args=["cohort-report", "1999", "--output", str(output)])
    assert result.exit_code != 0
    assert f"No cohort for the year 1999. Cohorts: {built.cohort.year}." in result.output
    assert not output.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--lang", "de"], "Invalid value for '--lang'"),
        (["--cutoff", "15/11/2030"], "Invalid value for '--cutoff'"),
        (["--output", "/nonexistent-folder/report.pdf"], "does not exist"),
    ],
)
def test_the_command_explains_bad_options(runner, built, extra, message):
    result = runner.invoke(args=["cohort-report", str(built.cohort.year), *extra])
    assert result.exit_code != 0
    assert message in result.output
