"""The last stage is the structure document's tree, file for file.

The guide began as a document that drew a project's tree and said what each part was for. The
kit promises that its last stage has every file and folder of that tree, working and tested.
These tests read the tree as the document drew it, and look for each entry in the stage.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from guide_kit.paths import EXAMPLES
from guide_kit.stage import stage_dirs

# The structure document's tree, as the document drew it (comments and all). The project's
# root is the stage's folder; the package, `fast_api_template/`, is its namesake inside it.
STRUCTURE_DOCUMENT_TREE = """\
fast_api_template/
├── fast_api_template/         # Main package
│   ├── __init__.py           # Package initialization
│   ├── app.py                # FastAPI application entry point
│   ├── config.py             # Configuration management
│   ├── db.py                 # Database connection and session management
│   ├── models/               # SQLModel/Pydantic models
│   │   ├── __init__.py
│   │   ├── base.py           # Base models and mixins
│   │   └── domain/           # Domain-specific models
│   ├── api/                  # API endpoints
│   │   ├── __init__.py
│   │   ├── deps.py           # Dependency injection
│   │   ├── v1/               # API version 1
│   │   │   ├── __init__.py
│   │   │   ├── endpoints/    # Endpoint modules by resource
│   │   │   └── router.py     # Router for v1
│   │   └── v2/               # Future API versions
│   ├── core/                 # Core functionality
│   │   ├── __init__.py
│   │   ├── security.py       # Authentication and security
│   │   └── logging.py        # Logging configuration
│   ├── services/             # Business logic
│   │   ├── __init__.py
│   │   └── service_modules/  # Organized by domain
│   ├── schemas/              # Request/response schemas
│   │   ├── __init__.py
│   │   └── schema_modules/   # Organized by domain
│   └── utils/                # Utility functions
│       ├── __init__.py
│       └── utility_modules/  # Helper functions
├── tests/                    # Test directory
│   ├── conftest.py           # Test fixtures and configuration
│   ├── test_api/             # API tests
│   ├── test_services/        # Service tests
│   └── test_models/          # Model tests
├── notebooks/                # Jupyter notebooks (not in version control)
├── migrations/               # Database migrations (if applicable)
├── Dockerfile                # Multi-stage Docker build for dev and production
├── docker-compose.yaml       # Docker Compose with profiles for dev/prod
├── pyproject.toml            # Project metadata and dependencies
├── .env.example              # Example environment variables
├── .github/                  # GitHub workflows and templates
└── docs/                     # Documentation
"""

# Names that stand for "the modules of this folder, by domain", not for a folder of that name:
# the stage keeps `services/projects.py`, not `services/service_modules/projects.py`.
PLACEHOLDERS = frozenset({"service_modules", "schema_modules", "utility_modules"})
# Folders whose point is the modules in them; each must hold at least one.
MODULE_FOLDERS = frozenset(
    {"domain", "endpoints", "v2", "test_api", "test_services", "test_models"}
)
# Scratch work that git must not see: the folder exists, and what a reader puts in it is ignored.
UNTRACKED = "notebooks"
LAST_STAGE = stage_dirs(EXAMPLES)[-1]

_ENTRY = re.compile(r"^(?P<indent>(?:│   |    )*)(?:├── |└── )(?P<name>[^\s#]+)")


@dataclass(frozen=True)
class Entry:
    """A file or folder of the tree, by its path from the project's root."""

    path: str
    is_folder: bool


def tree_entries(tree: str) -> list[Entry]:
    """Read a tree drawn with `├──`, `└──` and `│` into paths from its root (its first line)."""
    entries: list[Entry] = []
    parents: list[str] = []
    for line in tree.splitlines()[1:]:
        match = _ENTRY.match(line)
        assert match, f"not a line of a tree: {line!r}"
        depth = len(match.group("indent")) // 4
        name = match.group("name")
        parents[depth:] = [name.rstrip("/")]
        entries.append(Entry("/".join(parents), name.endswith("/")))
    return entries


def modules(folder: Path) -> list[Path]:
    """The Python modules in a folder and below it, besides package markers."""
    return [path for path in folder.rglob("*.py") if path.name != "__init__.py"]


def missing_entries(stage: Path, entries: list[Entry]) -> list[str]:
    """What of the tree a stage lacks, one line per entry."""
    problems = []
    for entry in entries:
        where = stage / entry.path
        if where.name in PLACEHOLDERS:
            if not modules(where.parent):
                problems.append(f"{entry.path}: {where.parent.name}/ holds no module")
        elif not entry.is_folder and not where.is_file():
            problems.append(f"{entry.path}: no such file")
        elif entry.is_folder and not where.is_dir():
            problems.append(f"{entry.path}/: no such folder")
        elif where.name in MODULE_FOLDERS and not modules(where):
            problems.append(f"{entry.path}/: holds no module")
    return problems


def test_the_tree_is_read_as_the_document_draws_it() -> None:
    drawn = [line for line in STRUCTURE_DOCUMENT_TREE.splitlines() if "── " in line]
    entries = {entry.path: entry for entry in tree_entries(STRUCTURE_DOCUMENT_TREE)}

    assert len(entries) == len(drawn) == 43  # one distinct path per line of the drawing
    assert entries["fast_api_template/api/v1/endpoints"].is_folder
    assert not entries["fast_api_template/api/v1/router.py"].is_folder
    assert entries["tests/conftest.py"] == Entry("tests/conftest.py", is_folder=False)
    assert ".env.example" in entries
    assert entries["docs"].is_folder


def test_the_last_stage_has_every_file_and_folder_of_the_tree() -> None:
    problems = missing_entries(LAST_STAGE, tree_entries(STRUCTURE_DOCUMENT_TREE))

    assert not problems, f"{LAST_STAGE.name} lacks, of the structure document's tree:\n" + (
        "\n".join(problems)
    )


def test_a_stage_without_part_of_the_tree_is_caught(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    (stage / "fast_api_template" / "services").mkdir(parents=True)
    (stage / "fast_api_template" / "services" / "__init__.py").touch()
    (stage / "fast_api_template" / "models" / "domain").mkdir(parents=True)
    entries = [
        entry
        for entry in tree_entries(STRUCTURE_DOCUMENT_TREE)
        if entry.path.startswith(("fast_api_template/services", "fast_api_template/models/d"))
        or entry.path == "Dockerfile"
    ]

    assert missing_entries(stage, entries) == [
        "fast_api_template/models/domain/: holds no module",
        "fast_api_template/services/service_modules: services/ holds no module",
        "Dockerfile: no such file",
    ]


def ignored(gitignore: Path, paths: list[str], workdir: Path) -> list[str]:
    """Which of `paths` a `.gitignore` ignores, in a new repository that holds only that file."""
    git = shutil.which("git")
    assert git is not None, "git is needed to read .gitignore as git does"
    subprocess.run([git, "init", "-q", str(workdir)], check=True, timeout=30)
    shutil.copy(gitignore, workdir / ".gitignore")
    result = subprocess.run(
        [git, "check-ignore", "--no-index", *paths],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return result.stdout.split()


def test_notebooks_are_not_in_version_control(tmp_path: Path) -> None:
    """A copied stage is its own repository: its `.gitignore` alone keeps notebooks out."""
    notebook, checkpoint = f"{UNTRACKED}/explore.ipynb", f"{UNTRACKED}/data/orders.csv"
    note = f"{UNTRACKED}/README.md"

    ignored_paths = ignored(LAST_STAGE / ".gitignore", [notebook, checkpoint, note], tmp_path)

    assert (LAST_STAGE / UNTRACKED).is_dir()
    assert ignored_paths == [notebook, checkpoint], "the note that says so stays in the repository"
