"""Which stages there are, in what order, and how the guide names them."""

from __future__ import annotations

from pathlib import Path

from guide_kit.paths import EXAMPLES


def stage_dirs(examples: Path = EXAMPLES) -> list[Path]:
    """Return the stage folders in order (`01-hello`, `02-settings`, ...)."""
    return sorted(path for path in examples.iterdir() if path.is_dir() and path.name[:2].isdigit())


def stage_number(stage: Path) -> str:
    """Return the two digits of a stage folder: `08-performance` -> `08`."""
    return stage.name[:2]


def stage_topic(stage: Path) -> str:
    """Return the words of a stage folder after its number: `08-performance` -> `performance`."""
    return stage.name[3:].replace("-", " ")


def stage_label(stage: Path) -> str:
    """Return how tables and links name a stage: `08 performance`."""
    return f"{stage_number(stage)} {stage_topic(stage)}"
