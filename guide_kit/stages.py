"""Where the stages are, and in what order: what every command of the kit starts from."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def stage_dirs(examples: Path = EXAMPLES) -> list[Path]:
    """Return the stage folders in order (`01-hello`, `02-settings`, ...)."""
    return sorted(path for path in examples.iterdir() if path.is_dir() and path.name[:2].isdigit())
