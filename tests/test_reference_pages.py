"""The API reference lists each module of the newest stage's package.

The reference pages (`docs/reference/*.md`) name modules with `::: module` lines, which
mkdocstrings turns into their documentation; mkdocs.yml points mkdocstrings at the newest
stage. A module that no page names is code the reference silently leaves out, so this test
fails on it and says which page to add it to. Packages (`__init__.py`) are left out: they hold
no more than the names they import.
"""

from __future__ import annotations

import re

from guide_kit.paths import DOCS, EXAMPLES

REFERENCE = DOCS / "reference"
PACKAGE = "fast_api_template"
_DIRECTIVE = re.compile(r"^:::\s+(\S+)\s*$", re.MULTILINE)


def newest_package() -> list[str]:
    """Return the modules of the newest stage's package, packages left out."""
    newest = sorted(path for path in EXAMPLES.iterdir() if re.match(r"\d\d-", path.name))[-1]
    root = newest / PACKAGE
    return sorted(
        ".".join((PACKAGE, *path.relative_to(root).with_suffix("").parts))
        for path in root.rglob("*.py")
        if path.name != "__init__.py"
    )


def documented() -> set[str]:
    """Return the modules that the reference pages name."""
    return {
        name
        for page in REFERENCE.glob("*.md")
        for name in _DIRECTIVE.findall(page.read_text(encoding="utf-8"))
    }


def test_the_reference_lists_each_module_of_the_newest_stage() -> None:
    missing = [name for name in newest_package() if name not in documented()]

    assert missing == [], (
        "add a `::: <module>` line for each to the page of its package under docs/reference/"
    )
