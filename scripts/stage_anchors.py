"""List the snippet sections of the stages that no page includes, and remove them.

    uv run python scripts/stage_anchors.py            # list the unused sections, file and line
    uv run python scripts/stage_anchors.py --remove   # delete their marker lines

After `--remove`, run `uv run ruff format .` in each stage it changed (a removed line can leave
two blank lines side by side), then `uv run python scripts/stage_diffs.py`.

What counts as an unused section, and how the markers go, is described in
`guide_kit/anchors.py`, which does the work.
"""

from __future__ import annotations

import sys

from guide_kit.anchors import main

if __name__ == "__main__":
    sys.exit(main())
