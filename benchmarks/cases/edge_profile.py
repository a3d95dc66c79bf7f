"""`edge_profile`: where a cheap request's CPU goes, before the edge was made cheap and after.

`health` measures what the edge costs, from outside, through a server. This case says why: it
calls `GET /health` of three apps in one process each, without a server, and splits the CPU
time of a request between the app's middleware, the access line, FastAPI and Starlette, and
the rest. Stage 07 has five middleware layers and renders its log lines in the standard
library's handler; the measured stage (08 and later) has two layers and renders each line
once. The bare app is FastAPI alone. Everything runs under the measured stage's interpreter
but stage 07, which runs under its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import APPS, EXAMPLES
from benchmarks.case import Document, Outcome, format_ratio
from benchmarks.context import RunContext
from benchmarks.profiles import plot_cpu, profile_rows
from benchmarks.report import notes_and_footer
from benchmarks.stages import Stage, prepare, script_report

BEFORE = "07-observability"
PROFILER = APPS / "profile_health.py"
REQUESTS = 3000
SMOKE_REQUESTS = 200
# Processes of each app, in turn.
TURNS = 3
SMOKE_TURNS = 1  # when run with --smoke --only edge_profile
PARTS = ("the app's middleware", "the access line (logging)", "FastAPI and Starlette", "other")


def run(context: RunContext, stage: Stage) -> Outcome:
    """Profile the bare app, stage 07 and the measured stage, one process each."""
    requests = SMOKE_REQUESTS if context.smoke else REQUESTS
    before = _stage(context, BEFORE)
    apps = {
        "bare FastAPI `/health`, one file": (stage, "bare"),
        f"stage `{before.name}`, five layers": (before, "stage"),
        f"stage `{stage.name}`, two layers": (stage, "stage"),
    }
    profiles: dict[str, dict[str, Any]] = {}
    # The apps take turns, a process each time, and each keeps its fastest process: a machine
    # whose speed drifts over a minute would otherwise favour whichever ran first.
    for _ in range(SMOKE_TURNS if context.smoke else TURNS):
        for label, (app_stage, kind) in apps.items():
            report = _profile(app_stage, kind, requests, context)
            if label not in profiles or report["cpu_us"] < profiles[label]["cpu_us"]:
                profiles[label] = report
    bare, *_, measured = profiles.values()
    ratio = bare["cpu_us"] / measured["cpu_us"]
    note = (
        "CPU time of one request in one process, the app called as ASGI without a server or"
        f" network: the best of five rounds of {requests:,} requests, in the best of {TURNS}"
        " processes of each app, the apps taking turns. Its split between the"
        " parts of the code comes from a profiled round (the profiler slows every part, so"
        " only the shares are taken from it). A server adds the same work to every app:"
        " parsing the request, writing the answer and, for the stages, writing the access line."
    )
    return Outcome(
        headline=format_ratio(ratio),
        figures={"apps": profiles, "requests": requests, "ratio_label": "bare / stage, CPU"},
        ratio=round(ratio, 4),
        notes=(note,),
    )


def _stage(context: RunContext, name: str) -> Stage:
    """Prepare another stage than the measured one, once per run."""
    source = EXAMPLES / name
    if source not in context.stages:
        context.stages[source] = prepare(source, context.workdir, own_environment=not context.smoke)
    return context.stages[source]


def _profile(stage: Stage, kind: str, requests: int, context: RunContext) -> dict[str, Any]:
    """Run the profiler under the stage's interpreter and return what it printed."""
    return script_report(
        stage.python,
        PROFILER,
        [kind, str(requests)],
        cwd=stage.copy if kind == "stage" else APPS,
        env=context.stage_settings(stage),
        timeout=600,
        failure=f"profiling {stage.name} failed",
    )


def table(document: Document) -> str:
    """One row per app: its CPU per request, and that time split between the parts."""
    lines = profile_rows(document["figures"]["apps"], PARTS, "bare / this")
    return "\n".join(lines) + "\n" + notes_and_footer(document)


def plot(document: Document, path: Path) -> None:
    """Draw each app's CPU per request."""
    plot_cpu(
        document,
        path,
        colours=["#9e9e9e", "#ff9800", "#3f51b5"],
        title=f"{document['title']}: bare / stage {document['headline']}",
        axis_label="CPU time of one GET /health in µs, in one process (this machine)",
    )
