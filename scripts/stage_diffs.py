"""Write the diff between each stage and the one before it, for the stage pages to include.

Run `uv run python scripts/stage_diffs.py` after changing a stage. The test suite fails while a
written diff differs from what this script would write now.

For each `examples/NN-name/` it writes, under `docs/stages/diffs/`:

- `NN-name.diff`: a unified diff from the previous stage (for the first stage, from nothing);
- `NN-name.md`: a table of the files added, changed and removed, with their line counts;
- `NN-name/index.md`: the page of the full diff, `stages/diffs/NN-name/` on the site, which
  shows the table and the diff, and is left out of the search index.

The stage's own page includes the table and links to the diff's page: the diff of a stage is
up to a megabyte of HTML, which a reader of the stage page would otherwise load every time.
The work is done by `guide_kit.diffs`.
"""

from __future__ import annotations

import sys

from guide_kit.diffs import OUTPUT, expected_outputs, written_outputs
from guide_kit.paths import ROOT


def main() -> int:
    """Rewrite the outputs and delete those of stages that no longer exist."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    outputs = expected_outputs()
    for stale in written_outputs().keys() - outputs.keys():
        (OUTPUT / stale).unlink()
    for folder in sorted(OUTPUT.iterdir()):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    for name, text in outputs.items():
        (OUTPUT / name).parent.mkdir(parents=True, exist_ok=True)
        (OUTPUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(outputs)} files to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
