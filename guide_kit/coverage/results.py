"""The coverage figures: where they are kept, the floor they must reach, and reading them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guide_kit.paths import ROOT

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


def shares(entry: dict[str, Any]) -> tuple[Share, Share]:
    """Return the lines and the branches of one stage's entry in the results."""
    return Share(**entry["lines"]), Share(**entry["branches"])


def read_results(results_dir: Path) -> dict[str, Any]:
    """Read the results on disk (none yet when the file is missing)."""
    path = results_dir / RESULTS_FILE
    if not path.is_file():
        return {"floor": FLOOR, "stages": {}}
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
