"""Layout and accessibility of the pages' markup (issue 14, §3 and §6), without a browser: the
grouped menu and the user's menu, tables that scroll in their own area, unique ids, languages
named in their own language. The browser checks (widths, axe-core, English strings) are in
``tests/browser/test_every_page.py``."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mnc_exchange.accounts.models import Role
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from mnc_exchange.followup import services as followup_services
from mnc_exchange.followup.models import IncidentStatus
from tests.factories import CohortFactory, CompanyFactory
from tests.test_followup_staff import _incident, make_internship

ROOT = Path(__file__).resolve().parent.parent
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Node]:
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes())
            and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, *args, **kwargs) -> Node:
        found = self.find_all(*args, **kwargs)
        assert found, (args, kwargs)
        return found[0]

    def get_text(self) -> str:
        return " ".join(" ".join(t for n in self.walk() for t in n.text).split())


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].text.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    return builder.root


def page(client, url: str) -> Node:
    response = client.get(url)
    assert response.status_code == 200, url
    return parse(response.get_data(as_text=True))


# --- the menu ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_the_menu_has_few_top_entries_and_a_user_menu(client, auth, role):
    """Few entries on the bar (the rest in dropdowns); the user's menu holds the account
    ("Mon compte" → /account/password), the data page, both languages and logging out."""
    extra = {"company_id": CompanyFactory().id} if role == "host" else {}
    user = auth.as_role(role, full_name="Zineb Lahlou-Benjelloun", **extra)
    nav = page(client, "/dashboard").find("nav", cls="navbar")

    main_list = nav.find("ul", cls="me-auto")
    top = [li for li in main_list.children if li.tag == "li"]
    assert 2 <= len(top) <= 7, [li.get_text() for li in top]

    user_menu = nav.find("a", id="nav-user")
    assert user_menu.get_text() == user.full_name
    assert user_menu.attrs["data-bs-toggle"] == "dropdown"
    dropdown = next(n for n in nav.find_all("li", cls="dropdown") if user_menu in n.children)
    account = dropdown.find("a", id="nav-account")
    assert (account.attrs["href"], account.get_text()) == ("/account/password", "Mon compte")
    assert dropdown.find("a", id="nav-my-data").attrs["href"] == "/account/data"
    languages = dropdown.find("form", id="language-form")
    buttons = languages.find_all("button", name="lang")
    assert [(b.attrs["value"], b.attrs["lang"], b.get_text()) for b in buttons] == [
        ("fr", "fr", "Français"),
        ("en", "en", "English"),
    ]
    assert buttons[0].attrs.get("aria-current") == "true"  # the current language
    assert dropdown.find("button", id="logout").get_text() == "Se déconnecter"
    # No select squeezed into the bar any more ("Fra" or nothing).
    assert not nav.find_all("select")


def test_the_coordinator_and_admin_entries_are_grouped(client, auth):
    auth.as_role("admin")
    nav = page(client, "/dashboard").find("nav", cls="navbar")
    programme = next(
        n for n in nav.find_all("li", cls="dropdown") if n.find_all(id="nav-programme")
    )
    for entry in ("nav-pending-hosts", "nav-companies", "nav-matching", "nav-followup"):
        assert programme.find_all("a", id=entry), entry
    admin = next(n for n in nav.find_all("li", cls="dropdown") if n.find_all(id="nav-admin"))
    for entry in ("nav-users", "nav-institutions", "nav-audit", "nav-outbox"):
        assert admin.find_all("a", id=entry), entry


def test_an_anonymous_visitor_gets_the_other_language_in_one_click(client):
    nav = page(client, "/login").find("nav", cls="navbar")
    (button,) = nav.find("form", id="language-form").find_all("button", name="lang")
    assert (button.attrs["value"], button.attrs["lang"], button.get_text()) == (
        "en",
        "en",
        "English",
    )


def test_the_current_page_is_marked_in_the_menu(client, auth):
    auth.as_role("coordinator")
    nav = page(client, "/cohorts/").find("nav", cls="navbar")
    (current,) = [n for n in nav.find_all("a") if n.attrs.get("aria-current") == "page"]
    assert current.attrs["href"] == "/cohorts/"


# --- tables, ids, languages -------------------------------------------------------------------


def _tables_without_wrapper() -> list[str]:
    missing = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if path.parts[-2] in ("pdf", "emails"):
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        for number, line in enumerate(lines):
            if "<table" not in line:
                continue
            before = [ln for ln in lines[:number] if ln.strip()][-1:] or [""]
            if "table-responsive" not in before[0] + line.split("<table")[0]:
                missing.append(f"{path.relative_to(ROOT)}:{number + 1}")
    return missing


def test_every_table_scrolls_inside_its_own_area():
    """A wide table scrolls inside a ``.table-responsive`` wrapper instead of widening the
    page on a phone (the PDFs and e-mails excepted)."""
    assert not _tables_without_wrapper()


def test_a_closed_incident_page_uses_each_id_once(client, auth):
    """The resolution shown in the facts and the resolution field of the form had the same
    id: the field's label pointed at both."""
    coordinator = auth.as_role("coordinator")
    cohort = CohortFactory(state=CohortState.matching, is_current=True, quota=30)
    internship = make_internship(cohort)
    incident = _incident(internship, internship.placement.application.student)
    followup_services.set_incident_status(
        incident, IncidentStatus.closed, coordinator, resolution="Relogé par l'école."
    )
    db.session.commit()

    html = client.get(f"/followup/incidents/{incident.id}").get_data(as_text=True)
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    repeated = {i for i, n in ids.items() if n > 1} - {"csrf_token", "submit"}
    assert not repeated
    root = parse(html)
    assert root.find("dd", id="incident-resolution").get_text() == "Relogé par l'école."
    assert root.find("textarea", id="resolution")


def test_languages_are_named_in_their_own_language(client, auth):
    """The admin's "new account" form lists "English" on a French page: marked lang="en"."""
    auth.as_role("admin")
    select = page(client, "/admin/users/new").find("select", id="locale")
    options = [(o.attrs["value"], o.attrs.get("lang")) for o in select.find_all("option")]
    assert options == [("fr", "fr"), ("en", "en")]
