"""Every stage, copied out of the repository, passes its own tests, lint and type checks.

A stage's checks run in its own environment, made by uv from the stage's own lock file, exactly
as for a reader who copied it. The checks of one stage share one copy and run on one worker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import STAGE_REPORT_KEY
from kit import STAGE_CHECKS, copy_stage, run_in_stage, run_stage_suite, stage_dirs

_RESULT_LINE = re.compile(r"^(?P<test>\S+::\S+) (?P<outcome>PASSED|FAILED|SKIPPED|ERROR|XFAIL)")
STAGES = [pytest.param(s, id=s.name, marks=pytest.mark.xdist_group(s.name)) for s in stage_dirs()]


@pytest.fixture(scope="session")
def stage_copy(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """Copy each stage once per worker, on first use."""
    copies: dict[Path, Path] = {}

    def copy(stage: Path) -> Path:
        if stage not in copies:
            copies[stage] = copy_stage(stage, tmp_path_factory.mktemp("stage"))
        return copies[stage]

    return copy


def summarise(stage_name: str, output: str) -> str:
    """Keep a suite's closing line and its per-test result lines, for the terminal summary."""
    results = [
        line.split(" [")[0].rstrip() for line in output.splitlines() if _RESULT_LINE.match(line)
    ]
    tail = output.strip().splitlines()[-1] if output.strip() else "(no output)"
    return "\n".join([f"examples/{stage_name}: {tail}", *(f"    {r}" for r in results)])


@pytest.mark.parametrize("stage", STAGES)
def test_stage_suite(
    stage: Path,
    stage_copy: Callable[[Path], Path],
    record_property: Callable[[str, object], None],
) -> None:
    result = run_stage_suite(stage_copy(stage))

    output = result.stdout + result.stderr
    record_property(STAGE_REPORT_KEY, summarise(stage.name, result.stdout))
    assert result.returncode == 0, f"the suite of {stage.name} failed:\n{output}"
    assert re.search(r"\b\d+ passed\b", output), f"{stage.name} ran no test:\n{output}"


@pytest.mark.parametrize("check", STAGE_CHECKS)
@pytest.mark.parametrize("stage", STAGES)
def test_stage_check(stage: Path, check: str, stage_copy: Callable[[Path], Path]) -> None:
    result = run_in_stage(stage_copy(stage), *STAGE_CHECKS[check])

    assert result.returncode == 0, (
        f"{check} failed in {stage.name}:\n{result.stdout}{result.stderr}"
    )
