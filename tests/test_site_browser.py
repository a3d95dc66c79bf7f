"""The built site, as a reader sees it: headless Chromium, offline, at a 1280 px window.

One walk loads every page once and looks at it three ways: in the light palette, in the dark
one, and narrowed to a phone's 390 px; it runs axe-core on each view and records what a reader
would meet there. Tests judge the record: what loads, what it weighs, what axe finds, what a
phone shows. More tests do what a reader does: search, copy a listing, switch to dark, move by
keyboard, open a page on a touch screen.

Chromium comes from the system (Debian's `chromium`, or the Google Chrome of GitHub's runners);
Playwright's own browser download is not used. Without a browser the tests skip, except where
`CI=true` or `REQUIRE_SERVICES=1`, where they fail.

Set `SITE_SCREENSHOTS` to a folder to save a full-page screenshot of every page there.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

from guide_kit.browser import CHROMIUM_ARGS, find_chromium, services_required
from guide_kit.lock import file_lock
from guide_kit.ports import free_port
from guide_kit.site import BuiltSite, serve_site, site_pages

WINDOW = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
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


# axe-core, from the axe-playwright-python package, which ships it. Only serious and critical
# findings fail a test; the moderate and minor ones are for a person to weigh.
AXE_SCRIPT = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
FAILING_IMPACTS = ("serious", "critical")
RUN_AXE = """
async ({ impacts, only, skip }) => {
  const options = { resultTypes: ["violations"] };
  if (only.length) options.runOnly = only;
  if (skip.length) {
    options.rules = Object.fromEntries(skip.map((rule) => [rule, { enabled: false }]));
  }
  // No stylesheets fetched again for axe's own use (`preload`); the site has no frames.
  Object.assign(options, { preload: false, iframes: false });
  const results = await axe.run(document, options);
  return results.violations
    .filter((violation) => impacts.includes(violation.impact))
    .map((violation) => `${violation.id} (${violation.nodes.length}): `
      + violation.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(" | "));
}
"""
# The rules that a change of palette can change the outcome of: the dark pass runs these only,
# on the page that the light pass has just checked with every rule.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
# axe's contrast check is most of its time: a second a page, again in the dark palette. What it
# finds depends on the colours of the text, of what is behind it, and the text's size; the walk
# runs it on a page when the page shows a combination of these that no page before it showed
# in that palette (on most pages, none), and on the sample pages. The combinations are read
# from the computed styles, which takes milliseconds.
COLOURS_SHOWN = """
(skipListings) => {
  const seen = new Set();
  const inherited = new Map();
  const behind = (element) => {
    if (!element) return { background: "rgb(255, 255, 255)", opacity: 1 };
    if (!inherited.has(element)) {
      const style = getComputedStyle(element);
      const parent = behind(element.parentElement || element.getRootNode().host);
      const own = style.backgroundColor;
      const opaque = own !== "rgba(0, 0, 0, 0)" && own !== "transparent";
      inherited.set(element, {
        background: opaque ? own : parent.background,
        opacity: parent.opacity * parseFloat(style.opacity),
      });
    }
    return inherited.get(element);
  };
  const roots = [document.body, ...[...document.querySelectorAll("div.mermaid")]
    .map((box) => box.shadowRoot).filter(Boolean)];
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (!node.data.trim() || !element || !element.checkVisibility({ opacityProperty: true })) {
        continue;
      }
      if (skipListings && element.closest(".md-content pre")) continue;
      const style = getComputedStyle(element);
      const size = parseFloat(style.fontSize);
      const bold = parseInt(style.fontWeight, 10) >= 700;
      const { background, opacity } = behind(element);
      if (opacity < 0.1) continue;  // as good as hidden: axe leaves it out too
      const large = size >= 24 || (bold && size >= 18.6);
      seen.add([style.color, background, opacity.toFixed(2), large].join(" "));
    }
  }
  return [...seen];
}
"""
# axe's contrast check costs time in proportion to the page's height, and long listings make
# a page tall (a stage's full diff is 100,000 px: 15 s of axe). A token of code is coloured by
# its class alone, the same on every page, so listings are checked whole on a few pages that
# hold every class the site uses between them (`sample_pages`); elsewhere they are cut to their
# first lines while axe looks at the colours. What a listing must do on a phone is checked
# before, on every page, in full (`MEASURE_PHONE`, and axe's rule for scrolling regions).
SHORT_LISTINGS = """
(short) => {
  document.getElementById("short-listings")?.remove();
  if (!short) return;
  const style = Object.assign(document.createElement("style"), { id: "short-listings" });
  style.textContent = ".md-content pre > code { max-height: 15em; overflow: hidden !important; }";
  document.head.append(style);
}
"""
# The theme fades colours and the tabs in over a fraction of a second, after a change of
# palette or of the window's width: axe must see where they end.
NO_TRANSITIONS = (
    "*, *::before, *::after { transition: none !important; animation: none !important; }"
)
# The theme fetches the search index on every page and hands it to a worker, which builds the
# index at once: a reader's browser does that once a visit (the theme swaps pages in place after
# the first), the walk, loading every page afresh, would do it on every page: 30 of the
# renderer's 75 CPU-seconds on a two-core machine. The walk's pages fetch the index (it counts
# in their weight) and hand it to a worker that does nothing; `test_search_finds_its_terms`
# searches with the real one.
IDLE_WORKERS = """
window.Worker = class {
  postMessage() {}
  addEventListener() {}
  removeEventListener() {}
  terminate() {}
};
"""
SWITCH_PALETTE = """(scheme) => { document.body.setAttribute("data-md-color-scheme", scheme); }"""

# Two frames: what site.js does after a change to the page has run.
SETTLED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

# On a phone: what scrolls sideways without a way to reach it by keyboard or a name to say what
# it is; code in a table cell broken inside a word; and whether the page itself scrolls sideways.
MEASURE_PHONE = r"""
() => {
  const scrolls = (element) => element.scrollWidth > element.clientWidth + 1
    && ["auto", "scroll"].includes(getComputedStyle(element).overflowX);
  const unreachable = [...document.querySelectorAll(".md-content *")]
    .filter(scrolls)
    .filter((element) => element.tabIndex < 0 || !element.getAttribute("aria-label"))
    .map((element) => element.tagName.toLowerCase() + "." + [...element.classList].join("."));
  // Where a wrapped code span breaks: after a space or a hyphen is fine, anywhere else is not.
  const badBreaks = (code) => {
    const text = code.firstChild;
    if (!text || text.nodeType !== Node.TEXT_NODE) return [];
    const range = document.createRange();
    const top = (index) => {
      range.setStart(text, index);
      range.setEnd(text, index + 1);
      return range.getClientRects()[0]?.top ?? 0;
    };
    const breaks = [];
    for (let index = 1; index < text.length; index += 1) {
      if (top(index) > top(index - 1) + 1 && !/[\s-]/.test(text.data[index - 1])) {
        breaks.push(text.data.slice(0, index) + "|" + text.data.slice(index));
      }
    }
    return breaks;
  };
  const broken = [...document.querySelectorAll(".md-content td code, .md-content th code")]
    .filter((code) => code.getClientRects().length > 1)
    .flatMap(badBreaks);
  return {
    unreachable,
    broken,
    pageWidth: document.documentElement.scrollWidth,
  };
}
"""

# The plots that a reader sees on the page, at the width they are drawn.
MEASURE_PLOTS = """
() => [...document.querySelectorAll(".md-content figure img")]
  .filter((img) => img.offsetParent !== null && /[.]svg$/.test(new URL(img.src).pathname))
  .map((img) => ({ path: new URL(img.src).pathname, width: img.getBoundingClientRect().width }))
"""
_VIEW_BOX = re.compile(r'viewBox="[\d.]+ [\d.]+ (?P<width>[\d.]+) [\d.]+"')
_FONT_SIZE = re.compile(r'font-size(?::\s*|=")(?P<size>[\d.]+)')


@cache
def smallest_text(svg: Path) -> float:
    """The smallest font size of an SVG's text, as a share of the SVG's own width."""
    text = svg.read_text(encoding="utf-8")
    view_box = _VIEW_BOX.search(text)
    sizes = [float(match.group("size")) for match in _FONT_SIZE.finditer(text)]
    assert view_box, f"{svg}: no viewBox"
    assert sizes, f"{svg}: no text"
    return min(sizes) / float(view_box.group("width"))


# Every file that a page made the browser fetch, as paths from the site's root.
LOADED = """
() => [performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource")]
  .map((entry) => entry.name)
"""


@dataclass
class PageRecord:
    """What one page did while it loaded, in one of the walk's passes."""

    console_errors: list[str] = field(default_factory=list)
    diagrams_expected: int = 0
    diagrams: list[dict[str, Any]] = field(default_factory=list)
    overflowing_code: list[dict[str, Any]] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)
    colours_checked: bool = False
    plots: list[dict[str, Any]] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    phone: dict[str, Any] = field(default_factory=dict)


@dataclass
class Walk:
    """The record of the passes over every page of the site: light, dark and phone."""

    passes: dict[str, dict[str, PageRecord]]
    outside_requests: list[str]

    @property
    def pages(self) -> dict[str, PageRecord]:
        """The light pass at a desktop window: the reader the site was first written for."""
        return self.passes["light"]


@pytest.fixture(scope="session")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        message = (
            "no Chromium or Chrome installed (Debian: apt-get install chromium-headless-shell)"
        )
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
    options.setdefault("viewport", WINDOW)
    context = browser.new_context(service_workers="block", **options)
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
    """Open pages of the site in fresh offline contexts; check that none reached outside.

    The search's worker does nothing unless a test asks for it with `search=True`.
    """
    opened: list[tuple[Any, list[str]]] = []

    def open_page(path: str = "", *, search: bool = False, **options: Any) -> Any:
        context, outside = offline_context(browser, site_base_url, **options)
        if not search:
            context.add_init_script(IDLE_WORKERS)  # a test that does not search: see above
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


_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.DOTALL)
_SPAN_CLASS = re.compile(r'<span class="([^"]+)"')


def sample_pages(site: Path) -> set[str]:
    """A few pages whose listings hold, between them, every token class of the site's code."""
    classes = {
        path: {
            name
            for listing in _PRE.findall((site / path / "index.html").read_text(encoding="utf-8"))
            for names in _SPAN_CLASS.findall(listing)
            for name in names.split()
        }
        for path in site_pages(site)
    }
    missing = set().union(*classes.values())
    samples: set[str] = set()
    while missing:
        best = max(classes, key=lambda path: len(classes[path] & missing))
        samples.add(best)
        missing -= classes[best]
    return samples


def run_axe(page: Any, only: list[str] | None = None, skip: list[str] | None = None) -> list[str]:
    """The serious and critical findings of axe-core on the page as it is now."""
    arguments = {"impacts": list(FAILING_IMPACTS), "only": only or [], "skip": skip or []}
    found: list[str] = page.evaluate(RUN_AXE, arguments)
    return found


def check_colours(page: Any, record: PageRecord, covered: set[str], *, sample: bool) -> None:
    """Run axe's colour rules on the page if it shows colours that no checked page showed."""
    shown = set(page.evaluate(COLOURS_SHOWN, not sample))
    if sample or shown - covered:
        record.axe += run_axe(page, only=COLOUR_RULES)
        record.colours_checked = True
        covered |= shown


def look_at_page(
    page: Any,
    base_url: str,
    path: str,
    *,
    diagrams: int,
    sample: bool,
    covered: dict[str, set[str]],
    shoot: Any,
) -> dict[str, PageRecord]:
    """What one page shows in the light palette, in the dark one and on a phone.

    The page is loaded once, at a desktop window in the light palette; its colours are checked
    there, then in the dark palette, switched in place as the palette toggle does; then it is
    narrowed to a phone's width, where axe runs every other rule. The sample pages get every
    rule in every view. Returns the records of the three views, by name.
    """
    light, dark, phone = PageRecord(), PageRecord(), PageRecord()
    light.diagrams_expected = phone.diagrams_expected = diagrams
    page.goto(base_url + path, wait_until="load")
    if diagrams:
        try:
            page.wait_for_function(DIAGRAMS_RENDERED, arg=diagrams, timeout=15_000)
        except PlaywrightTimeoutError as error:
            light.console_errors.append(f"diagrams did not render: {error}")
        light.diagrams = page.evaluate(MEASURE_DIAGRAMS)
    page.add_style_tag(content=NO_TRANSITIONS)
    page.evaluate(SETTLED)
    light.loaded = page.evaluate(LOADED)
    light.plots = page.evaluate(MEASURE_PLOTS)
    shoot(path, "light")
    # Opens every collapsed block, so that what follows sees what they hold too.
    light.overflowing_code = page.evaluate(MEASURE_CODE)
    page.evaluate(AXE_SCRIPT)

    # The colours, at a desktop window, in both palettes.
    if not sample:
        page.evaluate(SHORT_LISTINGS, True)
    if sample:
        light.axe += run_axe(page, skip=COLOUR_RULES)
    check_colours(page, light, covered["light"], sample=sample)
    page.evaluate(SWITCH_PALETTE, "slate")
    page.evaluate(SETTLED)
    shoot(path, "dark")
    check_colours(page, dark, covered["dark"], sample=sample)
    page.evaluate(SWITCH_PALETTE, "default")
    page.evaluate(SHORT_LISTINGS, False)

    # Everything else, on a phone: names, roles, structure do not change with the width, and
    # what does (what scrolls, what a finger can hit) is the phone's concern.
    page.set_viewport_size(PHONE)
    page.evaluate(SETTLED)
    shoot(path, "phone")
    phone.phone = page.evaluate(MEASURE_PHONE)
    phone.plots = page.evaluate(MEASURE_PLOTS)
    if diagrams:
        phone.diagrams = page.evaluate(MEASURE_DIAGRAMS)
    phone.axe = run_axe(page, skip=None if sample else COLOUR_RULES)
    page.set_viewport_size(WINDOW)
    return {"light": light, "dark": dark, "phone": phone}


@pytest.fixture(scope="module")
def walk(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
    built_site: BuiltSite,
    site_base_url: str,
) -> Walk:
    """The walk of every page, taken once per test run and shared by every worker.

    Under pytest-xdist the tests that read the walk may land on both workers; the first takes
    the walk and leaves its record beside the built site, and the others read it, instead of
    walking the site again for a minute.
    """
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    record = root / "site-walk.json"
    with file_lock(root / "site-walk.lock"):
        if record.is_file():
            return walk_from_json(record.read_text(encoding="utf-8"), site_base_url)
        taken = take_walk(request.getfixturevalue("browser"), built_site, site_base_url)
        written = {"base_url": site_base_url, "walk": asdict(taken)}
        record.write_text(json.dumps(written), encoding="utf-8")
        return taken


def walk_from_json(text: str, base_url: str) -> Walk:
    """Read back a walk that a worker wrote, its URLs moved to this worker's server."""
    data = json.loads(text)
    taken_at, walked = data["base_url"], data["walk"]
    passes: dict[str, dict[str, PageRecord]] = {}
    for view, pages in walked["passes"].items():
        passes[view] = {}
        for path, fields in pages.items():
            page = PageRecord(**fields)
            page.loaded = [url.replace(taken_at, base_url, 1) for url in page.loaded]
            passes[view][path] = page
    return Walk(passes, walked["outside_requests"])


def take_walk(browser: Any, built_site: BuiltSite, site_base_url: str) -> Walk:
    """Load every page once, with one browser, and record what each check needs."""
    screenshots = os.environ.get("SITE_SCREENSHOTS")
    if screenshots:
        Path(screenshots).mkdir(parents=True, exist_ok=True)
    context, outside = offline_context(browser, site_base_url)
    context.add_init_script(IDLE_WORKERS)
    page = context.new_page()
    # Every file a page needs comes over the network, as on a reader's first visit: the weight
    # of a page counts them all.
    context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    samples = sample_pages(built_site.directory)
    passes: dict[str, dict[str, PageRecord]] = {"light": {}, "dark": {}, "phone": {}}
    covered: dict[str, set[str]] = {"light": set(), "dark": set()}
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    def shoot(path: str, view: str) -> None:
        if screenshots:
            shot = (path.strip("/").replace("/", "--") or "index") + f"--{view}.png"
            page.screenshot(path=str(Path(screenshots) / shot), full_page=True)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        for path in site_pages(built_site.directory):
            html = (built_site.directory / path / "index.html").read_text(encoding="utf-8")
            views = look_at_page(
                page,
                site_base_url,
                path,
                diagrams=mermaid_blocks(html),
                sample=path in samples,
                covered=covered,
                shoot=shoot,
            )
            views["light"].console_errors += errors
            errors.clear()
            for view, record in views.items():
                passes[view][path] = record
    finally:
        context.close()
    return Walk(passes, outside)


def walk_problems(walk: Walk) -> dict[str, object]:
    """What a reader would meet on the walk, by kind of problem; empty when all is well."""
    pages = [
        (f"{path or '/'} ({name})", page)
        for name, records in walk.passes.items()
        for path, page in records.items()
    ]
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


def test_plot_labels_are_12_px_or_more_on_a_desktop_and_on_a_phone(
    walk: Walk, built_site: BuiltSite
) -> None:
    """A plot is drawn no smaller than its labels allow; on a phone it scrolls instead."""
    root = urlsplit(built_site.site_url).path
    sizes = {
        f"{path or '/'} ({view}) {plot['path'].rsplit('/', 1)[-1]}": round(
            plot["width"] * smallest_text(built_site.directory / plot["path"].removeprefix(root)),
            1,
        )
        for view in ("light", "phone")
        for path, page in walk.passes[view].items()
        for plot in page.plots
    }
    assert len(sizes) >= 20, "the walk saw too few plots"
    assert {plot: px for plot, px in sizes.items() if px < MIN_DIAGRAM_TEXT_PX} == {}


def test_axe_finds_nothing_serious_in_either_palette_or_on_a_phone(walk: Walk) -> None:
    """axe-core on every page, light and dark at 1280 px and light on a 390 px touch screen.

    Contrast, names, roles, scrolling regions that the keyboard cannot reach: any serious or
    critical finding fails, with the rule, how many elements and the first of them. (Long
    listings are checked whole on the pages of `sample_pages`: see `SHORT_LISTINGS`.)
    """
    assert set(walk.passes) == {"light", "dark", "phone"}
    for palette in ("light", "dark"):
        checked = [path for path, page in walk.passes[palette].items() if page.colours_checked]
        assert len(checked) >= 3, f"axe checked the colours of too few pages ({palette})"
    found = {
        f"{path or '/'} ({name})": page.axe
        for name, records in walk.passes.items()
        for path, page in records.items()
        if page.axe
    }
    assert found == {}


def test_on_a_phone_everything_that_scrolls_is_reachable_and_nothing_breaks_mid_word(
    walk: Walk,
) -> None:
    """At 390 px: listings, tables and diagrams wider than the screen scroll by themselves,
    take the keyboard focus and have a name; the page never scrolls sideways; code in a table
    cell wraps between words only. Diagram labels stay 12 px or more (see the walk's test)."""
    phone = walk.passes["phone"]
    assert any(page.diagrams for page in phone.values()), "no diagram drawn on the phone"
    problems = {
        path or "/": {
            kind: value
            for kind, value in (
                ("scrolls, but unreachable or unnamed", page.phone["unreachable"]),
                ("code broken mid-word", page.phone["broken"]),
                ("page wider than the screen", page.phone["pageWidth"] > PHONE["width"]),
            )
            if value
        }
        for path, page in phone.items()
    }
    assert {path: found for path, found in problems.items() if found} == {}


# The weight of a page: its HTML as built, and every file it makes the browser fetch,
# compressed as the host sends them (GitHub Pages gzips text). Mermaid's bundle is counted
# apart: only a page that draws a diagram fetches it, after the page is shown, and it alone is
# about 950 KB compressed.
# A listing's HTML is about four times its text (a span per token): a page shows the part of
# a file that makes its point, not the whole class.
PAGE_HTML_BUDGET = 150_000
PAGE_TRANSFER_BUDGET = 1_000_000
MERMAID_BUNDLE = "assets/javascripts/mermaid.min.js"
# Pages whose HTML is long by nature, with a budget of their own: the full diffs of the stages,
# which only a link leads to, and the API reference, one page per package of the newest stage.
HTML_BUDGETS = {
    re.compile(r"^stages/diffs/"): 600_000,
    re.compile(r"^reference/"): 250_000,
}


def html_budget(path: str) -> int:
    """The most HTML, in bytes, that the page at `path` may have."""
    return next(
        (budget for pattern, budget in HTML_BUDGETS.items() if pattern.match(path)),
        PAGE_HTML_BUDGET,
    )


@cache
def compressed_size(path: Path) -> int:
    """The size of a file as a web server sends it: text gzipped, images as they are."""
    data = path.read_bytes()
    if path.suffix in {".png", ".jpg", ".jpeg", ".webp", ".woff2", ".gz"}:
        return len(data)
    return len(gzip.compress(data, compresslevel=6))


def site_file(site: Path, root_url: str, url: str) -> Path | None:
    """The file of the built site that a URL under `root_url` serves, if any."""
    if not url.startswith(root_url):
        return None
    relative = urlsplit(url).path.removeprefix(urlsplit(root_url).path)
    candidate = site / relative
    if relative in {"", "/"} or relative.endswith("/"):
        return candidate / "index.html"
    return candidate


def page_weights(walk: Walk, built_site: BuiltSite, site_base_url: str) -> dict[str, int]:
    """What each page transfers, Mermaid's bundle aside (see above)."""
    weights = {}
    for path, page in walk.pages.items():
        files = {site_file(built_site.directory, site_base_url, url) for url in page.loaded}
        weights[path] = sum(
            compressed_size(file)
            for file in files
            if file is not None and file.is_file() and not file.as_posix().endswith(MERMAID_BUNDLE)
        )
    return weights


def test_mermaid_loads_only_on_the_pages_that_draw_a_diagram(walk: Walk) -> None:
    loads = {
        path or "/": any(url.endswith(MERMAID_BUNDLE) for url in page.loaded)
        for path, page in walk.pages.items()
    }
    draws = {path or "/": page.diagrams_expected > 0 for path, page in walk.pages.items()}
    assert any(draws.values())
    assert loads == draws


def test_every_page_keeps_to_its_weight_budget(
    walk: Walk, built_site: BuiltSite, site_base_url: str
) -> None:
    """A page's HTML is 150 KB or less (see `HTML_BUDGETS` for the exceptions), and all that
    it fetches is 1 MB or less, compressed."""
    weights = page_weights(walk, built_site, site_base_url)
    html = {
        path: (built_site.directory / path / "index.html").stat().st_size for path in walk.pages
    }
    over = {
        path or "/": {"html": html[path], "transfer": weights[path]}
        for path in walk.pages
        if html[path] > html_budget(path) or weights[path] > PAGE_TRANSFER_BUDGET
    }
    assert over == {}
    # The walk saw what a page fetches: at least its HTML, the theme's script and styles.
    assert min(weights.values()) > 50_000
    stage_pages = [path for path in walk.pages if re.match(r"^stages/\d\d-", path)]
    assert stage_pages, "no stage page found"
    assert max(html[path] for path in stage_pages) <= PAGE_HTML_BUDGET


def test_a_diagram_reached_by_instant_navigation_is_drawn_with_the_sites_mermaid(
    new_page: Any, built_site: BuiltSite
) -> None:
    """The theme swaps pages in place; a diagram on the next page still loads Mermaid from
    the site (the `new_page` fixture fails on a request to any other host, a CDN included)."""
    pages = site_pages(built_site.directory)
    drawn = {
        path: mermaid_blocks((built_site.directory / path / "index.html").read_text("utf-8"))
        for path in pages
    }
    start = next(path for path in pages if path and not drawn[path])
    target = next(path for path in pages if path and drawn[path])
    page = new_page(start)
    assert not page.evaluate(f"({LOADED})().some((url) => url.endsWith({MERMAID_BUNDLE!r}))")
    page.evaluate(
        """(href) => {
          const link = Object.assign(document.createElement("a"), { href, id: "next-page" });
          link.textContent = "next";
          document.querySelector(".md-content").append(link);
        }""",
        f"../../{target}" if start.count("/") == 2 else f"../{target}",
    )
    page.locator("#next-page").click()
    page.wait_for_function(DIAGRAMS_RENDERED, arg=drawn[target], timeout=15_000)
    assert page.evaluate("location.pathname").endswith("/" + target)


def test_on_a_touch_screen_a_wide_listing_takes_the_focus_and_has_a_name(
    new_page: Any,
) -> None:
    """The theme makes a wide listing focusable only where there is a mouse; site.js does it
    on a touch screen too (the walk narrows a desktop window, which has a mouse)."""
    page = new_page("stages/01-hello/", viewport=PHONE, is_mobile=True, has_touch=True)
    page.evaluate(SETTLED)
    wide = page.evaluate(
        """() => [...document.querySelectorAll(".md-content pre > code")]
          .filter((code) => code.scrollWidth > code.clientWidth + 1)
          .map((code) => ({ tabIndex: code.tabIndex, name: code.getAttribute("aria-label") }))"""
    )
    assert wide, "no listing is wider than a phone: pick a page with a long line"
    assert all(code["tabIndex"] == 0 and code["name"] for code in wide), wide


def relative_luminance(colour: str) -> float:
    """WCAG's relative luminance of a CSS `rgb(...)` or `rgba(...)` colour (alpha ignored)."""
    channels = [float(part) / 255 for part in re.findall(r"[\d.]+", colour)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio between two CSS colours."""
    lighter, darker = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


FOCUS_RING = """
() => {
  const focused = document.activeElement;
  const style = getComputedStyle(focused);
  return {
    element: focused.outerHTML.slice(0, 80),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    colour: style.outlineColor,
    page: getComputedStyle(document.body).backgroundColor,
  };
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_stands_out_from_the_page(new_page: Any, scheme: str) -> None:
    """A link in the text that has the keyboard's focus shows a ring of 3:1 or more."""
    page = new_page("stages/01-hello/", color_scheme=scheme)
    page.keyboard.press("Tab")  # from here on the reader uses the keyboard
    page.locator(".md-content p a[href]").first.focus()
    ring = page.evaluate(FOCUS_RING)
    assert ring["style"] == "solid", ring
    assert ring["width"] >= 2, ring
    assert contrast(ring["colour"], ring["page"]) >= 3, ring


def test_search_finds_its_terms(new_page: Any) -> None:
    page = new_page(search=True)
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
