"""The coverage gate: every stage's own tests run at least 90% of its lines and of its branches.

`scripts/py` runs each stage's suite under coverage, which takes minutes, and
writes the figures that the maintainability page shows. These tests run no suite: they read
what the script wrote and check that it still holds for the stages as they are now, and that
each stage enforces the floor by itself, for a reader who copied it (`uv run pytest --cov`).
`test_machinery.py` checks that they fail on a missing, stale or low figure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guide_kit.coverage.check import coverage_problems, gate_problems
from guide_kit.coverage.results import COMMAND
from guide_kit.paths import ROOT
from guide_kit.stage import stage_dirs


def test_every_stage_has_a_current_figure_over_the_floor() -> None:
    problems = coverage_problems()

    assert not problems, "\n\n".join(problems)


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
