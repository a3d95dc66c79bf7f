"""Results files: the JSON document of a case, its Markdown table, and the summary table.

Every table is rendered from the JSON document alone, so `--check` can render it again and
prove that the table in the repository is the one the figures give.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks import COMMAND
from benchmarks.case import Document, format_ratio

SUMMARY = "summary"
_COLUMNS = (
    ("requests_per_second", "requests/s"),
    ("p50_ms", "p50 latency"),
    ("p99_ms", "p99 latency"),
)


def write_json(document: Document, path: Path) -> None:
    """Write a results document, stable in layout so that diffs show what moved."""
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_documents(results: Path) -> dict[str, dict[str, Any]]:
    """Read every case's results document in `results`, by case name."""
    documents = {}
    for path in sorted(results.glob("*.json")):
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        documents[path.stem] = document
    return documents


def format_figure(value: float, unit: str) -> str:
    """Write a measured value as the tables print it: `12,345 requests/s`, `3.2 ms`."""
    if unit == "requests/s":
        return f"{value:,.0f}"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 10 else f"{value:,.1f} ms"
    return f"{value:g} {unit}"


def _unit(metric: str) -> str:
    return "requests/s" if metric == "requests_per_second" else "ms"


def comparison_table(document: Document) -> str:
    """Render a two-sided comparison: both sides' medians, then the ratio under its metric."""
    figures = document["figures"]
    metric = figures["metric"]
    header = "| setup | " + " | ".join(title for _, title in _COLUMNS) + " |"
    lines = [header, "|:--|" + "--:|" * len(_COLUMNS)]
    for side in ("baseline", "subject"):
        medians = figures[side]["median"]
        cells = [format_figure(medians[name], _unit(name)) for name, _ in _COLUMNS]
        lines.append(f"| {figures[side]['label']} | " + " | ".join(cells) + " |")
    ratio_cells = [f"**{document['headline']}**" if name == metric else "" for name, _ in _COLUMNS]
    lines.append(f"| **{figures['ratio_label']}** | " + " | ".join(ratio_cells) + " |")
    rounds = ", ".join(format_ratio(value) for value in figures["round_ratios"])
    text = "\n".join(lines)
    text += (
        f"\n\nTarget: {document['target']}. The ratio is the median of the rounds' ratios,"
        f" which were {rounds}; the figures above are each side's median over the rounds."
    )
    return text + "\n" + notes_and_footer(document)


def notes_and_footer(document: Document) -> str:
    """Render a case's caveats: what a reader needs under its table to read it.

    The machine, the load and the stage's environment are the same for every table of a page,
    so they are not repeated here: `measured_section` renders them once per page.
    """
    return "".join(f"\n{note}\n" for note in document.get("notes", []))


# The guide's pages that show benchmark results, and the cases each shows, in the order it
# shows them. `summary.md` holds, after the summary table, one "how this was measured"
# section per page, between snippet markers that the page includes by name.
PAGES: dict[str, tuple[str, ...]] = {
    "edge": ("edge_profile", "health", "probe_access", "hostile_body"),
    "queries": (
        "n_plus_one",
        "task_list",
        "list_profile",
        "dependency_cost",
        "template_list",
    ),
    "caching": ("cache",),
    "async": ("blocking", "workers"),
    "background-work": ("background",),
}

# How a case loads its subject, where the runner's generic description of the load (wrk and
# its rounds) does not apply: these cases use no load generator, or another one.
_METHODS = {
    "edge_profile": (
        "no server and no load generator: each app is called as ASGI in a process of its own,"
        " the best of five rounds of 3,000 requests, and one profiled round for the split"
    ),
    "list_profile": (
        "no server and no load generator: each app is called as ASGI in a process of its own,"
        " the best of five rounds of 500 requests, and one profiled round for the split"
    ),
    "dependency_cost": (
        "no server, no database and no load generator: the routes are called as ASGI in one"
        " process, under the stage's interpreter, the best of seven rounds of 2,000 requests"
    ),
    "hostile_body": (
        "one server, and a Python client (httpx) instead of wrk: it sends each body a few times"
        " in a row (the table says how many), while another thread asks for `/health` every"
        " 5 ms"
    ),
}
# Where a case's processes ran, where the runner's generic description does not apply.
_CPUS = {
    "edge_profile": "each app's process on whichever CPU the system picks",
    "list_profile": "each app's process on whichever CPU the system picks",
    "dependency_cost": "one process, on whichever CPU the system picks",
    "workers": (
        "load generator and runner on CPU 0; both servers could use CPUs 0 and 1, so the load"
        " generator shared a core with one of the workers"
    ),
}
_ENVIRONMENT_PREFIX = "the stage's own, "


def measured_section(documents: list[Document]) -> str:
    """Render how the cases of one page were measured.

    The machine and the stage come once; then each case's load, CPUs and the machine's load
    average while it ran.
    """
    if not documents:
        return ""
    first = documents[0]
    machine, setup, stage = first["machine"], first["setup"], first["stage"]
    libraries = ", ".join(
        f"{name} {version}" for name, version in stage["libraries"].items() if version
    )
    environment = str(stage["environment"]).removeprefix(_ENVIRONMENT_PREFIX)
    dates = sorted({document["machine"]["date"][:10] for document in documents})
    commits = sorted({document["machine"]["git_commit"][:10] for document in documents})
    lines = [
        f"Measured on {', '.join(dates)} at commit {', '.join(f'`{c}`' for c in commits)}"
        f"{' (with local changes)' if any(d['machine']['git_dirty'] for d in documents) else ''},"
        f" on one machine: {machine['cpu_model']}, {machine['cpu_count']} CPUs,"
        f" {machine['system']}; Python {stage['python']}; {setup['database']};"
        f" {setup['redis']}. Stage `{stage['name']}` ran in an environment of its own, made"
        f" {environment.removeprefix('made ')} ({libraries}), with the settings"
        f" {setup['stage_settings'].removeprefix('the settings ')}.",
        "",
    ]
    for document in documents:
        case, setup = document["case"], document["setup"]
        method = _METHODS.get(case, setup["load"])
        cpus = _CPUS.get(case, setup["cpus"])
        average = setup["load_average"]
        lines.append(
            f"- **{document['title']}** (`{document['command']}`): {method}. CPUs: {cpus}. The"
            f" machine's one-minute load average, its own processes included:"
            f" {average['before']:.1f} before, {average['after']:.1f} after."
        )
    lines += [
        "",
        "Absolute figures are this machine's, and moved as much as threefold between two days;"
        " a ratio measured side by side, in one run, is what carries over to yours.",
    ]
    return "\n".join(lines) + "\n"


_TARGET = re.compile(r"≥\s*(?P<bound>\d+(?:\.\d+)?)x")


def rounded_ratio(ratio: float, like: float | None = None) -> str:
    """Write a ratio to the precision its spread supports: `0.45x`, `2.4x`, `516x`.

    The precision follows `like` (the row's median) when it is given, so that the median and
    the spread of one row are written alike.
    """
    scale = ratio if like is None else like
    if scale >= 10:
        return f"{ratio:,.0f}x"
    if scale >= 1:
        return f"{ratio:.1f}x"
    return f"{ratio:.2f}x"


def _summary_row(name: str, document: Document) -> str:
    """One row of the summary: what is compared, the median, the spread, the target, met."""
    figures = document["figures"]
    rounds = figures.get("round_ratios") or []
    bound = _TARGET.search(document["target"])
    met = {True: "yes", False: "no", None: "-"}[document["meets_target"]]
    if name == "n_plus_one":
        stage = " and ".join(str(size["one_query"]["statements"]) for size in figures["sizes"])
        naive = " and ".join(str(size["n_plus_one"]["statements"]) for size in figures["sizes"])
        projects = " and ".join(f"{size['projects']:,}" for size in figures["sizes"])
        compared = f"SQL statements per request, at {projects} projects"
        measured = f"stage: {stage}; N+1: {naive}"
        spread = "counted, not timed; one query / N+1 in requests/s: " + ", ".join(
            rounded_ratio(size["ratio"]) for size in figures["sizes"]
        )
    elif name == "hostile_body":
        compared = "the slowest answer, and the largest, over the worst bodies"
        measured = document["headline"]
        spread = "the maximum over every send, not a median"
    elif name == "dependency_cost":
        compared = "CPU that the task list's nine dependencies add to a request"
        measured = document["headline"]
        spread = "the best of seven timed rounds"
    elif name in {"edge_profile", "list_profile"}:
        compared = "CPU per request, " + str(figures["ratio_label"]).removesuffix(", CPU")
        measured = rounded_ratio(document["ratio"])
        spread = "the best of five timed rounds"
    else:
        compared = str(figures["ratio_label"])
        measured = rounded_ratio(document["ratio"])
        spread = (
            f"{rounded_ratio(min(rounds), document['ratio'])} to"
            f" {rounded_ratio(max(rounds), document['ratio'])}, {len(rounds)} rounds"
            if rounds
            else "-"
        )
    if rounds and bound is not None:
        meeting = sum(ratio >= float(bound.group("bound")) for ratio in rounds)
        met = f"{met}: {meeting} of {len(rounds)} rounds"
    return (
        f"| {document['title']} (`{name}`) | {compared} | {measured} | {spread} |"
        f" {document['target']} | {met} |"
    )


def summary_table(documents: Mapping[str, Document]) -> str:
    """Render one line per case, then how each page's cases were measured.

    The summary table is the `summary` section of the file; each page's "how this was
    measured" is the section named `measured-<page>`, which the page includes.
    """
    lines = [
        "<!-- --8<-- [start:summary] -->",
        "| benchmark | what is compared | median | spread | target | met |",
        "|:--|:--|--:|:--|:--|:--|",
    ]
    lines += [_summary_row(name, document) for name, document in documents.items()]
    stages = sorted({document["stage"]["name"] for document in documents.values()})
    dates = sorted({document["machine"]["date"][:10] for document in documents.values()})
    lines += [
        "",
        f"Every row measured stage {', '.join(f'`{stage}`' for stage in stages)} on"
        f" {', '.join(dates)}, by `{COMMAND}`. A ratio is the median of the rounds' ratios,"
        ' each round measuring both sides one after the other; "spread" is the lowest and'
        ' the highest round, and "met" counts the rounds that meet the target too.',
        "<!-- --8<-- [end:summary] -->",
    ]
    for page, names in PAGES.items():
        shown = [documents[name] for name in names if name in documents]
        if shown:
            lines += [
                "",
                f"<!-- --8<-- [start:measured-{page}] -->",
                measured_section(shown).rstrip("\n"),
                f"<!-- --8<-- [end:measured-{page}] -->",
            ]
    return "\n".join(lines) + "\n"
