"""The root environment holds every package that a stage's lock file pins.

The root environment runs the guide's inline examples and the type checks of every stage, so
a stage that adds a dependency must add it to the root too: a step of CONTRIBUTING.md's stage
recipe, checked here with a problem that names the requirement and the root group it belongs in.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from guide_kit.paths import ROOT, shown_path

ROOT_RUNTIME_GROUP = "app"  # what the stages import: the guide's inline examples import it too
ROOT_DEV_GROUP = "lint"  # what the stages' dev groups add for their tests and type checks
ROOT_DEV_GROUPS = ("lint", "test")  # where the root already keeps dev tools (pytest is in test)


def _read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        return tomllib.load(file)


def _canonical(name: str) -> str:
    return canonicalize_name(name)


def group_requirements(pyproject: dict[str, Any], group: str) -> list[Requirement]:
    """Return the requirements of a dependency group, with the groups it includes."""
    groups = pyproject.get("dependency-groups", {})
    found: list[Requirement] = []
    for entry in groups.get(group, []):
        if isinstance(entry, str):
            found.append(Requirement(entry))
        elif isinstance(entry, dict) and "include-group" in entry:
            found.extend(group_requirements(pyproject, entry["include-group"]))
    return found


def _covers(requirements: list[Requirement], wanted: Requirement) -> bool:
    """Whether a list of requirements asks for `wanted`'s package with all of its extras."""
    return any(
        _canonical(have.name) == _canonical(wanted.name) and wanted.extras <= have.extras
        for have in requirements
    )


def _lock_graph(lock: dict[str, Any]) -> dict[str, set[str]]:
    """Each package of a uv.lock and the packages it depends on, through any of its extras."""
    graph: dict[str, set[str]] = {}
    for package in lock.get("package", []):
        edges = list(package.get("dependencies", []))
        for extra in package.get("optional-dependencies", {}).values():
            edges.extend(extra)
        for group in package.get("dev-dependencies", {}).values():
            edges.extend(group)
        graph[package["name"]] = {edge["name"] for edge in edges}
    return graph


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


_LOCKED_NAME = re.compile(r'^\[\[package\]\]\r?\nname = "(?P<name>[^"]+)"', re.MULTILINE)


def locked_names(lock_file: Path) -> set[str]:
    """Return the names of the packages that a uv.lock pins.

    Read with a pattern, not a TOML parser: the root's lock file is over a megabyte, and every
    stage is compared with it. uv writes each package's table as `[[package]]`, then its name.
    """
    text = lock_file.read_text(encoding="utf-8")
    return {match.group("name") for match in _LOCKED_NAME.finditer(text)}


def stage_dependency_problems(stage: Path, root: Path = ROOT) -> list[str]:
    """Check that every package of a stage's lock file is in the root's.

    The root environment runs the guide's inline examples and the type checks of every stage.

    A problem names the stage's requirement that brings the missing packages, and the root group
    it belongs in: runtime dependencies in `app`, dev dependencies in `lint`.
    """
    stage_project = _read_toml(stage / "pyproject.toml")
    missing = locked_names(stage / "uv.lock") - locked_names(root / "uv.lock")
    missing.discard(_canonical(str(stage_project.get("project", {}).get("name", ""))))
    if not missing:
        return []
    stage_lock = _read_toml(stage / "uv.lock")
    root_project = _read_toml(root / "pyproject.toml")
    direct = [
        (Requirement(entry), ROOT_RUNTIME_GROUP, "a runtime dependency")
        for entry in stage_project.get("project", {}).get("dependencies", [])
    ] + [
        (requirement, ROOT_DEV_GROUP, f"in its {group!r} group")
        for group in stage_project.get("dependency-groups", {})
        for requirement in group_requirements(stage_project, group)
    ]
    graph, where = _lock_graph(stage_lock), shown_path(stage, root)
    problems: list[str] = []
    explained: set[str] = set()
    for requirement, group, role in direct:
        brought = sorted((_reach(graph, _canonical(requirement.name)) & missing) - explained)
        if not brought:
            continue
        explained.update(brought)
        groups = (group,) if group == ROOT_RUNTIME_GROUP else ROOT_DEV_GROUPS
        in_root = any(_covers(group_requirements(root_project, g), requirement) for g in groups)
        if in_root:
            extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
            problems.append(
                f"{where}: the root pyproject.toml asks for {requirement.name}{extras}, but the "
                f"root uv.lock lacks {', '.join(brought)}: run `uv lock` at the root"
            )
        else:
            problems.append(
                f"{where}: add {str(requirement)!r} ({role} of the stage) to the {group!r} group "
                f"of the root pyproject.toml, then run `uv lock` at the root "
                f"(the root uv.lock lacks {', '.join(brought)})"
            )
    if missing - explained:
        problems.append(
            f"{where}: the root uv.lock lacks {', '.join(sorted(missing - explained))}, which "
            f"the stage's uv.lock pins: run `uv lock` in the stage, then at the root"
        )
    return problems
