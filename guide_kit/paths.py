"""Where the guide's parts are in the repository, and how messages name a path in it."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
SNIPPETS = ROOT / "snippets"
# The site's configuration, for MkDocs and for the checks that read its navigation.
CONFIG = ROOT / "mkdocs.yml"


def shown_path(path: Path, root: Path = ROOT) -> str:
    """Show a path as problems name it: from the repository's root when it is inside it."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
