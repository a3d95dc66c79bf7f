"""Zensical, the successor of Material for MkDocs, builds the same `mkdocs.yml`.

The test builds the guide with Zensical and compares the result with the MkDocs build: the
pages, their anchors, their diagrams, the links, and what Zensical reports. The comparison is
recorded in `tests/zensical-comparison.txt`, which the contributor page shows, so the move is
one decision with the facts beside it. A change in either builder changes the comparison, and
the test fails until the record is refreshed:

    uv run --group zensical pytest tests/test_zensical.py --update-zensical -n 0

Zensical is in the default dependency groups (`zensical`), so `uv run pytest` installs it and
runs this test. An environment made without that group skips it on a contributor's machine,
and fails it where a missing browser fails (`CI=true` or `REQUIRE_SERVICES=1`, which `.ci/run`
sets) or with `REQUIRE_ZENSICAL=1`: there, a site that Zensical cannot build must fail the run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from guide_kit.browser import services_required
from guide_kit.paths import DOCS, ROOT
from guide_kit.site import BuiltSite, link_problems, page_ids, site_pages
from guide_kit.stage import copy_stage, stage_dirs

RECORD = ROOT / "tests" / "zensical-comparison.txt"
# What Zensical prints on every build, besides any finding.
ROUTINE_OUTPUT = re.compile(r"^(Build started|Build finished in .*|No issues found)$")


def copy_project(destination: Path) -> Path:
    """Copy what the site is built from: the config, the pages, the included files."""
    destination.mkdir()
    shutil.copy2(ROOT / "mkdocs.yml", destination / "mkdocs.yml")
    shutil.copytree(DOCS, destination / "docs")
    shutil.copytree(ROOT / "snippets", destination / "snippets")
    # The benchmark and maintainability pages include generated results.
    shutil.copytree(ROOT / "benchmarks" / "results", destination / "benchmarks" / "results")
    shutil.copytree(ROOT / "coverage-results", destination / "coverage-results")
    (destination / "tests").mkdir()
    shutil.copy2(RECORD, destination / "tests" / RECORD.name)
    (destination / "examples").mkdir()
    for stage in stage_dirs():
        copy_stage(stage, destination / "examples")
    return destination


def zensical_required() -> bool:
    """Whether a missing Zensical fails the test, as a missing service or browser does.

    It does with `CI=true` or `REQUIRE_SERVICES=1` (which `.ci/run` sets), or with
    `REQUIRE_ZENSICAL=1`.
    """
    return services_required() or os.environ.get("REQUIRE_ZENSICAL") == "1"


def mermaid_count(page: Path) -> int:
    return page.read_text(encoding="utf-8").count('class="mermaid"')


def compare(mkdocs_site: BuiltSite, zensical_site: Path, findings: list[str]) -> str:
    """Describe, line by line, how the Zensical build differs from the MkDocs build."""
    ours, theirs = set(site_pages(mkdocs_site.directory)), set(site_pages(zensical_site))
    both = sorted(ours & theirs)

    def differing(measure: str, value: dict[str, object]) -> str:
        return f"{measure}: {', '.join(sorted(value)) or 'the same on every page'}"

    def anchors_of(site: Path, page: str) -> set[str]:
        # Ids that start with "__" are the theme's own (code blocks, toggles), not headings.
        return {i for i in page_ids(site / page / "index.html") if not i.startswith("__")}

    anchors = {
        page
        for page in both
        if anchors_of(mkdocs_site.directory, page) != anchors_of(zensical_site, page)
    }
    diagrams = {
        page
        for page in both
        if mermaid_count(mkdocs_site.directory / page / "index.html")
        != mermaid_count(zensical_site / page / "index.html")
    }
    broken = link_problems(zensical_site, mkdocs_site.site_url)
    lines = [
        f"Zensical {version('zensical')} against MkDocs {version('mkdocs')} with "
        f"Material for MkDocs {version('mkdocs-material')}, building the same mkdocs.yml.",
        f"pages built by both: {len(both)}",
        f"pages only MkDocs builds: {', '.join(sorted(ours - theirs)) or 'none'}",
        f"pages only Zensical builds: {', '.join(sorted(theirs - ours)) or 'none'}",
        differing("anchors (ids)", dict.fromkeys(anchors)),
        differing("Mermaid diagrams", dict.fromkeys(diagrams)),
        f"broken internal links or anchors in Zensical's build: {len(broken)}",
        *[f"  {problem}" for problem in broken],
        f"what Zensical reported: {'nothing' if not findings else len(findings)}",
        *[f"  {finding}" for finding in findings],
    ]
    return "\n".join(lines) + "\n"


def test_zensical_builds_the_guide_as_recorded(
    built_site: BuiltSite, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    zensical = Path(sys.executable).parent / "zensical"
    if not zensical.is_file():
        message = "Zensical is not installed: `uv sync` installs it (the zensical group)"
        if zensical_required():
            pytest.fail(message)
        pytest.skip(message)
    if built_site.returncode != 0:
        pytest.fail("the site did not build: see test_strict_build")
    project = copy_project(tmp_path / "project")
    result = subprocess.run(
        [str(zensical), "build"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = (result.stdout + result.stderr).splitlines()
    findings = [line.strip() for line in output if line.strip() and not ROUTINE_OUTPUT.match(line)]
    assert result.returncode == 0, "\n".join(output)

    report = compare(built_site, project / "site", findings)
    if request.config.getoption("--update-zensical"):
        RECORD.write_text(report, encoding="utf-8")
    assert report == RECORD.read_text(encoding="utf-8"), (
        "Zensical's build differs from the record; if that is expected, refresh it with "
        "--update-zensical"
    )


@pytest.mark.parametrize(
    ("environ", "required"),
    [
        ({}, False),
        ({"CI": "false"}, False),
        ({"CI": "true"}, True),
        ({"REQUIRE_SERVICES": "1"}, True),
        ({"REQUIRE_ZENSICAL": "1"}, True),
    ],
)
def test_a_missing_zensical_fails_in_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], *, required: bool
) -> None:
    for name in ("CI", "REQUIRE_SERVICES", "REQUIRE_ZENSICAL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    assert zensical_required() is required
