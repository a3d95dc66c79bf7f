"""Whether a stage's recorded coverage run still stands for a run of its suite.

The coverage figures are made by running each stage's whole suite, slow tests included, with
PostgreSQL and Redis, and only a suite that passed gets a figure (`measure`). A figure keeps
the content fingerprint of every lesson file that ran. While a stage's lesson files are those
same files, byte for byte, running its suite again proves nothing new: the kit's own test run
reads the record instead, and CI's coverage job runs every suite again on each push.
"""

from __future__ import annotations

from pathlib import Path

from guide_kit.coverage.measure import SERVICE_VARIABLES
from guide_kit.coverage.results import COMMAND, RESULTS, read_results
from guide_kit.stage import content_fingerprint

# A record stands for a run of the kit's only when every server that the suites use was there.
REQUIRED_SERVICES = frozenset(SERVICE_VARIABLES)


def standing_record(stage: Path, results_dir: Path = RESULTS) -> str | None:
    """Describe the recorded passing run that still stands for `stage`, or None if none does.

    None when the stage has no figure, when its figure ran without PostgreSQL or Redis or ran
    no test, or when any of its lesson files changed since (a comment, a lock file, a page's
    section marker: anything).
    """
    entry = read_results(results_dir)["stages"].get(stage.name)
    if entry is None or entry.get("lesson_fingerprint") != content_fingerprint(stage):
        return None
    if not set(entry["services"]) >= REQUIRED_SERVICES or entry["tests_passed"] < 1:
        return None
    return (
        f"its lesson files are those of its whole suite's run of {entry['date']}, "
        f"{entry['tests_passed']:,} passed with PostgreSQL and Redis at hand "
        f"(`{COMMAND} --only {stage.name}` runs it again)"
    )
