"""Honest reports (issue 15 §4): a cohort whose outcomes are known, built with the factories and
the real services, and every figure of the dashboard, of the PDF report and of the CSV and XLSX
exports checked against them, beside a cohort still in progress.

The finished cohort (state "returned", three years back so that every survey is due), quota 6:

- a draft never sent; an ineligible applicant; an eligible one left out of the shortlist; a
  shortlisted one waitlisted; a selected one never placed;
- five placed interns, all departed, none with an agreement in the application (they signed on
  paper, before the platform): P1 and P2 completed and came back, P3 ended early and came back,
  P4 and P5 are still abroad (the case of "return 100 % (28/28)" while two were abroad);
- surveys: P1 employed in Morocco at 3, 6 and 12 months; P2 looking for work at 3 months,
  employed in Morocco at 6, no answer at 12; P3 employed abroad at 3 months, no answer at 6,
  employed in Morocco at 12.

The cohort in progress (abroad, a year back): two placed interns, one departed and not back.
Its 0 % of returns must never be drawn on the trend chart.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from flask_babel import force_locale

from mnc_exchange.accounts.models import Role
from mnc_exchange.applications.models import ApplicationStatus
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from mnc_exchange.followup import services as followup
from mnc_exchange.followup.models import Situation
from mnc_exchange.placements import services as placements
from mnc_exchange.placements.models import Placement
from mnc_exchange.reports import labels
from mnc_exchange.reports.data import load_records
from mnc_exchange.reports.metrics import funnel_rows, rates
from mnc_exchange.reports.report import cohort_report_pdf
from tests.factories import CohortFactory, CompanyFactory, OfferFactory, UserFactory, make_selected
from tests.test_reports_metrics import _answer, _application, _depart, _internship
from tests.test_reports_pdf import pdf_pages

YEAR = date.today().year - 3
CURRENT = date.today().year - 1
QUOTA = 6

#: The finished cohort's funnel, row by row (metrics.FUNNEL order), as built.
FUNNEL = {
    "applied": 9,
    "eligible": 8,
    "shortlisted": 7,
    "selected": 6,
    "placed": 5,
    "agreement_signed": 0,
    "agreement_on_paper": 5,
    "departed": 5,
    "completed": 2,
    "ended_early": 1,
    "ongoing": 2,
    "returned": 3,
    "employed_morocco_3": 1,
    "employed_morocco_6": 2,
    "employed_morocco_12": 2,
}
#: Each row's denominator: (the list, its count).
OF = {
    "applied": (None, None),
    "eligible": ("applied", 9),
    "shortlisted": ("eligible", 8),
    "selected": ("shortlisted", 7),
    "placed": ("selected", 6),
    "agreement_signed": ("placed", 5),
    "agreement_on_paper": ("placed", 5),
    "departed": ("placed", 5),
    "completed": ("departed", 5),
    "ended_early": ("departed", 5),
    "ongoing": ("departed", 5),
    "returned": ("departed", 5),
    "employed_morocco_3": ("survey_due_3", 3),
    "employed_morocco_6": ("survey_due_6", 3),
    "employed_morocco_12": ("survey_due_12", 3),
}
#: Key rates: (numerator, denominator).
RATES = {
    "quota_filled": (5, QUOTA),
    "completion": (2, 5),
    "return_rate": (3, 5),
    "employed_morocco_3": (1, 3),
    "employed_morocco_6": (2, 3),
    "employed_morocco_12": (2, 3),
    "response_3": (3, 3),
    "response_6": (2, 3),
    "response_12": (2, 3),
}
#: The gender breakdown: applied, selected, placed, completed, returned, then per wave
#: (employed in Morocco, surveys due, answered).
GENDER = {
    "female": ((5, 4, 3, 1, 2), ((1, 2, 2), (1, 2, 1), (2, 2, 2))),
    "male": ((4, 2, 2, 1, 1), ((0, 1, 1), (1, 1, 1), (0, 1, 0))),
    None: ((0, 0, 0, 0, 0), ((0, 0, 0), (0, 0, 0), (0, 0, 0))),
}
#: The interns' answers at 3, 6 and 12 months, as the interns' export writes them.
ANSWERS = {
    "P1": ("Yes", "Yes", "Yes"),
    "P2": ("No", "Yes", "No answer"),
    "P3": ("No", "No answer", "Yes"),
    "P4": ("Not due yet",) * 3,
    "P5": ("Not due yet",) * 3,
}


def points(numerator: int, denominator: int) -> Decimal:
    """A share as percentage points, two decimals (the exports)."""
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.01"), ROUND_HALF_UP)


def shown(numerator: int, denominator: int | None, lang: str = "en") -> str:
    """A share as the page and the PDF write it: one decimal at most, "—" without denominator."""
    if not denominator:
        return "—"
    value = (Decimal(100) * numerator / denominator).quantize(Decimal("0.1"), ROUND_HALF_UP)
    text = f"{value.normalize():f}"
    return f"{text}%" if lang == "en" else f"{text.replace('.', ',')} %"


class Known:
    def __init__(self):
        self.ids: dict[str, int] = {}
        self.names: dict[str, str] = {}


def _place(cohort, company, host, application, city="Lyon", pole="software"):
    offer = OfferFactory(cohort=cohort, company=company, pole=pole, city=city)
    placement = Placement(cohort_id=cohort.id, application_id=application.id, offer_id=offer.id)
    db.session.add(placement)
    db.session.flush()
    placements.confirm(placement, host)
    db.session.commit()
    return _internship(placement)


@pytest.fixture
def known() -> Known:
    result = Known()
    coordinator = UserFactory(role=Role.coordinator)
    company = CompanyFactory(legal_name="Honnête Conseil SAS", city="Lyon")
    host = UserFactory(role=Role.host, company_id=company.id)

    cohort = CohortFactory(year=YEAR, quota=QUOTA, state=CohortState.returned)
    result.cohort = cohort
    _application(cohort, ApplicationStatus.draft, submitted=False)
    _application(cohort, ApplicationStatus.ineligible, gender="male")
    _application(cohort, ApplicationStatus.rejected, gender="female", review_score=Decimal(50))
    _application(
        cohort,
        ApplicationStatus.waitlisted,
        gender="male",
        final_rank=7,
        final_score=Decimal(60),
    )
    selected = make_selected(cohort, 6)
    roles = ["unplaced", "P1", "P2", "P3", "P4", "P5"]
    genders = ["female", "female", "male", "female", "male", "female"]
    for role, gender, application in zip(roles, genders, selected, strict=True):
        application.gender = gender
        result.ids[role] = application.id
        result.names[role] = f"{application.first_name} {application.last_name}"
    db.session.commit()
    interns = {
        role: _place(cohort, company, host, application)
        for role, application in zip(roles, selected, strict=True)
        if role != "unplaced"
    }
    for internship in interns.values():
        _depart(internship, coordinator)
    db.session.commit()
    followup.end_early(interns["P3"], date(YEAR, 5, 15), "Raisons familiales", True, coordinator)
    for role in ("P1", "P2", "P3"):
        followup.confirm_return(interns[role], date(YEAR, 8, 5), coordinator)
    db.session.commit()
    for role, wave, situation in (
        ("P1", 3, Situation.employed_morocco),
        ("P1", 6, Situation.employed_morocco),
        ("P1", 12, Situation.employed_morocco),
        ("P2", 3, Situation.seeking),
        ("P2", 6, Situation.employed_morocco),
        ("P3", 3, Situation.employed_abroad),
        ("P3", 12, Situation.employed_morocco),
    ):
        _answer(interns[role], wave, situation, coordinator)
    db.session.commit()

    # The cohort in progress: two placed, one departed and not back (0 % returned so far).
    current = CohortFactory(year=CURRENT, quota=4, state=CohortState.abroad)
    result.current = current
    _application(current, ApplicationStatus.ineligible)
    first, second = make_selected(current, 2, start_rank=20)
    _place(current, company, host, first)
    _depart(_place(current, company, host, second), coordinator)
    db.session.commit()
    return result


@pytest.fixture
def official(auth):
    return auth.as_role("official", locale="en")


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    return response.get_data(as_text=True)


def _cells(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<td[^>]*{attribute}="{re.escape(value)}"[^>]*>(.*?)</td>', html, re.S)
    assert match, f"no cell {attribute}={value}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _row(html: str, value: str) -> list[str]:
    match = re.search(rf'<tr data-value="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {value}"
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", match.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def _percentages(text: str) -> list[Decimal]:
    return [Decimal(v.replace(",", ".")) for v in re.findall(r"(\d+(?:[.,]\d+)?)\s?%", text)]


def _csv(response, delimiter=",") -> list[list[str]]:
    assert response.status_code == 200, response.data[:300]
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=delimiter))


def _xlsx(response) -> list[tuple]:
    assert response.status_code == 200, response.data[:300]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


# --- the figures --------------------------------------------------------------------------------


def test_the_figures_are_the_known_outcomes_and_no_share_exceeds_100(known):
    records = load_records(known.cohort)
    rows = funnel_rows(records)
    assert {row.key: row.count for row in rows} == FUNNEL
    assert {row.key: (row.denominator_key, row.denominator) for row in rows} == OF
    for row in rows:
        assert row.share is None or 0 <= row.share <= 1, row.key
        if row.denominator_key:  # a subset of its denominator
            assert row.count <= row.denominator, row.key
    r = rates(records, QUOTA)
    for key, (numerator, denominator) in RATES.items():
        if key.startswith("employed_morocco_"):
            value = r.employed_morocco[int(key.rsplit("_", 1)[1])]
        elif key.startswith("response_"):
            value = r.response[int(key.rsplit("_", 1)[1])]
        else:
            value = getattr(r, key)
        assert value == (Decimal(numerator) / denominator).quantize(
            Decimal("0.0001"), ROUND_HALF_UP
        ), key
        assert value <= 1, key
    assert r.agreements_all_on_paper and r.agreements_on_paper == 5


# --- the dashboard ------------------------------------------------------------------------------


def test_the_dashboard_shows_every_known_figure(client, known, official):
    html = _page(client, f"/reports?year={YEAR}")
    for key, count in FUNNEL.items():
        text = _cells(html, "data-stage", key)
        if key == "agreement_signed":
            assert text == "signed on paper, not recorded here"
        else:
            assert text == str(count), key
        _of, denominator = OF[key]
        share = "—" if key == "agreement_signed" else shown(count, denominator)
        assert _cells(html, "data-share", key) == share, key
    for key, (numerator, denominator) in RATES.items():
        if key.startswith("response_"):
            assert (
                f"Response rate: {shown(numerator, denominator)} "
                f"({numerator} answered of {denominator} due)."
            ) in html, key
        else:
            assert f'data-value="{key}">{shown(numerator, denominator)}<' in html, key
    assert 'data-value="agreement_signed">signed on paper, not recorded here' in html
    assert "5 interns departed with an agreement signed on paper, not recorded here." in html
    assert all(value <= 100 for value in _percentages(re.sub(r"<[^>]+>", " ", html)))

    # The gender breakdown: the three waves, each with its response rate.
    for value, (funnel, waves) in GENDER.items():
        expected = [labels_en_gender(value)]
        expected += [str(n) for n in funnel]
        for employed, due, answered in waves:
            expected += [str(employed), shown(answered, due)] if due else ["—", "—"]
        assert _row(html.split('id="breakdown-gender"', 1)[1], value or "") == expected, value

    # The trends: the cohort in progress is marked, and never drawn.
    assert f'data-in-progress="{CURRENT}"' in html
    assert f'data-in-progress="{YEAR}"' not in html
    chart = re.search(r'src="([^"]+)" id="trend-chart"', html)
    svg = client.get(chart.group(1)).get_data(as_text=True)
    assert f">{YEAR}<" in svg and f">{CURRENT}<" not in svg
    assert f"The cohort {CURRENT} is in progress" in html


def test_the_dashboard_of_the_cohort_in_progress_says_so(client, known, official):
    html = _page(client, f"/reports?year={CURRENT}")
    assert 'id="in-progress"' in html
    assert 'data-value="return_rate">0%' in html  # 0 of 1 departed: a real zero, marked
    assert _cells(html, "data-stage", "agreement_signed") == "0"  # placed, not departed


# --- the PDF ------------------------------------------------------------------------------------


def test_the_pdf_holds_the_same_figures(known):
    text = " ".join(pdf_pages(cohort_report_pdf(known.cohort, "en", date.today())))
    for key, count in FUNNEL.items():
        of, denominator = OF[key]
        if key == "agreement_signed":  # in words, with no share: nothing is recorded here
            expected = f"{labels_en(key)} signed on paper, not recorded here —"
        else:
            expected = f"{labels_en(key)} {count} {shown(count, denominator)}"
        if of:
            expected += f" {labels_en(of)} ({denominator})"
        expected += f" {shown(count, FUNNEL['applied'])}"
        # (pypdf may glue the words of two cells: "here—")
        assert re.search(re.escape(expected).replace(r"\ ", r"\s?"), text), expected
    for key, (numerator, denominator) in RATES.items():
        if key.startswith("response_"):
            assert (
                f"Response rate: {shown(numerator, denominator)} "
                f"({numerator} answered of {denominator} due)."
            ) in text
            continue
        with force_locale("en"):
            label = str(labels.RATE_LABELS[key])
        assert f"{label} {shown(numerator, denominator)} {numerator} / {denominator}" in text, key
    assert "Agreements signed in the application signed on paper, not recorded here 0 / 5" in text
    for value, (funnel, waves) in GENDER.items():
        expected = [labels_en_gender(value)] + [str(n) for n in funnel]
        for employed, due, answered in waves:
            expected += [str(employed), shown(answered, due)] if due else ["—", "—"]
        assert " ".join(expected) in text, expected
    # Trends: the finished cohort's counts; the cohort in progress is marked and not drawn.
    assert f"{YEAR} 6 9 8 6 5 5 2 3" in text  # quota, applied … returned
    assert f"{CURRENT} in progress 4 3 2 2 2 1 0 0" in text
    assert f"The cohort {CURRENT} is in progress: it is not drawn" in text
    assert all(value <= 100 for value in _percentages(text))


def test_the_french_pdf_writes_the_paper_agreements_and_decimal_commas(known):
    text = " ".join(pdf_pages(cohort_report_pdf(known.cohort, "fr", date.today())))
    assert "signé sur papier, non enregistré ici" in text
    assert f"Retour au Maroc {shown(3, 5, 'fr')} 3 / 5" in text
    assert f"En emploi au Maroc à 6 mois {shown(2, 3, 'fr')} 2 / 3" in text
    assert all(value <= 100 for value in _percentages(text))


def labels_en(key: str) -> str:
    with force_locale("en"):
        return labels.stage_label(key)


def labels_en_gender(value: str | None) -> str:
    with force_locale("en"):
        return labels.value_label("gender", value)


# --- the exports --------------------------------------------------------------------------------


def test_the_exports_hold_the_same_figures(client, known, official):
    base = f"/reports/{YEAR}/export"
    funnel = _csv(client.get(f"{base}?table=funnel&format=csv"))
    xlsx = _xlsx(client.get(f"{base}?table=funnel&format=xlsx"))
    assert len(funnel) == len(xlsx) == len(FUNNEL) + 1
    for (key, count), row, cells in zip(FUNNEL.items(), funnel[1:], xlsx[1:], strict=True):
        of, denominator = OF[key]
        assert row == [
            labels_en(key),
            str(count),
            labels_en(of) if of else "",
            str(denominator) if of else "",
            str(points(count, denominator)) if of else "",
            str(points(count, 9)),
        ], key
        assert cells[1] == count and cells[3] == denominator, key
        assert cells[4] == (float(points(count, denominator)) if of else None), key

    rates_csv = {row[0]: row for row in _csv(client.get(f"{base}?table=rates&format=csv"))}
    for key, (numerator, denominator) in RATES.items():
        with force_locale("en"):
            label = str(labels.RATE_LABELS[key])
        assert rates_csv[label][1:5] == [
            str(points(numerator, denominator)),
            "%",
            str(numerator),
            str(denominator),
        ], key
    paper = rates_csv["Agreements signed in the application"]
    assert paper[1] == "" and paper[3:5] == ["0", "5"]
    assert "signed on paper, not recorded here" in paper[6]

    gender = _csv(client.get(f"{base}?table=breakdown_gender&format=csv"))
    assert gender[0][6:10] == [
        "Employed in Morocco at 3 months",
        "3-month survey due",
        "3-month survey answered",
        "Response rate — At 3 months (%)",
    ]
    for row in gender[1:]:
        value = {"Female": "female", "Male": "male"}.get(row[0])
        funnel_counts, waves = GENDER[value]
        expected = [str(n) for n in funnel_counts]
        for employed, due, answered in waves:
            expected += [str(employed), str(due), str(answered)]
            expected.append(str(points(answered, due)) if due else "")
        assert row[1:] == expected, row[0]

    interns = _csv(client.get(f"{base}?table=interns&format=csv"))
    header = interns[0]
    columns = [header.index(f"Employed in Morocco at {w} months") for w in (3, 6, 12)]
    by_name = {row[0]: row for row in interns[1:]}
    assert len(by_name) == 5
    for role, answers in ANSWERS.items():
        assert tuple(by_name[known.names[role]][i] for i in columns) == answers, role

    trends = _csv(client.get(f"{base}?table=trends&format=csv"))
    keys = trends[0]
    by_year = {row[0]: dict(zip(keys, row, strict=True)) for row in trends[1:]}
    assert by_year[str(YEAR)]["Cohort in progress"] == "No"
    assert by_year[str(CURRENT)]["Cohort in progress"] == "Yes"
    assert by_year[str(YEAR)]["Return to Morocco (%)"] == str(points(3, 5))
    assert by_year[str(YEAR)]["Agreements signed in the application (%)"] == ""
    # No share above 100 %: every percentage column of every table.
    shares = [row[4] for row in funnel[1:]] + [row[5] for row in funnel[1:]]
    shares += [row[1] for row in rates_csv.values() if row[2] == "%"]
    for table in (gender, trends):
        percent_columns = [i for i, name in enumerate(table[0]) if name.endswith("(%)")]
        shares += [row[i] for row in table[1:] for i in percent_columns]
    assert shares and all(Decimal(cell) <= 100 for cell in shares if cell)


def test_csv_for_a_french_spreadsheet(client, known, auth):
    auth.as_role("official", locale="fr")
    client.post("/language", data={"lang": "fr", "next": "/"})
    response = client.get(f"/reports/{YEAR}/export?table=funnel&format=csv")
    rows = _csv(response, delimiter=";")  # the French default: semicolons, decimal commas
    with force_locale("fr"):
        eligible, applied = labels.stage_label("eligible"), labels.stage_label("applied")
    assert rows[2] == [eligible, "8", applied, "9", "88,89", "88,89"]
    assert b";" in response.data.split(b"\r\n")[0]
    # The other choice: commas and decimal points.
    rows = _csv(client.get(f"/reports/{YEAR}/export?table=funnel&format=csv&separator=comma"))
    assert rows[2][4:] == ["88.89", "88.89"]
    html = _page(client, f"/reports/{YEAR}/exports")
    assert 'value="semicolon" id="separator-semicolon" checked' in html
    response = client.get(f"/reports/{YEAR}/export?table=funnel&format=csv&separator=tab")
    assert response.status_code == 400


def test_csv_for_an_english_spreadsheet(client, known, official):
    response = client.get(f"/reports/{YEAR}/export?table=funnel&format=csv")
    assert _csv(response)[2][4:] == ["88.89", "88.89"]
    html = _page(client, f"/reports/{YEAR}/exports")
    assert 'value="comma" id="separator-comma" checked' in html
