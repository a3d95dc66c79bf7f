"""The separation-of-concerns page draws the layers that the newest stage's contract enforces.

The page's layer table and its diagram are written by hand, for the reader; this test reads
them back and compares them with the `layers` contract of import-linter in the newest stage's
`pyproject.toml`, which `lint-imports` enforces on the code. A layer added to the contract, or
a package moved, fails here until the page shows it.
"""

from __future__ import annotations

import re
import tomllib

from guide_kit.paths import DOCS, EXAMPLES

PAGE = DOCS / "principles" / "separation-of-concerns.md"
PACKAGE = "fast_api_template"
_CODE = re.compile(r"`([^`]+)`")
_NODE_LABEL = re.compile(r'\w+\["([^"<]+)')


def newest_stage_pyproject() -> str:
    """Return the text of the newest stage's pyproject.toml."""
    newest = sorted(path for path in EXAMPLES.iterdir() if re.match(r"\d\d-", path.name))[-1]
    return (newest / "pyproject.toml").read_text(encoding="utf-8")


def contract_layers(pyproject: str) -> list[set[str]]:
    """Return the layers of the `layers` contract, top first, each a set of module names."""
    contracts = tomllib.loads(pyproject)["tool"]["importlinter"]["contracts"]
    layers = next(contract["layers"] for contract in contracts if contract["type"] == "layers")
    return [{name.strip() for name in layer.split("|")} for layer in layers]


def module(shown: str) -> str:
    """Turn a package as the page shows it (`api/`, `app.py`) into its module name."""
    return f"{PACKAGE}.{shown.removesuffix('/').removesuffix('.py')}"


def section(page: str, heading: str) -> str:
    """Return the text of a `## ` section of a page, without its heading."""
    start = page.index(f"\n## {heading}\n")
    end = page.find("\n## ", start + 1)
    return page[start : end if end != -1 else len(page)]


def table_layers(page: str) -> list[tuple[set[str], str]]:
    """Return the rows of the rule's layer table: the modules of each, and what it may import."""
    rows = []
    for line in section(page, "The rule").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in {"layer", ""} or set(cells[0]) <= {"-"}:
            continue
        rows.append(({module(name) for name in _CODE.findall(cells[1])}, cells[3]))
    return rows


def diagram_layers(page: str) -> list[set[str]]:
    """Return the layers that the rule's diagram draws, top first: a subgraph's packages are one
    layer, and a package drawn outside any subgraph is a layer of its own."""
    text = section(page, "The rule")
    start = text.index("```mermaid")
    layers: list[set[str]] = []
    group: set[str] | None = None
    for line in text[start : text.index("```", start + 3)].splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            group = set()
            layers.append(group)
            continue
        if stripped == "end":
            group = None
            continue
        for label in _NODE_LABEL.findall(stripped):
            if not label.strip().endswith(("/", ".py")):
                continue
            name = module(label.strip())
            if group is None:
                layers.append({name})
            else:
                group.add(name)
    return [layer for layer in layers if layer]


def differences(page: str, pyproject: str) -> list[str]:
    """Say where the page's table and diagram differ from the contract; empty when they agree."""
    layers = contract_layers(pyproject)
    problems = []
    rows = table_layers(page)
    shown = [modules for modules, _ in rows]
    if shown != layers:
        problems.append(f"the table's layers are {shown}, the contract's {layers}")
    for index, (modules, may_import) in enumerate(rows):
        expected = "nothing of ours" if index == len(rows) - 1 else "every layer below"
        if may_import != expected:
            problems.append(f"row {sorted(modules)}: 'may import' should say {expected!r}")
    drawn = diagram_layers(page)
    if drawn != layers:
        problems.append(f"the diagram draws the layers {drawn}, the contract has {layers}")
    return problems


def test_the_layer_table_and_diagram_are_the_newest_stages_contract() -> None:
    assert differences(PAGE.read_text(encoding="utf-8"), newest_stage_pyproject()) == []


def test_a_contract_that_the_page_does_not_show_fails() -> None:
    page = PAGE.read_text(encoding="utf-8")
    pyproject = newest_stage_pyproject()
    # The worker moved below the services: the page still draws it beside the API.
    moved = pyproject.replace(
        '"fast_api_template.api | fast_api_template.worker",\n    '
        '"fast_api_template.schemas | fast_api_template.services",',
        '"fast_api_template.api",\n    '
        '"fast_api_template.schemas | fast_api_template.services | fast_api_template.worker",',
    )
    assert moved != pyproject

    problems = differences(page, moved)

    assert any("the table's layers" in problem for problem in problems)
    assert any("diagram" in problem for problem in problems)
