"""The built site, as a reader sees it: headless Chromium, offline, at a 1280 px window.

One walk loads every page once and records what a reader would meet there; one test judges the
record. Three more tests do what a reader does: search, copy a listing, switch to dark.

Chromium comes from the system (Debian's `chromium`, or the Google Chrome of GitHub's runners);
Playwright's own browser download is not used. Without a browser the tests skip, except where
`CI=true` or `REQUIRE_SERVICES=1`, where they fail.

Set `SITE_SCREENSHOTS` to a folder to save a full-page screenshot of every page there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

from kit import (
    CHROMIUM_ARGS,
    BuiltSite,
    find_chromium,
    free_port,
    serve_site,
    services_required,
    site_pages,
)

pytestmark = pytest.mark.xdist_group("site")

WINDOW = {"width": 1280, "height": 900}
# The longest code line that must fit without scrolling: ruff's line length here, plus the
# marker column of a diff.
CODE_LINE_LIMIT = 101
MIN_DIAGRAM_TEXT_PX = 12.0
SEARCH_TERMS = ("versioning", "cache")

# Material renders each diagram into a closed shadow root. Opening it lets the tests see the
# SVG; nothing else about the page changes.
OPEN_SHADOW_ROOTS = """
const attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attachShadow.call(this, { ...init, mode: "open" });
};
"""

DIAGRAMS_RENDERED = """
(expected) => {
  const rendered = [...document.querySelectorAll("div.mermaid")]
    .filter((box) => box.shadowRoot && box.shadowRoot.querySelector("svg"));
  return rendered.length >= expected;
}
"""

# For every diagram: whether it rendered (not mermaid's error picture), and the size at which
# its smallest label is drawn: the font size times the SVG's scale on screen.
MEASURE_DIAGRAMS = """
() => [...document.querySelectorAll("div.mermaid")].map((box) => {
  const svg = box.shadowRoot && box.shadowRoot.querySelector("svg");
  if (!svg) return { svg: false, error: false, minTextPx: 0 };
  const error = svg.getAttribute("aria-roledescription") === "error"
    || /Syntax error/.test(svg.textContent);
  const viewBox = svg.viewBox.baseVal;
  const scale = viewBox && viewBox.width ? svg.getBoundingClientRect().width / viewBox.width : 1;
  const labels = [...svg.querySelectorAll(".nodeLabel, .edgeLabel, text")]
    .filter((label) => label.textContent.trim() !== "");
  const sizes = labels.map((label) => parseFloat(getComputedStyle(label).fontSize) * scale);
  return { svg: true, error, minTextPx: sizes.length ? Math.min(...sizes) : 0 };
})
"""

# Code blocks whose text is wider than the block, with the length of their longest line.
MEASURE_CODE = """
() => {
  document.querySelectorAll("details").forEach((details) => { details.open = true; });
  return [...document.querySelectorAll(".md-content pre > code")]
    .filter((code) => code.scrollWidth > code.clientWidth + 1)
    .map((code) => ({
      longest: Math.max(...code.textContent.split("\\n").map((line) => line.length)),
      first: code.textContent.split("\\n")[0].slice(0, 60),
    }));
}
"""


@dataclass
class PageRecord:
    """What one page did while it loaded."""

    console_errors: list[str] = field(default_factory=list)
    diagrams_expected: int = 0
    diagrams: list[dict[str, Any]] = field(default_factory=list)
    overflowing_code: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Walk:
    """The record of one pass over every page of the site."""

    pages: dict[str, PageRecord]
    outside_requests: list[str]


@pytest.fixture(scope="session")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        message = "no Chromium or Chrome installed (Debian: apt-get install chromium)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def site_base_url(built_site: BuiltSite) -> Iterator[str]:
    if built_site.returncode != 0:
        pytest.fail("the site did not build: see test_strict_build")
    with serve_site(built_site.directory, built_site.root_path) as base_url:
        yield base_url


# Module scope, not session: Playwright's sync API keeps an event loop running in the thread
# while it lives, and every later test of the worker that calls `asyncio.run` (the guide's
# examples do) would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Chromium that can reach the loopback interface and nothing else.

    Every other host goes through a proxy address where nothing listens, and no name is
    resolved, so a request to a CDN fails at once instead of leaving the machine. (Routing
    each request through Playwright would do the same, but turns off the HTTP cache and
    doubles the time of a walk over the site.)
    """
    offline = [
        f"--proxy-server=http://127.0.0.1:{free_port()}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ]
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, args=[*CHROMIUM_ARGS, *offline]
        )
        yield launched
        launched.close()


def offline_context(browser: Any, base_url: str, **options: Any) -> tuple[Any, list[str]]:
    """A browser context on the local site, and the list of requests it made to other hosts.

    The browser itself can reach no other host (see `browser`); this records who tried.
    """
    context = browser.new_context(viewport=WINDOW, service_workers="block", **options)
    context.add_init_script(OPEN_SHADOW_ROOTS)
    outside: list[str] = []

    def record(request: Any) -> None:
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and not (
            request.url.startswith(base_url)
        ):
            outside.append(request.url)

    context.on("request", record)
    return context, outside


@pytest.fixture
def new_page(browser: Any, site_base_url: str) -> Iterator[Any]:
    """Open pages of the site in fresh offline contexts; check that none reached outside."""
    opened: list[tuple[Any, list[str]]] = []

    def open_page(path: str = "", **options: Any) -> Any:
        context, outside = offline_context(browser, site_base_url, **options)
        opened.append((context, outside))
        page = context.new_page()
        page.goto(site_base_url + path, wait_until="load")
        return page

    yield open_page
    for context, outside in opened:
        context.close()
        assert outside == [], "a page requested another host"


def mermaid_blocks(html: str) -> int:
    """How many diagrams a built page holds before the browser renders them."""
    return len(re.findall(r'<pre class="mermaid">', html))


@pytest.fixture(scope="module")
def walk(browser: Any, built_site: BuiltSite, site_base_url: str) -> Walk:
    """Load every page once, in one browser context, and record what each check needs."""
    screenshots = os.environ.get("SITE_SCREENSHOTS")
    if screenshots:
        Path(screenshots).mkdir(parents=True, exist_ok=True)
    context, outside = offline_context(browser, site_base_url)
    page = context.new_page()
    records: dict[str, PageRecord] = {}
    current: list[PageRecord] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            current[-1].console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: current[-1].console_errors.append(str(error)))
    try:
        for path in site_pages(built_site.directory):
            record = PageRecord()
            current.append(record)
            records[path] = record
            html = (built_site.directory / path / "index.html").read_text(encoding="utf-8")
            record.diagrams_expected = mermaid_blocks(html)
            page.goto(site_base_url + path, wait_until="load")
            if record.diagrams_expected:
                try:
                    page.wait_for_function(
                        DIAGRAMS_RENDERED, arg=record.diagrams_expected, timeout=15_000
                    )
                except PlaywrightTimeoutError as error:
                    record.console_errors.append(f"diagrams did not render: {error}")
                record.diagrams = page.evaluate(MEASURE_DIAGRAMS)
            if screenshots:
                name = path.strip("/").replace("/", "--") or "index"
                page.screenshot(path=str(Path(screenshots) / f"{name}.png"), full_page=True)
            record.overflowing_code = page.evaluate(MEASURE_CODE)
    finally:
        context.close()
    return Walk(records, outside)


def walk_problems(walk: Walk) -> dict[str, object]:
    """What a reader would meet on the walk, by kind of problem; empty when all is well."""
    pages = walk.pages.items()
    problems: dict[str, object] = {
        "requests to other hosts": walk.outside_requests,
        "console errors": {
            path: page.console_errors for path, page in pages if page.console_errors
        },
        "diagrams that did not render": {
            path: page.diagrams
            for path, page in pages
            if len(page.diagrams) != page.diagrams_expected
            or not all(diagram["svg"] and not diagram["error"] for diagram in page.diagrams)
        },
        f"diagram text under {MIN_DIAGRAM_TEXT_PX} px": {
            path: [round(diagram["minTextPx"], 1) for diagram in page.diagrams]
            for path, page in pages
            if any(diagram["minTextPx"] < MIN_DIAGRAM_TEXT_PX for diagram in page.diagrams)
        },
        f"code lines of up to {CODE_LINE_LIMIT} characters cut off": {
            path: cut
            for path, page in pages
            if (cut := [b for b in page.overflowing_code if b["longest"] <= CODE_LINE_LIMIT])
        },
    }
    return {kind: found for kind, found in problems.items() if found}


def test_every_page_as_a_reader_sees_it(walk: Walk) -> None:
    """Every page loads offline with no error, its diagrams render readably, its code fits.

    One test for the whole walk, so that the walk runs once, whichever worker runs it.
    """
    assert len(walk.pages) >= 20, sorted(walk.pages)
    assert sum(page.diagrams_expected for page in walk.pages.values()) >= 1, "no diagram found"
    home = walk.pages[""]
    assert home.diagrams, "the home page has lost its map"
    assert walk_problems(walk) == {}


def test_search_finds_its_terms(new_page: Any) -> None:
    page = new_page()
    search = page.locator("input.md-search__input")
    search.click()
    for term in SEARCH_TERMS:
        # Typed key by key: the search reacts to keys, not to a value set at once.
        search.fill("")
        search.press_sequentially(term)
        page.wait_for_function(
            """(term) => [...document.querySelectorAll(".md-search-result__item")]
                .some((item) => item.textContent.toLowerCase().includes(term))""",
            arg=term,
            timeout=15_000,
        )


def test_the_copy_button_copies_a_listing(new_page: Any) -> None:
    page = new_page("stages/01-hello/", permissions=["clipboard-read", "clipboard-write"])
    # The theme's copy button names the listing it copies.
    button = page.locator(".md-content button[data-clipboard-target]").first
    target = button.get_attribute("data-clipboard-target")
    assert target
    shown = page.locator(target).text_content() or ""
    button.click()
    page.wait_for_function("navigator.clipboard.readText().then((text) => text.length > 0)")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.splitlines() == shown.splitlines()
    assert "FastAPI" in copied


def test_the_palette_toggle_switches_to_dark(new_page: Any) -> None:
    page = new_page(color_scheme="light")
    assert page.locator("body").get_attribute("data-md-color-scheme") == "default"
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'", timeout=5_000)
