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
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from stage_diffs import EXAMPLES, IGNORED_PARTS, ROOT, is_lesson_file, stage_dirs

RESULTS = ROOT / "coverage-results"
ASSETS = ROOT / "docs" / "assets" / "coverage"
RESULTS_FILE = "stages.json"
TABLE_FILE = "stages.md"
FIGURE_FILE = "stages.svg"
# The same figure for the dark palette: a page shows the one that matches its palette.
DARK_FIGURE_FILE = "stages.dark.svg"
COMMAND = "uv run python scripts/coverage_report.py"
# The least share of a stage's lines, and of its branches, that its own tests must run.
FLOOR = 90
PACKAGE = "fast_api_template"
# Where a stage's tests put their temporary files: a memory-backed folder spares each test's
# SQLite database its disk syncs (tests/kit.py runs the suites the same way).
MEMORY_TMP = Path("/dev/shm")  # noqa: S108 - only a parent for private temporary folders
_PASSED = re.compile(r"\b(?P<count>\d+) passed\b")


# --- The code a figure was measured on ---------------------------------------------------------


def code_files(stage: Path) -> list[Path]:
    """List the files that decide a stage's coverage: its Python files and `pyproject.toml`.

    The walk skips ignored folders instead of filtering their files afterwards: a stage's
    `.venv` alone holds tens of thousands of files.
    """
    found = []
    for directory, folders, files in os.walk(stage):
        relative = Path(directory).relative_to(stage)
        folders[:] = sorted(name for name in folders if name not in IGNORED_PARTS)
        found += [
            relative / name
            for name in files
            if (name.endswith(".py") or relative / name == Path("pyproject.toml"))
            and is_lesson_file(relative / name)
        ]
    return sorted(found, key=lambda path: path.as_posix())


def code_fingerprint(stage: Path) -> str:
    """Hash a stage's code by file name and by what it does (see the module's docstring)."""
    digest = hashlib.sha256()
    for relative in code_files(stage):
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(_behaviour(stage / relative) + b"\0")
    return digest.hexdigest()


def _behaviour(path: Path) -> bytes:
    text = path.read_bytes()
    if path.suffix == ".py":
        return _python_behaviour(text)
    # pyproject.toml, read as its tools read it: its comments (and page sections) aside.
    return json.dumps(tomllib.loads(text.decode()), sort_keys=True).encode()


@cache
def _python_behaviour(source: bytes) -> bytes:
    # Comments are not in the tree; docstrings are, and do nothing when run.
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            body[:] = [ast.Pass() if _is_docstring(statement) else statement for statement in body]
    return ast.dump(tree, include_attributes=False).encode()


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


# --- Running a stage's suite under coverage ----------------------------------------------------


@dataclass(frozen=True)
class Share:
    """How many of a stage's lines, or branches, its tests ran."""

    covered: int
    total: int

    @property
    def percent(self) -> float:
        """The share as a percentage; a stage with nothing to cover covers all of it."""
        return 100.0 if self.total == 0 else 100.0 * self.covered / self.total

    @property
    def meets_floor(self) -> bool:
        """Whether at least `FLOOR` percent is covered, compared exactly, not rounded."""
        return self.covered * 100 >= FLOOR * self.total

    def shown(self) -> str:
        """Show the share as the table does, rounded down: 89.96% never reads as 90.0%."""
        if self.total == 0:
            return "none to cover"
        tenths = self.covered * 1000 // self.total
        return f"{tenths // 10}.{tenths % 10}% ({self.covered:,} of {self.total:,})"


def copy_stage(stage: Path, destination: Path) -> Path:
    """Copy a stage's lesson files (no environment, caches or local data) into `destination`."""

    def not_lesson(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(stage)
        return {name for name in names if not is_lesson_file(relative / name)}

    target = destination / stage.name
    shutil.copytree(stage, target, ignore=not_lesson)
    return target


def suite_environment() -> dict[str, str]:
    """Our environment for a stage's suite, minus our own virtualenv and test runner."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_CORE_", "COVERAGE_"))
    }
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env["UV_NO_PROGRESS"] = "1"
    return env


def services() -> list[str]:
    """Name the servers that the suites test against besides SQLite, from the environment."""
    named = {"PostgreSQL": "TEST_DATABASE_URL", "Redis": "TEST_REDIS_URL"}
    return [name for name, variable in named.items() if os.environ.get(variable)]


def measure(stage: Path, workdir: Path) -> dict[str, Any]:
    """Run a stage's own suite once under coverage, in a copy, and return its figures."""
    copy = copy_stage(stage, workdir)
    report = workdir / f"{stage.name}.json"
    memory = MEMORY_TMP if MEMORY_TMP.is_dir() else None
    with tempfile.TemporaryDirectory(dir=memory, prefix=f"coverage-{stage.name}-") as basetemp:
        return _measure(stage, copy, report, Path(basetemp))


def _measure(stage: Path, copy: Path, report: Path, basetemp: Path) -> dict[str, Any]:
    command = [
        shutil.which("uv") or "uv",
        "run",
        "--locked",
        "--quiet",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        # Every test, the slow ones too (from stage 07, `uv run pytest` leaves them out).
        "-m",
        "",
        f"--basetemp={basetemp}",
        "--cov",
        f"--cov-report=json:{report}",
        "--cov-report=term-missing:skip-covered",
        # The floor is judged below, for lines and branches apart; the exit code is the tests'.
        "--cov-fail-under=0",
    ]
    started = datetime.now(UTC)
    result = subprocess.run(  # noqa: S603 - uv, with our own arguments
        command,
        cwd=copy,
        env=suite_environment(),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    seconds = (datetime.now(UTC) - started).total_seconds()
    output = result.stdout + result.stderr
    if result.returncode != 0 or not report.is_file():
        return {"stage": stage.name, "failed": True, "output": output}
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    passed = _PASSED.findall(output)
    return {
        "stage": stage.name,
        "fingerprint": code_fingerprint(copy),
        "lines": {"covered": totals["covered_lines"], "total": totals["num_statements"]},
        "branches": {"covered": totals["covered_branches"], "total": totals["num_branches"]},
        "tests_passed": int(passed[-1]) if passed else 0,
        "seconds": round(seconds, 1),
        "date": started.date().isoformat(),
        "python": stage_python(copy),
        "services": services(),
        "output": output,
    }


def stage_python(stage_copy: Path) -> str:
    """Return the Python version of a stage's environment (uv picks it by `requires-python`)."""
    result = subprocess.run(  # noqa: S603 - uv, with our own arguments
        [shutil.which("uv") or "uv", "run", "--locked", "--quiet", "python", "--version"],
        cwd=stage_copy,
        env=suite_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.split()[-1] if result.returncode == 0 else platform.python_version()


# --- The results, as JSON, a table and a figure ------------------------------------------------


def shares(entry: dict[str, Any]) -> tuple[Share, Share]:
    """Return the lines and the branches of one stage's entry in the results."""
    return Share(**entry["lines"]), Share(**entry["branches"])


def stage_label(name: str) -> str:
    """`09-production` as the guide names it: `09 production`."""
    return name.replace("-", " ", 1)


def render_table(results: dict[str, Any]) -> str:
    """Render the results as the Markdown table that the maintainability page includes."""
    rows = [
        f"<!-- Generated by `{COMMAND}` from {RESULTS_FILE}: do not edit. -->",
        "| stage | lines | branches | tests |",
        "|:--|--:|--:|--:|",
    ]
    for name, entry in sorted(results["stages"].items()):
        lines, branches = shares(entry)
        rows.append(
            f"| {stage_label(name)} | {lines.shown()} | {branches.shown()} | "
            f"{entry['tests_passed']:,} |"
        )
    measured = sorted(
        {
            (entry["date"], entry["python"], backends(entry["services"]))
            for entry in results["stages"].values()
        }
    )
    runs = "; ".join(f"on {date} with Python {python}, {used}" for date, python, used in measured)
    rows += [
        "",
        f"Floor: {results['floor']}% of the lines and {results['floor']}% of the branches of "
        f"`{PACKAGE}`, in every stage. Each stage's own suite ran once under coverage, in a "
        "copy of the stage and the environment of its own lock file.",
        "",
        f"<small>Measured by `{COMMAND}` {runs}.</small>",
    ]
    return "\n".join(rows) + "\n"


def backends(servers: Sequence[str]) -> str:
    """Say what the suites ran against: SQLite always, the servers where a stage uses them."""
    if not servers:
        return "on SQLite only"
    return f"on SQLite, and on {' and '.join(servers)} in the stages that use them"


# The figure's geometry, in pixels: one row per stage, a bar for lines above one for branches.
# The axis starts at `_AXIS_FROM` percent: every stage is near the floor or above it, and a
# bar that starts at zero would hide the differences that matter.
_LEFT, _BAR_WIDTH, _BAR, _ROW, _TOP = 130, 420, 11, 34, 40
_AXIS_FROM = 80
_TICKS = (80, 85, 90, 95, 100)
# Bars 3:1 or more against the page, text 4.5:1 or more, in each palette; the background is
# the page's own (transparent).
_THEMES = {
    "light": {
        "lines": "#3f51b5",
        "branches": "#00796b",
        "ink": "#212121",
        "grid": "#e0e0e0",
        "floor": "#c62828",
        "axis": "#757575",
    },
    "dark": {
        "lines": "#8c9eff",
        "branches": "#4db6ac",
        "ink": "#e0e0e0",
        "grid": "#3c4150",
        "floor": "#ef9a9a",
        "axis": "#9e9e9e",
    },
}
_KINDS = ("lines", "branches")


def _x(percent: float) -> float:
    """Where a percentage falls on the axis (the axis's start for anything below it)."""
    share = (max(percent, _AXIS_FROM) - _AXIS_FROM) / (100 - _AXIS_FROM)
    return _LEFT + _BAR_WIDTH * share


def render_figure(results: dict[str, Any], *, dark: bool = False) -> str:
    """Render the results as an SVG bar chart: the same input always gives the same file."""
    theme = _THEMES["dark" if dark else "light"]
    ink = theme["ink"]
    stages = sorted(results["stages"].items())
    bottom = _TOP + _ROW * len(stages)
    width, height = _LEFT + _BAR_WIDTH + 80, bottom + 62
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        "<title>Lines and branches of each stage that its own tests run</title>",
    ]
    for tick in _TICKS:
        x = _x(tick)
        parts += [
            f'<line x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="{theme["grid"]}"/>',
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" fill="{ink}">{tick}%</text>',
        ]
    parts.append(
        f'<text x="8" y="{bottom + 40}" font-size="12" fill="{ink}">The axis starts at '
        f"{_AXIS_FROM}%: every stage is above it, and from 0 the differences would not show."
        "</text>"
    )
    for index, kind in enumerate(_KINDS):
        x = _LEFT + index * 110
        parts += [
            f'<rect x="{x}" y="10" width="12" height="12" fill="{theme[kind]}"/>',
            f'<text x="{x + 18}" y="20" fill="{ink}">{kind}</text>',
        ]
    floor_x = _x(results["floor"])
    parts.append(
        f'<text x="{_LEFT + 240}" y="20" fill="{theme["floor"]}">- - floor '
        f"{results['floor']}%</text>"
    )
    for row, (name, entry) in enumerate(stages):
        parts += _stage_row(_TOP + row * _ROW, name, entry, theme)
    parts += [
        f'<line x1="{floor_x:.1f}" y1="{_TOP - 6}" x2="{floor_x:.1f}" y2="{bottom}" '
        f'stroke="{theme["floor"]}" stroke-width="1.5" stroke-dasharray="4 3"/>',
        f'<line x1="{_LEFT}" y1="{_TOP - 6}" x2="{_LEFT}" y2="{bottom}" stroke="{theme["axis"]}"/>',
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _stage_row(top: int, name: str, entry: dict[str, Any], theme: dict[str, str]) -> list[str]:
    """One stage's label and its two bars, each with its figure after it."""
    parts = [
        f'<text x="{_LEFT - 8}" y="{top + _BAR + 4}" text-anchor="end" fill="{theme["ink"]}">'
        f"{escape(stage_label(name))}</text>"
    ]
    for offset, (kind, share) in enumerate(zip(_KINDS, shares(entry), strict=True)):
        y = top + offset * (_BAR + 1)
        end = _x(share.percent) if share.total else _LEFT
        label = share.shown().split(" (")[0]
        parts += [
            f'<rect x="{_LEFT}" y="{y}" width="{end - _LEFT:.1f}" height="{_BAR}" '
            f'fill="{theme[kind]}"/>',
            f'<text x="{end + 4:.1f}" y="{y + _BAR - 1}" font-size="12" fill="{theme["ink"]}">'
            f"{label}</text>",
        ]
    return parts


def read_results(results_dir: Path) -> dict[str, Any]:
    """Read the results on disk (none yet when the file is missing)."""
    path = results_dir / RESULTS_FILE
    if not path.is_file():
        return {"floor": FLOOR, "stages": {}}
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def write_results(results: dict[str, Any], results_dir: Path, assets: Path) -> None:
    """Write the JSON, the table and the figure."""
    results_dir.mkdir(parents=True, exist_ok=True)
    assets.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, sort_keys=True) + "\n"
    (results_dir / RESULTS_FILE).write_text(text, encoding="utf-8")
    (results_dir / TABLE_FILE).write_text(render_table(results), encoding="utf-8")
    (assets / FIGURE_FILE).write_text(render_figure(results), encoding="utf-8")
    (assets / DARK_FIGURE_FILE).write_text(render_figure(results, dark=True), encoding="utf-8")


# --- Whether the results on disk hold for this checkout ----------------------------------------


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
        if entry["fingerprint"] != code_fingerprint(stage):
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


# --- The command -------------------------------------------------------------------------------


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
