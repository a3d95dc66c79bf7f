"""Nothing on a page escapes the tests: every Python block runs or is included from tested code,
every stage has a page, and every page is in the navigation."""

from __future__ import annotations

from typing import Any

from mkdocs.config import load_config

from kit import DOCS, ROOT, fenced_blocks, guard_problems, markdown_files
from stage_diffs import stage_dirs


def nav_pages(entries: Any) -> set[str]:
    """Flatten MkDocs' `nav` into the set of page paths it names."""
    if isinstance(entries, str):
        return set() if entries.startswith(("http://", "https://")) else {entries}
    if isinstance(entries, dict):
        return set().union(*(nav_pages(value) for value in entries.values()))
    if isinstance(entries, list):
        return set().union(*(nav_pages(entry) for entry in entries))
    return set()


def navigation() -> set[str]:
    """The pages that `mkdocs.yml` puts in the navigation."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    return nav_pages(config["nav"])


def pages() -> set[str]:
    """Every page of the guide, relative to `docs/`, less the generated fragments."""
    return {
        path.relative_to(DOCS).as_posix()
        for path in DOCS.rglob("*.md")
        if "diffs" not in path.relative_to(DOCS).parts
    }


def test_every_python_block_is_run_or_included() -> None:
    assert guard_problems(markdown_files()) == []


def test_the_guard_sees_blocks_on_every_page() -> None:
    python_blocks = [b for path in markdown_files() for b in fenced_blocks(path) if b.is_python]
    assert len(python_blocks) >= len(stage_dirs()), "the guard found suspiciously few blocks"


def test_every_page_is_in_the_navigation() -> None:
    assert pages() - navigation() == set()


def test_the_navigation_names_only_existing_pages() -> None:
    assert navigation() - pages() == set()


def test_every_stage_has_a_page_in_the_navigation() -> None:
    expected = {f"stages/{stage.name}.md" for stage in stage_dirs()}
    assert expected - navigation() == set()


def test_every_stage_page_shows_its_generated_diff() -> None:
    for stage in stage_dirs():
        page = (DOCS / "stages" / f"{stage.name}.md").read_text(encoding="utf-8")
        assert f'--8<-- "docs/stages/diffs/{stage.name}.diff"' in page, stage.name
        assert f'--8<-- "docs/stages/diffs/{stage.name}.md"' in page, stage.name
