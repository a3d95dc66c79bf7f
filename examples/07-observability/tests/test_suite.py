"""The suite's own promises: what `uv run pytest` leaves out is named, and still exists."""

import re
from pathlib import Path

from conftest import SLOW

STAGE_ROOT = Path(__file__).resolve().parents[1]


def test_every_slow_test_exists() -> None:
    # A renamed file, folder or test would drop out of the list and slow the inner loop unnoticed.
    missing = []
    for entry in SLOW:
        path, _, test = entry.partition("::")
        file = STAGE_ROOT / path
        found = file.exists() and (
            not test or re.search(rf"def {test}\b", file.read_text(encoding="utf-8"))
        )
        if not found:
            missing.append(entry)

    assert missing == []
