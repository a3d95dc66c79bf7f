"""Whether the coverage figures on disk hold for this checkout, and the floor is enforced."""

from __future__ import annotations

import tomllib
from pathlib import Path

from guide_kit.coverage.measure import stage_code_fingerprint
from guide_kit.coverage.render import render_figure, render_table
from guide_kit.coverage.results import (
    ASSETS,
    COMMAND,
    DARK_FIGURE_FILE,
    FIGURE_FILE,
    FLOOR,
    PACKAGE,
    RESULTS,
    RESULTS_FILE,
    TABLE_FILE,
    read_results,
    shares,
)
from guide_kit.paths import EXAMPLES
from guide_kit.stage import stage_dirs


def coverage_problems(
    results_dir: Path = RESULTS, assets: Path = ASSETS, examples: Path = EXAMPLES
) -> list[str]:
    """Find what is wrong with the figures on disk, for the stages as they are now.

    Each problem names the command that fixes it.
    """
    if not (results_dir / RESULTS_FILE).is_file():
        return [f"{RESULTS_FILE}: no coverage figures yet: run `{COMMAND}`"]
    results = read_results(results_dir)
    problems: list[str] = []
    stages = stage_dirs(examples)
    for stage in stages:
        entry = results["stages"].get(stage.name)
        rerun = f"run `{COMMAND} --only {stage.name}`"
        if entry is None:
            problems.append(f"{stage.name}: no coverage figure: {rerun}")
            continue
        if entry["fingerprint"] != stage_code_fingerprint(stage):
            problems.append(
                f"{stage.name}: the coverage figure was measured on other code than this "
                f"checkout's (the stage changed since): {rerun}"
            )
        problems += [
            f"{stage.name}: its tests run {share.shown()} of its {kind}, under the floor of "
            f"{FLOOR}%: test the behaviour that the missing ones carry (`uv run pytest --cov` in "
            f"the stage lists them), then {rerun}"
            for kind, share in zip(("lines", "branches"), shares(entry), strict=True)
            if not share.meets_floor
        ]
    gone = sorted(set(results["stages"]) - {stage.name for stage in stages})
    problems += [
        f"{name}: a figure for a stage that no longer exists: run `{COMMAND}`" for name in gone
    ]
    expected = {
        results_dir / TABLE_FILE: render_table(results),
        assets / FIGURE_FILE: render_figure(results),
        assets / DARK_FIGURE_FILE: render_figure(results, dark=True),
    }
    problems += [
        f"{path.name}: not what {RESULTS_FILE} renders: run `{COMMAND} --render`"
        for path, text in expected.items()
        if results["stages"] and (not path.is_file() or path.read_text(encoding="utf-8") != text)
    ]
    return problems


def gate_problems(stage: Path) -> list[str]:
    """Find what a stage's `pyproject.toml` lacks for `uv run pytest --cov` to enforce the floor."""
    with (stage / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)
    coverage = project.get("tool", {}).get("coverage", {})
    run, report = coverage.get("run", {}), coverage.get("report", {})
    dev = " ".join(project.get("dependency-groups", {}).get("dev", []))
    wanted = {
        '[tool.coverage.run] source = ["fast_api_template"]': PACKAGE in run.get("source", []),
        "[tool.coverage.run] branch = true": run.get("branch") is True,
        f"[tool.coverage.report] fail_under = {FLOOR} (or more)": (
            report.get("fail_under", 0) >= FLOOR
        ),
        "pytest-cov in the dev group": "pytest-cov" in dev,
    }
    return [f"{stage.name}/pyproject.toml: add {what}" for what, held in wanted.items() if not held]
