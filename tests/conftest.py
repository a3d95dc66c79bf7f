"""Options and reporting shared by the kit's own tests."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from guide_kit.coverage.record import standing_record
from guide_kit.site import BuiltSite, build_site_once
from guide_kit.stage import stage_dirs

STAGE_REPORT_KEY = "stage_report"

# Some machines (container images, CI runners) set PYTHONDONTWRITEBYTECODE. Then every Python
# process that this suite starts, a stage's own suite, its servers and workers, compiles every
# module it imports from source again, seconds of CPU each time. The stages' environments are
# throwaway copies: let their bytecode be written and reused.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add `--update-snippets` and `--update-zensical`, which rewrite recorded outputs, and
    `--every-stage`."""
    parser.addoption(
        "--update-snippets",
        action="store_true",
        help="rewrite snippets/*.out with what each snippet prints now",
    )
    parser.addoption(
        "--every-stage",
        action="store_true",
        help="run every stage's suite, also an older one that its coverage record stands for",
    )
    parser.addoption(
        "--update-zensical",
        action="store_true",
        help="rewrite tests/zensical-comparison.txt with what the Zensical build gives now",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print, per stage, the tests its own suite ran, so that CI shows them by name.

    The stage suites run in subprocesses; their reports travel back as user properties, which
    pytest-xdist carries from the workers to this process.
    """
    reports = [
        value
        for status in ("passed", "failed")
        for report in terminalreporter.stats.get(status, [])
        if report.when == "call"
        for key, value in report.user_properties
        if key == STAGE_REPORT_KEY
    ]
    if not reports:
        return
    _to_run, recorded = stage_runs_needed(terminalreporter.config)
    terminalreporter.section("tests run inside each stage")
    for name, why in sorted(recorded.items()):
        terminalreporter.write_line(f"examples/{name}: not run again: {why}")
    for text in sorted(reports):
        terminalreporter.write_line(str(text))


# The number of the newest stage: its suite is the largest.
NEWEST_NUMBER = int(stage_dirs()[-1].name[:2])
# Two stages, an early one and the last, are copied the way a reader starts a service: with the
# scaffold command, under another name. Their suites, lint and `fastapi run` (test_stages.py)
# then prove the scaffolded service, not only the stage.
SCAFFOLDED = {"02-settings": "early_api", "09-production": "acme_api"}


def stage_runs_needed(config: pytest.Config) -> tuple[list[Path], dict[str, str]]:
    """Return the stages whose suites and checks this run must run, and why each other one
    need not (test_stages.py's RECORDED_TESTS are those it stands for).

    The newest stage always runs: readers copy it, and the how-to recipes build on it. So do
    the scaffolded ones: their copies come from the scaffold command, which no record ran.
    An older stage whose lesson files are those of its recorded whole run (coverage-results/,
    which CI's coverage job makes again on each push) runs only with `--every-stage`.
    """
    return _stage_runs(every_stage=bool(config.getoption("every_stage")))


@cache  # asked at collection and again for the summary: each stage's files are hashed once
def _stage_runs(*, every_stage: bool) -> tuple[list[Path], dict[str, str]]:
    stages = stage_dirs()
    to_run: list[Path] = []
    recorded: dict[str, str] = {}
    for stage in stages:
        always = every_stage or stage == stages[-1] or stage.name in SCAFFOLDED
        record = None if always else standing_record(stage)
        if record is None:
            to_run.append(stage)
        else:
            recorded[stage.name] = record
    return to_run, recorded


# Tests that take many seconds each, besides the stages' own suites, longest first.
LONG_TESTS = (
    "test_every_page_as_a_reader_sees_it",
    "test_the_recipes_apply_in_order_and_pass_their_checks",
    "test_the_kit_and_every_stage_type_check",
    "test_stage_serves_with_fastapi_run",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the longest tests first, so that no long test starts last and runs alone.

    pytest-xdist hands tests to its workers in this order. The stages' own suites (the newest,
    largest one first) alternate with LONG_TESTS: the first part of the newest stage's suite,
    the walk of the site, its second part, the how-to recipes, and so on, with the suite of any
    older stage that runs in between. Each of the first four takes half a minute or more;
    started one after another, the last of them would end with the other worker idle (a
    measured 15 seconds, when the walk and the recipes ran in turn after every stage's suite).
    """

    def rank(item: pytest.Item) -> tuple[int, int]:
        name = item.originalname if isinstance(item, pytest.Function) else ""
        if name == "test_stage_suite":
            stage = item.callspec.params["stage"]  # type: ignore[attr-defined]
            # How many stages older than the newest: 0 for the newest, 1 for the one before...
            age = NEWEST_NUMBER - int(stage.name[:2]) if isinstance(stage, Path) else 0
            # The newest stage runs in two parts (test_stages.py): the second takes the next slot.
            second_part = item.callspec.params.get("part") == "rest"  # type: ignore[attr-defined]
            return (0, 2 * (age + second_part))
        if name in LONG_TESTS:
            return (0, 2 * LONG_TESTS.index(name) + 1)
        if item.nodeid.startswith("tests/test_site_browser.py"):
            # The rest of the browser tests go last: by then the walk is taken, and a worker
            # reads its record (test_site_browser.py) instead of walking the site again.
            return (2, 0)
        return (1, 0)

    items.sort(key=rank)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> BuiltSite:
    """The guide, built once per test run by `mkdocs build --strict`, for every test that
    reads the site: the strict build, the link check, the browser and Zensical.

    Under pytest-xdist the workers share the parent of their temporary folders, and the first
    worker to need the site builds it there for all of them.
    """
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent
    return build_site_once(root / "built-site")
