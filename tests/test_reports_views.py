"""The officials' dashboard, the lists behind its numbers, the exports and the report link,
through HTTP: what an official sees, that every number leads to exactly its students, that
the CSV and XLSX files read back with the right headers, values and types, that bad
parameters give a 400 page, that the dashboard's query count does not grow with the cohort,
and that an official cannot change anything anywhere in the application."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from html import unescape

import openpyxl
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from tests.factories import CohortFactory
from tests.test_reports_metrics import build_cohort, past_year

ARABIC = ("محمد", "العلوي")
ACCENTED = ("Éloïse", "Lefèvre, «Ça»")


@pytest.fixture
def built():
    return build_cohort(past_year(), names={"back1": ARABIC, "back2": ACCENTED})


@pytest.fixture
def official(auth):
    return auth.as_role("official", locale="en")


def _page(response) -> str:
    assert response.status_code == 200, response.data[:300]
    return response.get_data(as_text=True)


def _href(html: str, element_id: str) -> str:
    tag = re.search(rf'<a [^>]*id="{re.escape(element_id)}"[^>]*>', html)
    assert tag, f"no link #{element_id}"
    return unescape(re.search(r'href="([^"]+)"', tag.group(0)).group(1))


def _listed(client, url: str) -> set[int]:
    html = _page(client.get(url))
    return {int(i) for i in re.findall(r'data-application="(\d+)"', html)}


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no #{element_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --- the dashboard ------------------------------------------------------------------------------


def test_the_dashboard_shows_the_cohort_to_an_official(client, built, official):
    html = _page(client.get("/reports"))  # default: the latest cohort with placements
    year = built.cohort.year
    assert f"Programme dashboard — {built.cohort.title}" in html
    assert f"Figures as of {date.today().strftime('%B')}" in html
    assert _text(html, "funnel-applied") == "8"
    assert _text(html, "funnel-placed") == "4"
    assert _text(html, "funnel-agreement_signed") == "0"
    assert _text(html, "funnel-employed_morocco_12") == "1"
    assert 'data-value="quota_filled">40%' in html
    assert 'data-value="completion">66.7%' in html
    assert 'data-value="employed_morocco_6">50%' in html
    assert 'data-value="average_stipend">€700.00' in html
    assert 'data-value="tutor_satisfaction">5.00 / 5' in html
    assert "Response rate: 50% (1 answered of 2 due)." in html
    assert _text(html, "incidents-critical") == "1"
    assert _text(html, "incidents-medium") == "0"
    # Charts are images (SVG at a URL carrying the figures' version), with the same numbers in
    # tables beside them.
    for chart, name in (
        ("funnel-chart", "funnel"),
        ("chart-pole", "pole"),
        ("chart-region", "region"),
    ):
        src = re.search(rf'src="([^"]+)" id="{chart}"', html).group(1)
        assert re.fullmatch(rf"/reports/{year}/charts/{name}\.svg\?v=[0-9a-f]{{16}}", src)
        svg = client.get(src)
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert svg.get_data(as_text=True).lstrip().startswith("<svg")
        assert "immutable" in svg.headers["Cache-Control"]
        assert "no-store" not in svg.headers["Cache-Control"]
    # The only cohort is abroad: in progress, so no trend line is drawn (nothing final yet).
    assert 'id="in-progress"' in html and 'id="trend-apart"' in html
    assert 'id="trend-chart"' not in html
    for dimension in ("pole", "host_city", "company", "institution", "region", "gender"):
        assert f'id="breakdown-{dimension}"' in html
    assert "Casablanca-Settat" in html and "Mobile services" in html
    assert f'data-year="{year}"' in html
    assert f"/reports/{year}/report.pdf?lang=fr" in html
    assert f"/reports/{year}/report.pdf?lang=en" in html
    assert f"/reports/{year}/exports" in html
    # Read-only: no form that changes anything.
    assert 'method="post"' not in html.split('id="main"', 1)[1]


def test_a_coordinator_sees_the_dashboard_too(client, built, auth):
    auth.as_role("coordinator", locale="en")
    assert "Programme dashboard" in _page(client.get(f"/reports?year={built.cohort.year}"))


def test_an_empty_cohort_shows_dashes_with_their_reason(client, official):
    cohort = CohortFactory(is_current=True, state=CohortState.open)
    html = _page(client.get("/reports"))  # no placement anywhere: the current cohort
    assert cohort.title in html
    assert 'id="empty-cohort"' in html
    assert _text(html, "funnel-applied") == "0"
    assert 'data-value="completion">—' in html
    assert "No intern has departed yet." in html  # completion and return
    assert "No 6-month survey was due by the cut-off date." in html
    assert "No intern is placed yet." in html
    assert 'data-value="quota_filled">0%' in html


def test_no_cohort_at_all(client, official):
    assert 'id="no-cohort"' in _page(client.get("/reports"))


def test_the_year_switch(client, built, official):
    other = CohortFactory(year=built.cohort.year + 1, is_current=True, title="MNC suivante")
    html = _page(client.get("/reports"))
    assert built.cohort.title in html  # the one with placements, not the current one
    assert f'<option value="{other.year}">' in html
    html = _page(client.get(f"/reports?year={other.year}"))
    assert "MNC suivante" in html
    assert _text(html, "funnel-applied") == "0"
    assert f'<option value="{other.year}" selected>' in html
    # Both years in the trends, the older first.
    assert html.index(f'data-year="{built.cohort.year}"') < html.index(f'data-year="{other.year}"')
    assert client.get("/reports?year=1999").status_code == 404
    for bad in ("twenty", "²", "9" * 5000):
        response = client.get(f"/reports?year={bad}")
        assert response.status_code == 400
        assert "The year must be a number" in response.get_data(as_text=True)


# --- the students behind the numbers --------------------------------------------------------


def test_every_number_opens_exactly_its_students(client, built, official):
    html = _page(client.get(f"/reports?year={built.cohort.year}"))
    expected = {
        "funnel-applied": built.ids(
            "ineligible", "eligible", "shortlisted", "unplaced", "placed", "early", "back1", "back2"
        ),
        "funnel-selected": built.ids("unplaced", "placed", "early", "back1", "back2"),
        "funnel-placed": built.ids("placed", "early", "back1", "back2"),
        "funnel-departed": built.ids("early", "back1", "back2"),
        "funnel-returned": built.ids("back1", "back2"),
        "funnel-employed_morocco_3": built.ids("back1"),
        "funnel-employed_morocco_12": built.ids("back2"),
        "num-completion": built.ids("back1", "back2"),
        "den-completion": built.ids("early", "back1", "back2"),
        "den-return_rate": built.ids("early", "back1", "back2"),
        "den-employed_morocco_6": built.ids("back1", "back2"),
        "num-employed_morocco_6": built.ids("back2"),
        "incidents-critical": built.ids("back2"),
        "incidents-high": built.ids("back1"),
    }
    for element_id, ids in expected.items():
        assert _listed(client, _href(html, element_id)) == ids, element_id


def test_breakdown_cells_open_their_students(client, built, official):
    year = built.cohort.year
    html = _page(client.get(f"/reports?year={year}"))
    url = f"/reports/{year}/students?stage=placed&amp;dimension=region&amp;value=souss-massa"
    assert url in html
    # Selected students alternate male / souss-massa and female / casablanca-settat.
    assert _listed(client, unescape(url)) == built.ids("early", "back2")
    url = f"/reports/{year}/students?stage=applied&amp;dimension=pole&amp;value="
    assert url in html  # applicants without a placement: "Not placed"
    assert _listed(client, unescape(url)) == built.ids(
        "ineligible", "eligible", "shortlisted", "unplaced"
    )
    company = built.company.legal_name
    assert _listed(
        client, f"/reports/{year}/students?stage=returned&dimension=company&value={company}"
    ) == built.ids("back1", "back2")


def test_the_list_shows_names_but_no_contact_or_identity(client, built, official):
    back1 = built.by_role["back1"][0]
    back1.cin = "AB123456"
    back1.phone = "+212612345678"
    back1.passport_number = "XY9876543"
    db.session.commit()
    html = _page(client.get(f"/reports/{built.cohort.year}/students?stage=returned"))
    assert "محمد العلوي" in html
    assert "Éloïse Lefèvre, «Ça»" in html
    assert "Employed abroad" in html  # back1's latest answer
    assert built.company.legal_name in html
    for secret in ("AB123456", "612345678", "XY9876543", back1.student.email):
        assert secret not in html
    assert "/screening/" not in html  # officials do not open application files
    assert _text(html, "list-count") == "2 students"


def test_coordinators_can_open_the_file_from_the_list(client, built, auth):
    auth.as_role("coordinator", locale="en")
    html = _page(client.get(f"/reports/{built.cohort.year}/students?stage=returned"))
    assert f"/screening/{built.by_role['back1'][0].id}" in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("stage=nonsense", "This list of students does not exist."),
        ("stage=placed&dimension=shoe_size&value=42", "Breakdowns are by"),
        ("stage=placed&dimension=region", "Say which value"),
        ("stage=placed&value=oriental", "A value was given without"),
    ],
)
def test_bad_list_parameters_give_a_400_page(client, built, official, query, message):
    response = client.get(f"/reports/{built.cohort.year}/students?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_an_unknown_year_is_a_404(client, official):
    assert client.get("/reports/1999/students?stage=placed").status_code == 404
    assert client.get("/reports/1999/export?table=funnel&format=csv").status_code == 404
    assert client.get("/reports/1999/exports").status_code == 404
    assert client.get(f"/reports/{10**30}/students").status_code == 404
    assert client.get(f"/reports/{10**30}/report.pdf").status_code == 404


# --- exports ----------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.data[:300]
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def _xlsx(response):
    assert response.status_code == 200, response.data[:300]
    assert response.content_type.startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    return workbook.worksheets[0], workbook


def test_the_interns_csv(client, built, official):
    year = built.cohort.year
    response = client.get(f"/reports/{year}/export?table=interns&format=csv")
    assert f'filename="mnc-{year}-interns.csv"' in response.headers["Content-Disposition"]
    assert b"\r\n" in response.data  # RFC 4180 line ends
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    assert header == [
        "Name",
        "Sending institution",
        "Region of origin",
        "Gender",
        "Host company",
        "Host city",
        "MNC pole",
        "Start",
        "End",
        "Monthly stipend (€)",
        "Outcome",
        "Employed in Morocco at 3 months",
        "Employed in Morocco at 6 months",
        "Employed in Morocco at 12 months",
    ]
    assert len(body) == 4  # the placed students
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    arabic = by_name["محمد العلوي"]
    assert arabic["Start"] == f"{year}-03-02"
    assert arabic["End"] == f"{year}-07-31"
    assert arabic["Monthly stipend (€)"] == "700.00"
    assert arabic["Outcome"] == "Employed abroad"
    assert arabic["Employed in Morocco at 3 months"] == "Yes"
    assert arabic["Employed in Morocco at 6 months"] == "No"
    assert arabic["Employed in Morocco at 12 months"] == "No answer"
    assert arabic["MNC pole"] == "Mobile services"
    assert arabic["Region of origin"] == "Casablanca-Settat"
    assert arabic["Gender"] == "Female"
    accented = by_name["Éloïse Lefèvre, «Ça»"]  # a comma in the name: quoted, kept whole
    assert accented["Employed in Morocco at 3 months"] == "No"  # studying
    assert accented["Employed in Morocco at 6 months"] == "Yes"
    assert accented["Host city"] == "Paris"
    early = by_name[" ".join((built.by_role["early"][0].first_name, "Étudiant3"))]
    assert early["End"] == f"{year}-05-15"
    assert early["Outcome"] == "Ended early"
    assert early["Employed in Morocco at 6 months"] == "Not due yet"


def test_the_interns_xlsx(client, built, official):
    year = built.cohort.year
    response = client.get(f"/reports/{year}/export?table=interns&format=xlsx")
    assert f'filename="mnc-{year}-interns.xlsx"' in response.headers["Content-Disposition"]
    sheet, workbook = _xlsx(response)
    header = [c.value for c in sheet[1]]
    assert header[0] == "Name" and header[-1] == "Employed in Morocco at 12 months"
    rows = {r[0].value: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2)}
    assert set(rows) >= {"محمد العلوي", "Éloïse Lefèvre, «Ça»"}
    arabic = rows["محمد العلوي"]
    assert isinstance(arabic["Start"].value, datetime)  # a real date cell
    assert arabic["Start"].value.date() == date(year, 3, 2)
    assert arabic["End"].is_date
    stipend = arabic["Monthly stipend (€)"]
    assert stipend.value == 700 and stipend.data_type == "n"  # a number, not text
    assert "€" in stipend.number_format and "0.00" in stipend.number_format
    about = workbook["About"]
    assert [c.value for c in about["A"]][:2] == ["Cohort", "Table"]


def test_the_interns_export_with_chosen_columns(client, built, official):
    year = built.cohort.year
    url = (
        f"/reports/{year}/export?table=interns&format=csv&choose=1"
        "&columns=monthly_stipend&columns=name&columns=end"
    )
    rows = _csv(client.get(url))
    assert rows[0] == ["Name", "End", "Monthly stipend (€)"]  # the table's order
    assert all(len(row) == 3 for row in rows)
    sheet, _wb = _xlsx(client.get(url.replace("format=csv", "format=xlsx")))
    assert [c.value for c in sheet[1]] == ["Name", "End", "Monthly stipend (€)"]
    # The form: every column offered, checked by default.
    html = _page(client.get(f"/reports/{year}/exports"))
    assert html.count('name="columns"') == 14
    assert 'value="employed_morocco_12" id="column-employed_morocco_12" checked' in html


def test_unchecking_every_column_says_so(client, built, official):
    response = client.get(f"/reports/{built.cohort.year}/export?table=interns&format=csv&choose=1")
    assert response.status_code == 400
    assert "Choose at least one column." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query, message",
    [
        ("table=salaries&format=csv", "This table does not exist."),
        ("table=funnel&format=pdf", "Choose the CSV or the XLSX"),
        ("table=funnel", "Choose the CSV or the XLSX"),
        ("format=csv", "This table does not exist."),
        ("table=interns&format=xlsx&columns=cin", "Unknown column: cin."),
        ("table=students&format=csv&stage=nope", "This list of students does not exist."),
    ],
)
def test_bad_export_parameters_give_a_400_page(client, built, official, query, message):
    response = client.get(f"/reports/{built.cohort.year}/export?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_every_dashboard_table_exports_in_both_formats(client, built, official):
    year = built.cohort.year
    html = _page(client.get(f"/reports/{year}/exports"))
    keys = re.findall(r'id="export-([a-z_]+)-csv"', html)
    assert keys == [
        "funnel",
        "rates",
        "breakdown_pole",
        "breakdown_host_city",
        "breakdown_company",
        "breakdown_institution",
        "breakdown_region",
        "breakdown_gender",
        "trends",
    ]
    for key in keys:
        rows = _csv(client.get(f"/reports/{year}/export?table={key}&format=csv"))
        sheet, _wb = _xlsx(client.get(f"/reports/{year}/export?table={key}&format=xlsx"))
        assert [c.value for c in sheet[1]] == rows[0], key
        assert sheet.max_row == len(rows), key

    funnel = _csv(client.get(f"/reports/{year}/export?table=funnel&format=csv"))
    assert funnel[0] == [
        "Stage",
        "Students",
        "Share of",
        "Students in it",
        "Share (%)",
        "Share of applicants (%)",
    ]
    assert funnel[1] == ["Applied", "8", "", "", "", "100.00"]
    assert funnel[5] == ["Placed", "4", "Selected", "5", "80.00", "50.00"]
    sheet, _wb = _xlsx(client.get(f"/reports/{year}/export?table=funnel&format=xlsx"))
    assert sheet["B6"].value == 4 and isinstance(sheet["B6"].value, int)
    assert sheet["E6"].value == 80 and "%" in sheet["E6"].number_format

    rates = {
        row[0]: row for row in _csv(client.get(f"/reports/{year}/export?table=rates&format=csv"))
    }
    assert rates["Places filled"][1:5] == ["40.00", "%", "4", "10"]
    assert rates["Completion"][1:5] == ["66.67", "%", "2", "3"]
    assert rates["Average monthly stipend"][1:3] == ["700.00", "€"]
    assert rates["Incidents — Critical"][1] == "1"
    assert rates["Tutors' satisfaction"][1:3] == ["5.00", "/5"]
    sheet, _wb = _xlsx(client.get(f"/reports/{year}/export?table=rates&format=xlsx"))
    values = {r[0].value: r[1] for r in sheet.iter_rows(min_row=2)}
    assert values["Average monthly stipend"].value == 700
    assert "€" in values["Average monthly stipend"].number_format

    region = _csv(client.get(f"/reports/{year}/export?table=breakdown_region&format=csv"))
    assert region[0][:4] == ["Region of origin", "Applied", "Selected", "Placed"]
    assert region[1][:4] == ["Souss-Massa", "3", "3", "2"]

    trends = _csv(client.get(f"/reports/{year}/export?table=trends&format=csv"))
    assert trends[1][:4] == [str(year), "Yes", "10", "8"]  # in progress (abroad)


def test_the_list_behind_a_number_exports_too(client, built, official):
    year = built.cohort.year
    html = _page(
        client.get(f"/reports/{year}/students?stage=placed&dimension=region&value=souss-massa")
    )
    rows = _csv(client.get(_href(html, "list-csv")))
    assert len(rows) == 3  # header + the two students listed
    sheet, workbook = _xlsx(client.get(_href(html, "list-xlsx")))
    assert sheet.max_row == 3
    assert "Souss-Massa" in [c.value for c in workbook["About"]["B"]][2]


def test_spreadsheet_formulas_are_neutralised(client, built, official):
    application = built.by_role["back1"][0]
    application.first_name = '=HYPERLINK("http://evil")'
    db.session.commit()
    year = built.cohort.year
    rows = _csv(client.get(f"/reports/{year}/export?table=interns&format=csv&columns=name"))
    assert '\'=HYPERLINK("http://evil") العلوي' in [row[0] for row in rows]
    sheet, _wb = _xlsx(client.get(f"/reports/{year}/export?table=interns&format=xlsx"))
    cell = next(c for c in sheet["A"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"  # text, not a formula


# --- the cohort report ------------------------------------------------------------------------


def test_the_report_pdf_link(client, built, official):
    year = built.cohort.year
    response = client.get(f"/reports/{year}/report.pdf?lang=en")
    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f"mnc-cohort-report-{year}-en.pdf" in response.headers["Content-Disposition"]
    response = client.get(f"/reports/{year}/report.pdf?lang=de")
    assert response.status_code == 400


# --- bounded queries --------------------------------------------------------------------------


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args, **kwargs) -> None:
        self.count += 1

    def __enter__(self):
        event.listen(Engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(Engine, "before_cursor_execute", self)


def _statements(client, url: str) -> int:
    with StatementCounter() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_the_query_count_does_not_grow_with_the_cohort(client, official, no_kept_pages):
    small = build_cohort(past_year(3))  # 9 applications, 4 placed
    big = build_cohort(past_year(2), extra_selected=35)  # 44 applications, 39 placed
    from mnc_exchange.reports.snapshots import forget

    for url in (
        "/reports?year={}",
        "/reports/{}/students?stage=applied",
        "/reports/{}/export?table=interns&format=xlsx",
    ):
        forget()  # the figures computed (not read from report_snapshots) for both
        few = _statements(client, url.format(small.cohort.year))
        forget()
        many = _statements(client, url.format(big.cohort.year))
        assert few == many, url
    # Two cohorts on the page (the chosen one and the trends): a handful of queries each.
    forget()
    assert _statements(client, f"/reports?year={big.cohort.year}") <= 30
    # Once their figures are kept: a few queries, whatever the number of students.
    assert _statements(client, f"/reports?year={big.cohort.year}") <= 6


# --- officials change nothing -----------------------------------------------------------------

#: Non-GET routes an official may use: they act on the visitor's own session or account
#: (log in/out, language, own password) or are the public sign-up and password-reset forms
#: open to everybody. None of them touches the programme's data.
OWN_ACCOUNT_OR_PUBLIC = {
    "accounts.login",
    "accounts.logout",
    "accounts.logout_everywhere",
    "main.set_language",
    "accounts.change_password",
    "accounts.register",
    "accounts.register_host",
    "accounts.confirm_email",
    "accounts.resend_confirmation",
    "accounts.forgot_password",
    "accounts.reset_password",
    "verify.check",  # the public check of an uploaded PDF: nothing is stored
}


def _table_sizes() -> dict[str, int]:
    from sqlalchemy import func, select

    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_officials_cannot_change_anything(app, client):
    from tests.factories import PASSWORD
    from tests.test_access_matrix import _routes, _setup, _url

    users, values = _setup()
    response = client.post("/login", data={"email": users["official"].email, "password": PASSWORD})
    assert response.status_code == 302
    writes = [
        (rule, method)
        for rule, method in _routes(app)
        if method != "GET" and rule.endpoint not in OWN_ACCOUNT_OR_PUBLIC
    ]
    assert len(writes) > 30  # the whole application, not a few routes
    before = _table_sizes()
    refused = []
    for rule, method in writes:
        url = _url(app, rule, values)
        response = client.open(url, method=method, data={"reason": "x", "status": "closed"})
        if response.status_code not in (403, 404, 405):
            refused.append(f"{method} {url} ({rule.endpoint}): HTTP {response.status_code}")
    assert not refused, "Officials could use: " + "; ".join(refused)
    db.session.expire_all()
    after = _table_sizes()
    assert after == before


def test_a_chart_is_kept_only_at_its_version_and_unknown_charts_are_404(client, built, official):
    html = _page(client.get("/reports"))
    year = built.cohort.year
    src = re.search(r'src="([^"]+)" id="funnel-chart"', html).group(1)
    stale = client.get(f"/reports/{year}/charts/funnel.svg?v=0000000000000000")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "private, no-cache"
    assert stale.get_data() == client.get(src).get_data()
    policy = stale.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script" not in policy
    assert client.get(f"/reports/{year}/charts/nothing.svg").status_code == 404
    assert client.get("/reports/1999/charts/funnel.svg").status_code == 404
