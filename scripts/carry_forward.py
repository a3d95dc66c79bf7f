"""Carry a change of one stage into every later stage that shares the file.

    uv run python scripts/carry_forward.py examples/04-services
    uv run python scripts/carry_forward.py examples/04-services --dry-run
    uv run python scripts/carry_forward.py examples/04-services --since HEAD~1 --to 06-security

What it does, and how it merges, is described in `guide_kit/carry.py`, which does the work.
"""

from __future__ import annotations

import sys

from guide_kit.carry import main

if __name__ == "__main__":
    sys.exit(main())
