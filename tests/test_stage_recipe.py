"""Adding a stage is a checked recipe: each step of "Add a stage" in CONTRIBUTING.md that a test
can see is checked here, and each check says what to do.

The stage's own suite, lint and types (`test_stages.py`), its dependencies in the root
environment (`test_stages.py`), its page in the navigation with its generated diff
(`test_docs_guard.py`) and fresh stage diffs (`test_stage_diffs.py`) are checked elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_docs_guard import prose_files

from guide_kit import anchors
from guide_kit.paths import CONFIG, DOCS, EXAMPLES
from guide_kit.recipe import (
    planned_stage_problems,
    reference_stage_problems,
    stage_name_problems,
    stage_row_problems,
)
from guide_kit.site import site_url
from guide_kit.stage import stage_dirs


def report(problems: list[str]) -> str:
    """Join problems for an assertion message, one paragraph each."""
    return "\n\n".join(problems)


@pytest.mark.parametrize("stage", stage_dirs(), ids=lambda stage: stage.name)
def test_stage_names_itself(stage: Path) -> None:
    """Its package docstring, pyproject description and README name the stage, not the one
    that it was copied from."""
    problems = stage_name_problems(stage, site_url())

    assert not problems, report(problems)


def test_the_api_reference_documents_the_newest_stage() -> None:
    problems = reference_stage_problems(CONFIG, EXAMPLES)

    assert not problems, report(problems)


def test_every_stage_has_its_rows() -> None:
    problems = stage_row_problems(DOCS, EXAMPLES)

    assert not problems, report(problems)


def test_no_page_calls_a_stage_that_exists_planned() -> None:
    problems = [
        problem for path in prose_files() for problem in planned_stage_problems(path, EXAMPLES)
    ]

    assert not problems, report(problems)


def test_no_stage_keeps_a_section_that_no_page_includes() -> None:
    """Every stage, a new one included, keeps only the snippet sections that a page includes."""
    stages = anchors.checked_stages()
    markers = anchors.unused_markers(stages, anchors.default_pages())

    assert stages == stage_dirs()
    assert not markers, report(anchors.describe(markers))
