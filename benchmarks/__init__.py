"""Benchmarks that measure every speed figure the guide states, side by side, on loopback.

`uv run python -m benchmarks` runs every case (see `--help` for `--only`, `--duration`,
`--smoke` and `--check`). A case lives in `benchmarks/cases/` and compares two servers, or two
settings of one server, in one run: figures from different runs or machines are never compared.
Each case writes `benchmarks/results/<case>.json` (figures, machine facts, fingerprints of what
was measured), a Markdown table beside it, and an SVG plot under `docs/assets/benchmarks/`, which
the guide's pages include.

This module only names places: the stages' servers import nothing from this package.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "benchmarks"
APPS = PACKAGE / "apps"
RESULTS = PACKAGE / "results"
ASSETS = ROOT / "docs" / "assets" / "benchmarks"
EXAMPLES = ROOT / "examples"
COMMAND = "uv run python -m benchmarks"
