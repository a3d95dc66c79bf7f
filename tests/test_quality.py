"""The tree is lint-clean and formatted, as CI's lint job checks it, and the kit's own code
(tests, snippets, scripts, benchmarks) is strictly typed. The stages' types are checked in
`test_stages.py`, each with its own settings.
"""

from __future__ import annotations

import pytest

from kit import ROOT, run_tool

OWN_CODE = [
    name for name in ("tests", "snippets", "scripts", "benchmarks") if (ROOT / name).is_dir()
]


@pytest.mark.parametrize(
    "command",
    [
        # The whole tree, as CI's lint job runs it; each stage brings its own configuration.
        ("ruff", "check", "--no-cache", "."),
        ("ruff", "format", "--no-cache", "--check", "."),
        ("mypy", *OWN_CODE),
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_own_code(command: tuple[str, ...]) -> None:
    result = run_tool(*command)

    assert result.returncode == 0, result.stdout + result.stderr
