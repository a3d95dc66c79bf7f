"""Measure how much of each stage its own tests run, lines and branches, for the guide to show.

    uv run python scripts/coverage_report.py                       # every stage
    uv run python scripts/coverage_report.py --only 09-production  # one stage; keep the others
    uv run python scripts/coverage_report.py --check               # are the figures current?

Each stage is copied out of the repository (its lesson files, as a reader would copy it) and
its own suite runs once, under coverage, in an environment that uv makes from the stage's own
lock file: `uv run --locked pytest --cov`, with the settings of the stage's `[tool.coverage]`
tables. The suites use PostgreSQL and Redis when `TEST_DATABASE_URL` and `TEST_REDIS_URL` are
set, as in CI, and SQLite alone otherwise; the results say which.

It writes three files, which the maintainability page includes:

- `coverage-results/stages.json`: per stage, lines and branches covered, their totals and
  percentages, the fingerprint of the code that was measured, the date, Python and services;
- `coverage-results/stages.md`: the same as a table;
- `docs/assets/coverage/stages.svg`: the same as a bar chart, with the floor.

It exits with 1 when a suite fails, or when a stage covers less than `FLOOR` percent of its
lines or of its branches. Two suites run at a time: all nine took under four minutes on a
busy 2-core machine with PostgreSQL and Redis, and one stage takes as long as its suite (up
to two minutes for the last stages). Run it after changing a stage's code or tests:
`tests/test_coverage_gate.py` fails while a figure was measured on other code than the
checkout's. Only code counts for that: the Python files, read without their docstrings and
comments, and the settings of `pyproject.toml`, so a reworded comment or a page's section
marker leaves the figures current.

A figure is also the record of the stage's whole suite passing, with a hash of every file that
ran: while an older stage's files hash the same, `uv run pytest` does not run its suite again
(`guide_kit.coverage.record`).

The work is done by the package `guide_kit.coverage`; this is its command line.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from guide_kit.coverage.check import coverage_problems, gate_problems
from guide_kit.coverage.measure import measure
from guide_kit.coverage.render import write_results
from guide_kit.coverage.results import ASSETS, FLOOR, RESULTS, read_results, shares
from guide_kit.paths import EXAMPLES
from guide_kit.stage import stage_dirs


def run(stages: Sequence[Path], jobs: int) -> tuple[dict[str, Any], list[str]]:
    """Measure the stages, `jobs` suites at a time; return the entries and the failures."""
    entries: dict[str, Any] = {}
    failures: list[str] = []
    # The copies, and the environments that uv makes in them, go on disk; each suite's
    # temporary files go in memory (see `measure`).
    with (
        tempfile.TemporaryDirectory(prefix="coverage-") as workdir,
        ThreadPoolExecutor(max_workers=jobs) as pool,
    ):
        running = [pool.submit(measure, stage, Path(workdir)) for stage in stages]
        for done in as_completed(running):
            entry = done.result()
            output, name = entry.pop("output"), entry.pop("stage")
            if entry.get("failed"):
                print(f"{name}: its suite failed", flush=True)
                failures.append(f"{name}: its suite failed:\n{output}")
                continue
            entries[name] = entry
            print(summary_line(name, entry), flush=True)
    return entries, failures


def summary_line(name: str, entry: dict[str, Any]) -> str:
    """Format one stage's figures for the terminal."""
    lines, branches = shares(entry)
    return (
        f"{name}: lines {lines.shown()}, branches {branches.shown()}, "
        f"{entry['tests_passed']} tests in {entry['seconds']} s"
    )


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--only", action="append", metavar="STAGE", help="measure this stage only (repeatable)"
    )
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--output", type=Path, help="write the three files into this folder instead"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", action="store_true", help="check the files; run nothing")
    action.add_argument("--render", action="store_true", help="rewrite the table and figure")
    return parser.parse_args(argv)


def selected(names: Iterable[str] | None) -> list[Path]:
    """Return the stages to measure: those named, or every stage."""
    stages = stage_dirs(EXAMPLES)
    if not names:
        return stages
    by_name = {stage.name: stage for stage in stages}
    unknown = sorted(set(names) - set(by_name))
    if unknown:
        raise SystemExit(f"no such stage: {', '.join(unknown)} (stages: {', '.join(by_name)})")
    return [by_name[name] for name in sorted(set(names))]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, render or check, as the command line says."""
    options = parse_arguments(argv)
    results_dir = options.output or RESULTS
    assets = options.output or ASSETS
    if options.check:
        problems = coverage_problems()
        problems += [problem for stage in stage_dirs(EXAMPLES) for problem in gate_problems(stage)]
        print("\n".join(problems) or "the coverage figures are current")
        return 1 if problems else 0
    results = read_results(RESULTS)
    failures: list[str] = []
    if not options.render:
        entries, failures = run(selected(options.only), max(1, options.jobs))
        results["floor"] = FLOOR
        results["stages"].update(entries)
    # The stages whose suite passed keep their new figures, even when another one failed.
    write_results(results, results_dir, assets)
    if failures:
        print("\n\n".join(failures), file=sys.stderr)
        return 1
    under = [
        name
        for name, entry in sorted(results["stages"].items())
        if not all(share.meets_floor for share in shares(entry))
    ]
    if under:
        print(f"under the floor of {FLOOR}% of lines or branches: {', '.join(under)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
