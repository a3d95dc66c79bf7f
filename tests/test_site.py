"""The guide builds with `mkdocs build --strict`: no broken link, include or section; and the
built site's own links and anchors all lead somewhere."""

from __future__ import annotations

import pytest

from kit import BuiltSite, link_problems, site_pages

pytestmark = pytest.mark.xdist_group("site")


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
