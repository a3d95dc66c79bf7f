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

import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

import httpx

from benchmarks import APPS
from benchmarks.case import Case, Document, Outcome, format_ratio
from benchmarks.context import RunContext
from benchmarks.load import BenchmarkError
from benchmarks.plots import bar_chart
from benchmarks.report import notes_and_footer
from benchmarks.stages import Stage, uv_environment

PROFILER = APPS / "profile_request.py"
BARE = "bare_task_list"
TASKS = 100
REQUESTS = 500
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
ROUTES = (
    "POST /api/v2/users",
    "POST /api/v2/auth/token",
    "POST /api/v2/projects",
    "POST /api/v2/projects/1/tasks",
    "GET /api/v2/projects/1/tasks",
)


def run(context: RunContext, stage: Stage) -> Outcome:
    """Fill the database through a stage server, then profile both apps, one process each."""
    requests = SMOKE_REQUESTS if context.smoke else REQUESTS
    with context.serve(context.stage_server(stage, "stage, to fill the database")) as (server,):
        headers, project_id = _fill(server.url, context.run_id)
    arguments = [str(requests), "GET", LIST.format(project_id=project_id), *headers]
    bare_env = {
        "BENCH_APP_DATABASE_URL": context.database.url,
        "BENCH_APP_SECRET_KEY": context.secret,
    }
    apps = {
        "one-function app, same work": _profile(stage, [BARE, *arguments], APPS, bare_env),
        f"stage `{stage.name}`": _profile(
            stage, ["stage", *arguments], stage.copy, context.stage_settings(stage)
        ),
    }
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
        f" of one request (`time.process_time`): the best of five rounds of {requests:,}."
        " Its split between the parts of the code comes from one more round, profiled (the"
        " profiler slows every part, so only the shares are taken from it): a function"
        " belongs to a part by its file, and the standard library and builtins count for the"
        " part that called them. The driver's CPU counts; the database server's does not."
    )


def _fill(url: str, run_id: str) -> tuple[list[str], int]:
    """Register, log in, make a project of `TASKS` tasks; return the auth header and its id."""
    email, password = f"profile-{run_id}@example.com", secrets.token_urlsafe(16)
    with httpx.Client(base_url=url, timeout=30) as client:
        _json(client.post("/api/v2/users", json={"email": email, "password": password}), 201)
        login = client.post("/api/v2/auth/token", data={"username": email, "password": password})
        headers = {"Authorization": f"Bearer {_json(login, 200)['access_token']}"}
        project = client.post("/api/v2/projects", json={"name": "Profile"}, headers=headers)
        project_id = int(_json(project, 201)["id"])
        path = f"/api/v2/projects/{project_id}/tasks"
        for number in range(1, TASKS + 1):
            _json(client.post(path, json={"title": f"Task {number}"}, headers=headers), 201)
    return [f"{name}: {value}" for name, value in headers.items()], project_id


def _json(response: httpx.Response, status: int) -> dict[str, Any]:
    """Return the body of a response that has the expected status.

    Raises:
        BenchmarkError: It has another.

    """
    if response.status_code != status:
        raise BenchmarkError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}, not {status}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


def _profile(stage: Stage, arguments: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run the profiler under the stage's interpreter and return what it printed.

    Raises:
        BenchmarkError: The profiler failed.

    """
    finished = subprocess.run(  # noqa: S603 - our interpreter and script, no shell
        [str(stage.python), "-P", str(PROFILER), *arguments],
        cwd=cwd,
        env=uv_environment() | env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if finished.returncode != 0:
        raise BenchmarkError(f"profiling {arguments[0]} failed:\n{finished.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


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
    bare = next(iter(apps.values()))["cpu_us"]
    header = "| app | CPU per request | one function / this | " + " | ".join(PARTS) + " |"
    lines = [header, "|:--|--:|--:|" + "--:|" * len(PARTS)]
    for label, app in apps.items():
        cpu = app["cpu_us"]
        parts = [_microseconds(cpu * app["shares"].get(part, 0.0)) for part in PARTS]
        lines.append(
            "| " + " | ".join([label, _microseconds(cpu), format_ratio(bare / cpu), *parts]) + " |"
        )
    stage_cpu = list(apps.values())[-1]["cpu_us"]
    edge = (
        f"\nThe edge (the stage's middleware and its access line) costs"
        f" {_microseconds(figures['edge_cpu_us'])} of the stage's {_microseconds(stage_cpu)}"
        f" per request on this read: {figures['edge_share']:.1%}.\n"
    )
    return "\n".join(lines) + "\n" + edge + "\n" + notes_and_footer(document)


def plot(document: Document, path: Path) -> None:
    """Draw each app's CPU per request."""
    apps = document["figures"]["apps"]
    labels = list(apps)
    values = [apps[label]["cpu_us"] for label in labels]
    bar_chart(
        path,
        labels=labels,
        values=values,
        colours=["#9e9e9e", "#3f51b5"],
        title=f"{document['title']}: one function / stage {document['headline']}",
        axis_label="CPU time of one list of 100 tasks in µs, in one process (this machine)",
        value_labels=[_microseconds(value) for value in values],
    )


def _microseconds(value: float) -> str:
    return f"{value:,.0f} µs"


CASE = Case(
    name="list_profile",
    title="Where a real read's time goes",
    question="Which parts of the code does the list of 100 tasks spend its CPU in?",
    target="the profile is shown; the structure's target is `task_list`'s",
    routes=ROUTES,
    apps=(BARE, "profile_request"),
    run=run,
    table=table,
    plot=plot,
)
