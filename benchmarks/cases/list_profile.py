"""`list_profile`: where the CPU of a real read goes, in the stage and in one function.

`task_list` measures, through servers, what the structure costs on the authenticated list of
100 tasks. This case says where: it calls the stage's `GET /api/v2/projects/{id}/tasks?limit=100`
and the same route of `benchmarks/apps/bare_task_list.py` in one process each, without a server,
and splits the CPU time of a request between the parts of the code (see
`benchmarks/apps/profile_request.py`). It also says what the edge (the app's middleware and
its access line) costs on this read, as a share of the stage's CPU per request.

The data is made through the stage's API by a server of it, as `task_list` makes it: a user,
a login, a project of 100 tasks. Both apps then answer with the same token from the same
database, and the case checks that their bodies are byte-identical. The driver's work counts
(it runs in the app's process); the database server's does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import APPS
from benchmarks.case import Document, Outcome, format_ratio
from benchmarks.context import RunContext
from benchmarks.load import BenchmarkError
from benchmarks.owners import fill_project
from benchmarks.profiles import microseconds, plot_cpu, profile_rows
from benchmarks.report import notes_and_footer
from benchmarks.stages import Stage, script_report

PROFILER = APPS / "profile_request.py"
BARE = "bare_task_list"
TASKS = 100
REQUESTS = 500
# Processes of each app, in turn; each process times five rounds of REQUESTS.
TURNS = 3
SMOKE_TURNS = 1
SMOKE_REQUESTS = 20  # when run with --smoke --only list_profile
LIST = "/api/v2/projects/{project_id}/tasks?limit=100"
EDGE = ("the app's middleware", "the access line (logging)")
PARTS = (
    *EDGE,
    "FastAPI and Starlette",
    "pydantic",
    "SQLAlchemy and the driver",
    "PyJWT",
    "the app's own code",
    "other",
)


def run(context: RunContext, stage: Stage) -> Outcome:
    """Fill the database through a stage server, then profile both apps, one process each."""
    requests = SMOKE_REQUESTS if context.smoke else REQUESTS
    with context.serve(context.stage_server(stage, "stage, to fill the database")) as (server,):
        email = f"profile-{context.run_id}@example.com"
        auth, project_id = fill_project(server.url, email, "Profile", TASKS)
        headers = [f"{name}: {value}" for name, value in auth.items()]
    arguments = [str(requests), "GET", LIST.format(project_id=project_id), *headers]
    bare_env = {
        "BENCH_APP_DATABASE_URL": context.database.url,
        "BENCH_APP_SECRET_KEY": context.secret,
    }
    runs = {
        "one-function app, same work": ([BARE, *arguments], APPS, bare_env),
        f"stage `{stage.name}`": (["stage", *arguments], stage.copy, context.stage_settings(stage)),
    }
    apps: dict[str, dict[str, Any]] = {}
    # The two apps take turns, a process each time, and each keeps its fastest process: a
    # machine whose speed drifts over a minute would otherwise favour whichever ran first.
    for _ in range(SMOKE_TURNS if context.smoke else TURNS):
        for label, (profiler_arguments, cwd, env) in runs.items():
            report = _profile(stage, profiler_arguments, cwd, env)
            if label not in apps or report["cpu_us"] < apps[label]["cpu_us"]:
                apps[label] = report
    bare, measured = apps.values()
    _same_answers(bare, measured)
    edge = sum(measured["shares"][part] for part in EDGE)
    ratio = bare["cpu_us"] / measured["cpu_us"]
    return Outcome(
        headline=format_ratio(ratio),
        figures={
            "apps": apps,
            "requests": requests,
            "tasks": TASKS,
            "ratio_label": "one function / stage, CPU",
            "edge_share": round(edge, 4),
            "edge_cpu_us": round(edge * measured["cpu_us"], 2),
        },
        ratio=round(ratio, 4),
        notes=(_note(requests),),
    )


def _note(requests: int) -> str:
    return (
        f"`GET {LIST}` for the owner of a project of {TASKS} tasks, each app called as ASGI"
        " in one process, without a server or network; both bodies byte-identical. CPU time"
        f" of one request (`time.process_time`): the best of five rounds of {requests:,},"
        f" in the best of {TURNS} processes of each app, the two apps taking turns."
        " Its split between the parts of the code comes from one more round, profiled (the"
        " profiler slows every part, so only the shares are taken from it): a function"
        " belongs to a part by its file, and the standard library and builtins count for the"
        " part that called them. The driver's CPU counts; the database server's does not."
    )


def _profile(stage: Stage, arguments: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run the profiler under the stage's interpreter and return what it printed.

    Raises:
        BenchmarkError: The profiler failed.

    """
    failure = f"profiling {arguments[0]} failed"
    return script_report(
        stage.python, PROFILER, arguments, cwd=cwd, env=env, timeout=900, failure=failure
    )


def _same_answers(bare: dict[str, Any], stage: dict[str, Any]) -> None:
    """Check that both answered 200 with the same bytes.

    Raises:
        BenchmarkError: They did not.

    """
    if bare["status"] != 200 or stage["status"] != 200:
        raise BenchmarkError(f"statuses {bare['status']} and {stage['status']}, not 200")
    if bare["body_sha256"] != stage["body_sha256"]:
        raise BenchmarkError(
            f"the two apps answer differently ({bare['body_bytes']} and {stage['body_bytes']}"
            " bytes); the comparison would not be fair"
        )


def table(document: Document) -> str:
    """One row per app: its CPU per request, and that time split between the parts."""
    figures = document["figures"]
    apps = figures["apps"]
    lines = profile_rows(apps, PARTS, "one function / this")
    stage_cpu = list(apps.values())[-1]["cpu_us"]
    edge = (
        f"\nThe edge (the stage's middleware and its access line) costs"
        f" {microseconds(figures['edge_cpu_us'])} of the stage's {microseconds(stage_cpu)}"
        f" per request on this read: {figures['edge_share']:.1%}.\n"
    )
    return "\n".join(lines) + "\n" + edge + "\n" + notes_and_footer(document)


def plot(document: Document, path: Path) -> None:
    """Draw each app's CPU per request."""
    plot_cpu(
        document,
        path,
        colours=["#9e9e9e", "#3f51b5"],
        title=f"{document['title']}: one function / stage {document['headline']}",
        axis_label="CPU time of one list of 100 tasks in µs, in one process (this machine)",
    )
