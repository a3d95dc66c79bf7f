"""The kit's own code (tests, snippets, scripts) is lint-clean, formatted and strictly typed.

Each stage is checked in its own environment by `test_stages.py`; this covers the rest.
"""

from __future__ import annotations

import pytest

from kit import ROOT, run_tool

OWN_CODE = [name for name in ("tests", "snippets", "scripts") if (ROOT / name).is_dir()]


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "--no-cache", *OWN_CODE),
        ("ruff", "format", "--no-cache", "--check", *OWN_CODE),
        ("mypy", *OWN_CODE),
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_own_code(command: tuple[str, ...]) -> None:
    result = run_tool(*command)

    assert result.returncode == 0, result.stdout + result.stderr
