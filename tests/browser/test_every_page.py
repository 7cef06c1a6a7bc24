"""Every page of every role, on a phone (390 px) and a laptop (1280 px), with the demo data.

For each role (a visitor not logged in, a student before applying, a student with an application,
an alumnus of the previous cohort, the coordinator, a host contact, the official, the admin) the
test logs in and visits every page reachable from the menu: the menu's pages, then the pages
they link to, and the other cohorts of a page's cohort selector, one page per route (the first
link found), until no new route appears. On each page:

- the page is never wider than the window (``scrollWidth <= innerWidth``): wide tables scroll
  inside their own area; at 1280 px the menu is one row of one-line entries;
- axe-core finds nothing serious or critical (WCAG 2.1 AA: contrast, labels, names…), and
  no id that a label, an ARIA attribute or a link points at is used twice;
- no English string shows on the French page: every text node (and every label-like attribute)
  is compared with the English msgids of the application (extracted from the code and the
  templates, as ``pybabel extract`` would) whose French differs. Text in an element marked
  ``translate="no"`` (people's and companies' names, codes) or with another ``lang`` is data.

Every problem of a role and width is collected, then the test fails listing them all.

The data: ``load_demo_data(history=False)`` plus the previous cohort's agreements and follow-up
(``demo_history`` without the archived years), loaded once for the module and wiped at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Page
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Axe = Page = None

from mnc_exchange.demo import DEMO_PASSWORD, demo_logins, load_demo_without_archives
from mnc_exchange.extensions import db, limiter
from tests.browser.helpers import log_in, no_motion
from tests.conftest import _wipe

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "mnc_exchange/translations/fr/LC_MESSAGES/messages.po"

WIDTHS = {"390": (390, 844), "1280": (1280, 800)}
ROLES = (
    "visitor",
    "student-new",
    "student-applicant",
    "alumnus",
    "coordinator",
    "host",
    "official",
    "admin",
)
#: Routes that send a file (PDF, CSV, spreadsheet, archive, scan) or are not pages.
NOT_PAGES = frozenset(
    {
        "static",
        "bootstrap.static",
        "main.ping",
        "main.healthz",
        "privacy.download",
        "agreements.cohort_zip",
        "agreements.download",
        "agreements.scan",
        "documents.download",
        "reports.export",
        "reports.pdf",
        "screening.export_csv",
        "selection.minutes_pdf",
        "selection.ranking_csv",
        "selection.ranking_xlsx",
    }
)
#: Roles whose crawl, past their menu's pages, only follows these routes: the admin's other
#: pages are the coordinator's, already visited (the run stays short).
ONLY_OWN_PAGES = {"admin": ("admin.", "reference.")}
#: Serious enough to fail: axe's two highest impacts.
FAILING_IMPACTS = ("serious", "critical")


# --- the data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accounts(app, data_app) -> Iterator[dict[str, str]]:
    """Load the demo data once for the module; the e-mail of each role's account."""
    with data_app.app_context():
        # The previous cohort's agreements and follow-up, without the five archived years.
        load_demo_without_archives()
        db.session.commit()
        logins = demo_logins()
        result = {
            "visitor": "",
            "student-new": logins["student"],
            "student-applicant": logins["applicant"],
            "alumnus": logins["alumnus"],
            "coordinator": logins["coordinator"],
            "host": logins["host"],
            "official": logins["official"],
            "admin": logins["admin"],
        }
        db.session.commit()
        db.session.remove()
    yield result
    _wipe(app)
    limiter.reset()


@pytest.fixture(autouse=True)
def _app_context(accounts, data_app):
    """Replaces the conftest's: the tests only read, so the data stay for the whole module."""
    with data_app.app_context():
        yield
        db.session.remove()
    limiter.reset()


# --- English strings -------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.split())


PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|%[sdif]")


@dataclass
class EnglishStrings:
    """The English msgids whose French differs, as exact strings and as patterns (those with
    placeholders)."""

    exact: set[str]
    patterns: list[re.Pattern]
    french: set[str]
    #: the French messages with placeholders, as patterns: a text that renders one of them is
    #: French even if a short English pattern ("Document %(decision)s") also matches it
    french_patterns: list[re.Pattern] = field(default_factory=list)

    def find(self, texts: list[str]) -> list[str]:
        found = []
        for raw in texts:
            text = _normal(raw)
            if text in self.french:
                continue
            candidates = {text, text.rstrip(" :*…").strip()}
            if candidates & self.exact:
                found.append(text)
                continue
            if len(text) > 4 and any(p.fullmatch(text) for p in self.patterns):
                if any(p.fullmatch(text) for p in self.french_patterns):
                    continue
                found.append(text)
        return found


def _english_strings() -> EnglishStrings:
    catalog = read_po(CATALOG.open("rb"), locale="fr")
    translations: dict[str, list[str]] = {}
    french: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        strings = [_normal(s) for s in strings if s]
        french.update(strings)
        for msgid in ids:
            translations[_normal(msgid)] = strings
    # Every msgid of the code and templates, in or out of the catalog (a string missing from
    # the catalog shows in English).
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    msgids = set(translations)
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgids.update(_normal(m) for m in (message if isinstance(message, tuple) else (message,)))
    french_patterns = [_pattern(m) for m in french if PLACEHOLDER.search(m)]
    exact, patterns = set(), []
    for msgid in msgids:
        if not msgid or msgid in french or msgid in translations.get(msgid, ()):
            continue  # the same words in French (or French text that is also a msgid)
        literal = PLACEHOLDER.sub(" ", msgid).replace("%%", "%")
        if len(re.findall(r"[A-Za-z]", literal)) < 3:
            continue  # nothing but placeholders and punctuation
        if PLACEHOLDER.search(msgid):
            patterns.append(_pattern(msgid))
        else:
            exact.add(msgid.replace("%%", "%"))
    return EnglishStrings(exact, patterns, french, french_patterns)


def _pattern(message: str) -> re.Pattern:
    parts = PLACEHOLDER.split(message)
    body = r".+?".join(re.escape(re.sub(r"\s+", " ", p.replace("%%", "%"))) for p in parts)
    return re.compile(body.replace(r"\ ", r"\s+"))


@pytest.fixture(scope="module")
def english_strings() -> EnglishStrings:
    return _english_strings()


# --- what is looked at on each page ------------------------------------------------------------

TEXTS_JS = """() => {
  const out = [];
  const other = (el) => {
    const marked = el.closest('[lang]');
    return el.closest('script,style,noscript,template,[translate="no"]')
      || (marked && marked !== document.documentElement && !marked.lang.startsWith('fr'));
  };
  out.push(document.title);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue.trim();
    if (text && /[A-Za-z]/.test(text) && !other(node.parentElement)) out.push(text);
  }
  const attributes = ['placeholder', 'title', 'aria-label', 'alt', 'aria-description'];
  for (const el of document.body.querySelectorAll('*')) {
    if (other(el)) continue;
    for (const name of attributes) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push(value.trim());
    }
    if (el.matches('input[type=submit],input[type=button],input[type=reset]') && el.value)
      out.push(el.value);
  }
  return out;
}"""

WIDTH_JS = """() => {
  const width = window.innerWidth;
  const root = document.documentElement.scrollWidth;
  const culprits = [];
  if (root > width) {
    const scrolls = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const x = getComputedStyle(p).overflowX;
        if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
      }
      return false;
    };
    for (const el of document.body.querySelectorAll('*')) {
      const right = el.getBoundingClientRect().right + window.scrollX;
      const parent = el.parentElement.getBoundingClientRect().right + window.scrollX;
      // An absolutely positioned element escapes a scrolling box that is not positioned.
      const loose = ['absolute', 'fixed'].includes(getComputedStyle(el).position);
      if (right > width + 1 && (loose || (parent <= width + 1 && !scrolls(el)))) {
        const id = el.id ? '#' + el.id : '';
        const cls = el.classList.length ? '.' + [...el.classList].slice(0, 3).join('.') : '';
        culprits.push(`${el.tagName.toLowerCase()}${id}${cls} (${Math.round(right)} px)`);
      }
    }
  }
  return {width, root, culprits: culprits.slice(0, 5)};
}"""

#: On a wide window the menu is one row of one-line entries: the entries on a second row, or
#: whose label wraps.
MENU_JS = """() => {
  const items = [...document.querySelectorAll('#nav > ul > li')];
  const nav = document.querySelector('#nav');
  if (!items.length || getComputedStyle(nav).display === 'none') return [];
  const top = Math.min(...items.map((li) => li.getBoundingClientRect().top));
  const out = [];
  for (const li of items) {
    const link = li.querySelector('.nav-link, button, a');
    const line = parseFloat(getComputedStyle(link).lineHeight) || 24;
    const text = link.innerText.trim();
    if (li.getBoundingClientRect().top > top + 4) out.push(`${text} (second row)`);
    else if (link.getBoundingClientRect().height > 1.6 * line + 16) out.push(`${text} (wraps)`);
  }
  return out;
}"""

#: Ids used more than once that something points at: a label's ``for``, an ARIA reference, a
#: link to ``#id`` (WCAG 1.3.1 / 4.1.2: the reference would pick the first). The repeated
#: ``csrf_token`` and ``submit`` ids of WTForms' hidden fields and buttons point nowhere.
DUPLICATE_IDS_JS = """() => {
  const counts = {};
  for (const el of document.querySelectorAll('[id]')) counts[el.id] = (counts[el.id] || 0) + 1;
  const used = new Set();
  for (const label of document.querySelectorAll('label[for]')) used.add(label.htmlFor);
  const refs = ['aria-labelledby', 'aria-describedby', 'aria-controls', 'aria-owns',
                'aria-activedescendant', 'aria-details', 'aria-errormessage', 'headers'];
  for (const name of refs) {
    for (const el of document.querySelectorAll(`[${name}]`)) {
      for (const id of el.getAttribute(name).split(/\\s+/)) used.add(id);
    }
  }
  for (const a of document.querySelectorAll('a[href^="#"]')) {
    used.add(a.getAttribute('href').slice(1));
  }
  return Object.keys(counts).filter((id) => counts[id] > 1 && used.has(id));
}"""

LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'), (a) => a.href)"""

#: The other choices of a page's cohort (or year) selector: [select name, URL].
CHOICES_JS = """() => {
  const out = [];
  for (const form of document.querySelectorAll('form')) {
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'get') continue;
    for (const select of form.querySelectorAll('select[name=cohort], select[name=year]')) {
      for (const option of select.options) {
        if (option.selected) continue;
        const data = new FormData(form);
        data.set(select.name, option.value);
        const url = new URL(form.action || location.href);
        url.search = new URLSearchParams(data).toString();
        out.push([select.name, url.href]);
      }
    }
  }
  return out;
}"""


def _axe_problems(page: Page, context: str | None = None) -> list[str]:
    results = Axe().run(page, context)
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        nodes = violation["nodes"]
        shown = "; ".join(
            f"{' '.join(node['target'])} {_normal(node['html'])[:140]}" for node in nodes[:4]
        )
        problems.append(
            f"axe {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{len(nodes)} node(s)] {shown}"
        )
    return problems


MENU = "the menu"


class Crawler:
    """One page per route, from the menu's pages outwards."""

    def __init__(
        self, page: Page, app, base_url: str, english: EnglishStrings, own: tuple[str, ...] = ()
    ):
        self.page = page
        self.own = own
        self.adapter = app.url_map.bind("localhost")
        self.origin = urlsplit(base_url).netloc
        self.english = english
        self.seen: set[str] = set()
        self.queue: list[tuple[str, str]] = []  # (path, found on)
        self.problems: list[str] = []
        self.visited: list[str] = []

    def endpoint(self, url: str) -> tuple[str | None, str]:
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != self.origin:
            return None, ""
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            endpoint, _args = self.adapter.match(parts.path, method="GET")
        except RequestRedirect:
            return None, ""
        except HTTPException:
            return None, ""
        return endpoint, path

    def add(self, urls: list[str], found_on: str, choice: str = "") -> None:
        """Queue the pages of routes not seen yet; ``choice``: the URLs are the other
        choices of a selector of that name (another cohort), one visit per route and name."""
        for url in urls:
            endpoint, path = self.endpoint(url)
            if endpoint is None or endpoint in NOT_PAGES:
                continue
            if self.own and found_on != MENU and not endpoint.startswith(self.own):
                continue
            key = f"{endpoint}?{choice}" if choice else endpoint
            if key in self.seen:
                continue
            self.seen.add(key)
            self.queue.append((path, found_on))

    def run(self, start: str = "/dashboard") -> None:
        self.seen.add("main.index")  # a redirect to the dashboard (or the login page)
        self.page.goto(start)
        menu = self.page.eval_on_selector_all(
            "nav a[href], footer a[href]", "(links) => links.map((a) => a.href)"
        )
        self.add([start, *menu], MENU)
        self.check_open_menus(start)
        while self.queue:
            path, found_on = self.queue.pop(0)
            self.check(path, found_on)

    def check_open_menus(self, path: str) -> None:
        """axe skips what is hidden: open the collapsed menu (narrow window) and each dropdown
        of the menu in turn, and check the menu each time."""
        toggler = self.page.locator("nav .navbar-toggler")
        if toggler.is_visible():
            toggler.click()
            self.page.locator("#nav.show").wait_for()
        toggles = self.page.locator("nav .dropdown-toggle")
        for index in range(toggles.count()):
            toggle = toggles.nth(index)
            toggle.click()
            self.page.locator("nav .dropdown-menu.show").wait_for()
            label = toggle.inner_text().strip()
            self.problems += [
                f"{path}, menu “{label}” open: {p}" for p in _axe_problems(self.page, "nav")
            ]

    def check(self, path: str, found_on: str) -> None:
        response = self.page.goto(path)
        where = f"{path} (from {found_on})"
        self.visited.append(path)
        if response is None or response.status >= 400:
            status = response.status if response else "no response"
            self.problems.append(f"{where}: HTTP {status}")
            return
        width = self.page.evaluate(WIDTH_JS)
        if width["root"] > width["width"]:
            self.problems.append(
                f"{where}: {width['root']} px wide in a {width['width']} px window; "
                f"sticking out: {', '.join(width['culprits']) or '?'}"
            )
        if width["width"] >= 1200:
            crowded = self.page.evaluate(MENU_JS)
            if crowded:
                self.problems.append(f"{where}: the menu does not fit on one line: {crowded}")
        self.problems += [f"{where}: {p}" for p in _axe_problems(self.page)]
        duplicates = self.page.evaluate(DUPLICATE_IDS_JS)
        if duplicates:
            self.problems.append(f"{where}: ids used more than once: {', '.join(duplicates)}")
        english = self.english.find(self.page.evaluate(TEXTS_JS))
        if english:
            shown = " | ".join(sorted(set(english))[:12])
            self.problems.append(f"{where}: English on a French page: {shown}")
        self.add(self.page.evaluate(LINKS_JS), path)
        for name, url in self.page.evaluate(CHOICES_JS):
            self.add([url], path, choice=name)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_is_accessible_and_french(
    page: Page, browser_app, live_server, accounts, english_strings, role: str, width: str
):
    no_motion(page)
    w, h = WIDTHS[width]
    page.set_viewport_size({"width": w, "height": h})
    if role != "visitor":
        log_in(page, accounts[role], DEMO_PASSWORD)

    crawler = Crawler(page, browser_app, live_server, english_strings, ONLY_OWN_PAGES.get(role, ()))
    crawler.run("/login" if role == "visitor" else "/dashboard")

    assert len(crawler.visited) >= 3, crawler.visited
    assert not crawler.problems, (
        f"{len(crawler.problems)} problem(s) for {role} at {width} px "
        f"({len(crawler.visited)} pages):\n" + "\n".join(crawler.problems)
    )
