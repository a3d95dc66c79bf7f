"""The tree is lint-clean and formatted, as CI's lint job checks it.

The types of the kit's own code (guide_kit, tests, snippets, scripts, benchmarks) are checked in
`test_stages.py`, in one test with the stages' types, so that all of them share one cache of
the libraries' types.
"""

from __future__ import annotations

import pytest

from guide_kit.process import run_tool


@pytest.mark.parametrize(
    "command",
    [
        # The whole tree, as CI's lint job runs it; each stage brings its own configuration.
        ("ruff", "check", "--no-cache", "."),
        ("ruff", "format", "--no-cache", "--check", "."),
    ],
    ids=["ruff-check", "ruff-format"],
)
def test_own_code(command: tuple[str, ...]) -> None:
    result = run_tool(*command)

    assert result.returncode == 0, result.stdout + result.stderr
