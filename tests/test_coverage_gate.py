"""The coverage gate: every stage's own tests run at least 90% of its lines and of its branches.

`scripts/coverage_report.py` runs each stage's suite under coverage, which takes minutes, and
writes the figures that the maintainability page shows. These tests run no suite: they read
what the script wrote and check that it still holds for the stages as they are now, and that
each stage enforces the floor by itself, for a reader who copied it (`uv run pytest --cov`).
`test_machinery.py` checks that they fail on a missing, stale or low figure.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from guide_kit.coverage.check import coverage_problems, gate_problems
from guide_kit.coverage.record import standing_record
from guide_kit.coverage.results import COMMAND, RESULTS, read_results, shares
from guide_kit.paths import ROOT
from guide_kit.stage import stage_dirs


def test_every_stage_has_a_current_figure_over_the_floor() -> None:
    problems = coverage_problems()

    assert not problems, "\n\n".join(problems)


def test_each_older_stage_has_a_record_that_stands_for_its_suite() -> None:
    """Without one, `uv run pytest` runs that stage's whole suite again on every run."""
    stale = [stage.name for stage in stage_dirs()[:-1] if standing_record(stage) is None]

    assert not stale, (
        f"{', '.join(stale)}: the stage changed since its suite's recorded run (or the record "
        "ran without PostgreSQL and Redis), so every `uv run pytest` runs its whole suite "
        f"again: with TEST_DATABASE_URL and TEST_REDIS_URL set, run `{COMMAND} --only <stage>`"
    )


def test_the_figures_description_names_the_lowest_share() -> None:
    """Whoever cannot see the bars reads the description: it must name the lowest one now."""
    figures = [
        (share.covered / share.total, share.shown().split(" ")[0], kind, name[:2])
        for name, entry in read_results(RESULTS)["stages"].items()
        for kind, share in zip(("lines", "branches"), shares(entry), strict=True)
        if share.total
    ]
    _, percent, kind, number = min(figures)
    page = (ROOT / "docs" / "scaling" / "maintainability.md").read_text(encoding="utf-8")
    descriptions = re.findall(r"!\[([^\]]*)\]\(\.\./assets/coverage/", page)

    assert len(descriptions) == 2, "the light and the dark figure"
    for description in descriptions:
        assert f"the lowest, {percent} of the {kind} of stage {number}," in description


@pytest.mark.parametrize("stage", stage_dirs(), ids=lambda stage: stage.name)
def test_the_stage_enforces_the_floor_by_itself(stage: Path) -> None:
    problems = gate_problems(stage)

    assert not problems, "\n".join(problems)


def test_the_kits_ci_runs_the_gate_with_postgresql_and_redis() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    gated = [
        job
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("run", "").startswith(COMMAND)
    ]

    assert len(gated) == 1, f"one job of CI runs `{COMMAND}`"
    assert set(gated[0]["services"]) == {"postgres", "redis"}
    assert gated[0]["env"]["REQUIRE_SERVICES"] == "1"
