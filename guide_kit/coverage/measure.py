"""Running a stage's own suite once under coverage, in a copy, and what it measured.

A stage is copied out (its lesson files, as a reader would copy it) and its suite runs in an
environment that uv makes from the stage's own lock file, with the settings of the stage's
`[tool.coverage]` tables. The suites use PostgreSQL and Redis when `TEST_DATABASE_URL` and
`TEST_REDIS_URL` are set, and SQLite alone otherwise; the figures say which.

A figure records the code fingerprint of what was measured. Only code counts: the Python
files, read without their docstrings and comments, and the settings of `pyproject.toml`, so
a reworded comment or a page's section marker leaves the figures current.

A figure is also the record of a whole passing run of the stage's suite, slow tests included:
only a suite that passed gets one. In the same copy, the checks that the kit runs on every
stage besides its suite run too (ruff, `ruff format --check`, `fastapi run`), and the figure
names those that passed. It keeps the content fingerprint of every lesson file that ran, so
that the kit's own test run can tell a stage that has not changed at all since
(`guide_kit.coverage.record`).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from guide_kit.serve import FASTAPI_RUN, health_under_fastapi_run, is_healthy
from guide_kit.stage import (
    STAGE_CHECKS,
    code_fingerprint,
    content_fingerprint,
    copy_stage,
    lesson_files,
    run_in_stage,
    run_stage_suite,
    stage_python,
)

_PASSED = re.compile(r"\b(?P<count>\d+) passed\b")


def code_files(stage: Path) -> list[Path]:
    """List the files that decide a stage's coverage: its Python files and `pyproject.toml`."""
    return [
        relative
        for relative in lesson_files(stage)
        if relative.suffix == ".py" or relative == Path("pyproject.toml")
    ]


def stage_code_fingerprint(stage: Path) -> str:
    """Hash a stage's code by file name and by what it does (see the module's docstring)."""
    return code_fingerprint(
        (relative.as_posix(), stage / relative) for relative in code_files(stage)
    )


# The servers that the suites test against besides SQLite, and the variable that names each.
SERVICE_VARIABLES = {"PostgreSQL": "TEST_DATABASE_URL", "Redis": "TEST_REDIS_URL"}


def services() -> list[str]:
    """Name the servers that the suites test against besides SQLite, from the environment."""
    return [name for name, variable in SERVICE_VARIABLES.items() if os.environ.get(variable)]


def checks_passed(copy: Path) -> list[str]:
    """Run the kit's checks of a stage besides its suite in a copy; name those that passed."""
    passed = [
        name
        for name, command in STAGE_CHECKS.items()
        if run_in_stage(copy, *command).returncode == 0
    ]
    try:
        response, _output = health_under_fastapi_run(copy)
    except httpx.TransportError:
        return passed
    return [*passed, FASTAPI_RUN] if is_healthy(response) else passed


def measure(stage: Path, workdir: Path) -> dict[str, Any]:
    """Run a stage's own suite once under coverage, in a copy, and return its figures."""
    copy = copy_stage(stage, workdir)
    report = workdir / f"{stage.name}.json"
    started = datetime.now(UTC)
    result = run_stage_suite(
        copy,
        "-q",
        "--cov",
        f"--cov-report=json:{report}",
        "--cov-report=term-missing:skip-covered",
        # The floor is judged apart, for lines and branches; the exit code is the tests'.
        "--cov-fail-under=0",
        timeout=1800,
    )
    seconds = (datetime.now(UTC) - started).total_seconds()
    output = result.stdout + result.stderr
    if result.returncode != 0 or not report.is_file():
        return {"stage": stage.name, "failed": True, "output": output}
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    passed = _PASSED.findall(output)
    return {
        "stage": stage.name,
        "fingerprint": stage_code_fingerprint(copy),
        "lesson_fingerprint": content_fingerprint(copy),
        "checks_passed": checks_passed(copy),
        "lines": {"covered": totals["covered_lines"], "total": totals["num_statements"]},
        "branches": {"covered": totals["covered_branches"], "total": totals["num_branches"]},
        "tests_passed": int(passed[-1]) if passed else 0,
        "seconds": round(seconds, 1),
        "date": started.date().isoformat(),
        "python": stage_python(copy),
        "services": services(),
        "output": output,
    }
