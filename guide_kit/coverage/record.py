"""Whether a stage's recorded coverage run still stands for a run of its suite.

The coverage figures are made by running each stage's whole suite, slow tests included, with
PostgreSQL and Redis, and only a suite that passed gets a figure (`measure`). A figure names
the other checks that passed in the same copy (ruff, its format check, `fastapi run`), and
keeps the content fingerprint of every lesson file that ran. While a stage's lesson files are those
same files, byte for byte, running its suite and those checks again proves nothing new: the kit's
own test run reads the record instead, and CI's coverage job runs every suite again on each push.
"""

from __future__ import annotations

from pathlib import Path

from guide_kit.coverage.measure import SERVICE_VARIABLES
from guide_kit.coverage.results import COMMAND, RESULTS, read_results
from guide_kit.serve import FASTAPI_RUN
from guide_kit.stage import STAGE_CHECKS, content_fingerprint

# A record stands for a run of the kit's only when every server that the suites use was there.
REQUIRED_SERVICES = frozenset(SERVICE_VARIABLES)
# And only when every check that the kit runs in a stage's copy besides its suite passed.
REQUIRED_CHECKS = frozenset([*STAGE_CHECKS, FASTAPI_RUN])


def standing_record(stage: Path, results_dir: Path = RESULTS) -> str | None:
    """Describe the recorded passing run that still stands for `stage`, or None if none does.

    None when the stage has no figure, when its figure ran without PostgreSQL or Redis, ran no
    test or lacks a check that passed, or when any of its lesson files changed since (a comment,
    a lock file, a page's section marker: anything).
    """
    entry = read_results(results_dir)["stages"].get(stage.name)
    if entry is None or entry.get("lesson_fingerprint") != content_fingerprint(stage):
        return None
    if not set(entry["services"]) >= REQUIRED_SERVICES or entry["tests_passed"] < 1:
        return None
    if not set(entry.get("checks_passed", [])) >= REQUIRED_CHECKS:
        return None
    return (
        f"its lesson files are those of its recorded run of {entry['date']}: its whole suite, "
        f"{entry['tests_passed']:,} passed with PostgreSQL and Redis at hand, and its ruff and "
        f"`fastapi run` checks passed (`{COMMAND} --only {stage.name}` runs them again)"
    )
