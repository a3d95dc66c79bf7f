"""Options and reporting shared by the kit's own tests."""

from __future__ import annotations

import pytest

STAGE_REPORT_KEY = "stage_report"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add `--update-snippets`, which rewrites each snippet's recorded output."""
    parser.addoption(
        "--update-snippets",
        action="store_true",
        help="rewrite snippets/*.out with what each snippet prints now",
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
    terminalreporter.section("tests run inside each stage")
    for text in sorted(reports):
        terminalreporter.write_line(str(text))
