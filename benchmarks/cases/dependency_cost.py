"""`dependency_cost`: what FastAPI charges per request for each kind of dependency.

The structure's routes ask for what they need through dependencies, and FastAPI resolves them
on every request. This case prices that in CPU: one route per kind of dependency, each doing
nothing, and a route with the shape of the stage's task list (nine dependencies), called as
ASGI in one process under the stage's interpreter (see `benchmarks/apps/dependency_cost.py`).
No server, no database: what a route costs above the route without dependencies is what
resolving them costs.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import APPS
from benchmarks.case import Document, Outcome
from benchmarks.context import RunContext
from benchmarks.plots import bar_chart
from benchmarks.report import notes_and_footer
from benchmarks.stages import Stage, script_report

APP = APPS / "dependency_cost.py"
REQUESTS = 2000
SMOKE_REQUESTS = 50  # when run with --smoke --only dependency_cost
LABELS = {
    "none": "no dependency",
    "async": "one `async def` dependency",
    "yield": "one dependency that yields",
    "def": "one plain `def` dependency (threadpool)",
    "tree": "the task list's nine dependencies",
}


def run(context: RunContext, stage: Stage) -> Outcome:
    """Time each route under the stage's interpreter, in one process."""
    requests = SMOKE_REQUESTS if context.smoke else REQUESTS
    failure = "dependency_cost failed"
    cpu: dict[str, float] = script_report(
        stage.python, APP, [str(requests)], cwd=APPS, timeout=600, failure=failure
    )
    added = {name: cpu[name] - cpu["none"] for name in cpu}
    return Outcome(
        headline=f"{added['tree']:,.0f} µs",
        figures={"cpu_us": cpu, "added_us": added, "requests": requests},
        notes=(_note(requests),),
    )


def _note(requests: int) -> str:
    return (
        "Each route answers `GET /{variant}/1/tasks?limit=100` with the same small JSON; the"
        " dependencies do nothing. CPU time of one request (`time.process_time`), the best of"
        f" seven rounds of {requests:,}, the routes taking turns in each round. A server adds"
        " the same work to every route; the stage's own dependencies add their own work (a"
        " query, a token check) on top of what is counted here."
    )


def table(document: Document) -> str:
    """One row per route: its CPU per request, and what its dependencies add."""
    figures = document["figures"]
    lines = [
        "| route | CPU per request | added by its dependencies |",
        "|:--|--:|--:|",
    ]
    for name, label in LABELS.items():
        cpu, added = figures["cpu_us"][name], figures["added_us"][name]
        shown = "-" if name == "none" else f"{added:,.0f} µs"
        lines.append(f"| {label} | {cpu:,.0f} µs | {shown} |")
    return "\n".join(lines) + "\n\n" + notes_and_footer(document)


def plot(document: Document, path: Path) -> None:
    """Draw what each kind of dependency adds to a request."""
    added = document["figures"]["added_us"]
    names = [name for name in LABELS if name != "none"]
    bar_chart(
        path,
        labels=[LABELS[name].replace("`", "") for name in names],
        values=[added[name] for name in names],
        colours=["#3f51b5"] * len(names),
        title=f"{document['title']}: the task list's tree {document['headline']}",
        axis_label="CPU time added to one request in µs, in one process (this machine)",
        value_labels=[f"{added[name]:,.0f} µs" for name in names],
    )
