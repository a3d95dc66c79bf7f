"""The guide builds with `mkdocs build --strict`: no broken link, include or section; and the
built site's own links and anchors all lead somewhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from guide_kit.site import BuiltSite, link_problems, site_pages


def test_strict_build(built_site: BuiltSite) -> None:
    assert built_site.returncode == 0, built_site.output
    site = built_site.directory
    assert (site / "index.html").is_file()
    assert (site / "stages" / "01-hello" / "index.html").is_file()
    # mkdocstrings rendered the reference from the stage's docstrings.
    services = (site / "reference" / "services" / "index.html").read_text()
    assert 'id="fast_api_template.services.projects.ProjectService.create"' in services


def test_every_internal_link_and_anchor_resolves(built_site: BuiltSite) -> None:
    if built_site.returncode != 0:
        pytest.fail("the site did not build: see test_strict_build")
    assert len(site_pages(built_site.directory)) >= 20
    assert link_problems(built_site.directory, built_site.site_url) == []


def test_the_search_index_leaves_out_the_stage_diffs(built_site: BuiltSite) -> None:
    """Every page load builds the search index in the reader's browser: it must stay small.

    The generated diffs would be most of it, and nobody searches them: each is on a page of its
    own (`stages/diffs/NN-name/`), which the index leaves out, and the stage page's table of
    changed files under "What changed" is left out too.
    """
    if built_site.returncode != 0:
        pytest.fail("the site did not build: see test_strict_build")
    index = json.loads((built_site.directory / "search" / "search_index.json").read_bytes())
    sections = [entry["location"] for entry in index["docs"]]

    assert (built_site.directory / "stages" / "diffs" / "01-hello" / "index.html").is_file()
    assert [s for s in sections if s.startswith("stages/diffs/")] == []
    assert [s for s in sections if s.endswith("#what-changed")] == []
    assert any(s.startswith("stages/09-production/#") for s in sections)
    largest = max(len(entry["text"]) for entry in index["docs"])
    assert largest < 20_000, "a section this long is probably a generated listing"


def test_the_link_check_finds_broken_links_and_anchors(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "index.html").write_text(
        '<h1 id="top">Home</h1><a href="a/">ok</a><a href="a/#here">ok</a>'
        '<a href="a/#gone">no anchor</a><a href="b/">no page</a><a href="#top">ok</a>'
        '<a href="https://example.com/x">another host</a>'
        '<img src="logo.png"><link rel="canonical" href="https://example.org/guide/a/">',
        encoding="utf-8",
    )
    (site / "a" / "index.html").write_text(
        '<h2 id="here">Here</h2><a href="../#nowhere">no anchor</a><a href="/guide/">ok</a>',
        encoding="utf-8",
    )
    problems = link_problems(site, "https://example.org/guide/")
    assert problems == [
        "a/index.html: ../#nowhere: no such anchor",
        "index.html: a/#gone: no such anchor",
        "index.html: b/: no such file",
        "index.html: logo.png: no such file",
    ]


PLOT = re.compile(
    r'<img alt="(?P<alt>[^"]*)" src="(?P<src>[^"]*assets/(?:benchmarks|coverage)/[^"]+)"'
)
FIGURE = re.compile(r"<figure>(?P<body>.*?)</figure>", re.DOTALL)


def plot_problems(site: Path) -> list[str]:
    """Plots outside a captioned figure, without a result in their text, or without both
    palettes' variants."""
    problems = []
    for page in sorted(site.rglob("index.html")):
        html = page.read_text(encoding="utf-8")
        where = page.parent.relative_to(site).as_posix()
        in_figures = [m for f in FIGURE.finditer(html) for m in PLOT.finditer(f.group("body"))]
        if len(in_figures) != len(PLOT.findall(html)):
            problems.append(f"{where}: a plot outside a <figure>")
        for figure in FIGURE.finditer(html):
            plots = PLOT.findall(figure.group("body"))
            if not plots:
                continue
            sources = sorted(src.split("#")[1] for _, src in plots if "#" in src)
            if sources != ["only-dark", "only-light"]:
                problems.append(f"{where}: a plot needs a light and a dark variant: {plots}")
            if "<figcaption>" not in figure.group("body"):
                problems.append(f"{where}: a plot without a caption")
            for alt, src in plots:
                if not re.search(r"\d", alt):
                    problems.append(f"{where}: the alt text of {src} states no result: {alt!r}")
                if not (page.parent / src.split("#")[0]).resolve().is_file():
                    problems.append(f"{where}: {src} is missing")
    return problems


def test_every_plot_states_its_result_in_a_captioned_figure_in_both_palettes(
    built_site: BuiltSite,
) -> None:
    if built_site.returncode != 0:
        pytest.fail("the site did not build: see test_strict_build")
    site = built_site.directory
    assert sum(len(PLOT.findall(p.read_text("utf-8"))) for p in site.rglob("index.html")) >= 10
    assert plot_problems(site) == []
