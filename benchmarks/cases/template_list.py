"""`template_list`: the guide's list of 100 tasks against the same list written the usual way.

The usual way is the full-stack template's style (`benchmarks/apps/template_task_list.py`):
sync `def` route and dependencies in the threadpool, a sync SQLModel session on psycopg 3,
`count()` then `OFFSET/LIMIT`, and a `{data, count}` response model. The stage's side is its
v2 keyset list: async all the way, no count, one statement for the page.

The project holds 1,000 tasks, of which both list the first 100: a list worth paging is longer
than its page, and a count reads all of it, which is the point of leaving it out. 1,000, not
10,000: the count is then a modest part of the template's work, not all of it, so the ratio
is not won by the table's size. Before measuring, the case checks that both list the same
tasks (ids and titles, in order) and that the template's count is the project's size, and it
reads the template's SQL from its log, for the note.

The template's app needs psycopg, which the stages do not install: the case installs it once
per run into a folder of its own (`uv pip install --target`, pinned, binary wheels, without
dependencies) for the stage's interpreter, and puts that folder on the app's `PYTHONPATH`. The
stage's environment is not changed, and both sides keep the same FastAPI, pydantic and SQLModel.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx

from benchmarks.case import Outcome, ratio_outcome
from benchmarks.context import RunContext
from benchmarks.load import BenchmarkError, Target, compare
from benchmarks.owners import expect, fill_project
from benchmarks.sql import gist, statements_of
from benchmarks.stages import Stage, uv_environment
from guide_kit.process import run as run_command

TASKS = 1_000
SMOKE_TASKS = 120  # more than a page, so that both sides have more to list
PAGE = 100
MINIMUM = 2.5
PSYCOPG = ("psycopg==3.2.13", "psycopg-binary==3.2.13")
STAGE_LIST = "/api/v2/projects/{project_id}/tasks?limit=100"
TEMPLATE_LIST = "/api/v2/projects/{project_id}/tasks?skip=0&limit=100"


def run(context: RunContext, stage: Stage) -> Outcome:
    """Fill a project through the stage, check that both list the same, then load both."""
    tasks = SMOKE_TASKS if context.smoke else TASKS
    app_env = _app_env(context, stage)
    staged = context.stage_server(stage, f"stage {stage.name}")
    template = context.app_server(stage, "template_task_list", "template-style app", env=app_env)
    with context.serve(staged, template) as (stage_server, template_server):
        email = f"template-{context.run_id}@example.com"
        headers, project_id = fill_project(stage_server.url, email, "Template", tasks)
        stage_url = stage_server.url + STAGE_LIST.format(project_id=project_id)
        template_path = TEMPLATE_LIST.format(project_id=project_id)
        _same_tasks(stage_url, template_server.url + template_path, headers, tasks)
        comparison = compare(
            Target("template-style list, one file", template_server.url + template_path, headers),
            Target(f"stage `{stage.name}`, keyset list", stage_url, headers),
            context.load,
        )
    statements = _template_statements(context, stage, template_path, headers, app_env)
    return ratio_outcome(
        comparison,
        label="stage / template-style",
        minimum=MINIMUM,
        notes=(_note(tasks, statements),),
        extra={"tasks_in_project": tasks, "page": PAGE, "template_statements": statements},
    )


def _note(tasks: int, statements: list[str]) -> str:
    """Say exactly what the two sides do."""
    sql = "; ".join(_short(statement) for statement in statements)
    return (
        f"Both list the first {PAGE} tasks of a project of {tasks:,}, for its owner, from the"
        " same database; the run checked that they list the same tasks (ids and titles, in"
        f" order). The stage: `GET {STAGE_LIST}`, its v2 keyset list (async route, async"
        f" driver, no count). The template-style app: `GET {TEMPLATE_LIST}`, a sync `def`"
        " route and sync dependencies in FastAPI's threadpool, a sync SQLModel session (on"
        " PostgreSQL, psycopg 3; SQLAlchemy's default pool), the bearer token decoded with"
        " PyJWT (HS256) into a claims model, then `session.get(User, id)` and"
        " `session.get(Project, id)`, a count of the project's tasks, one page by"
        " `OFFSET/LIMIT`, answered as a response model `{data, count}`. Its statements per"
        f" request, from its SQL log: {sql}. One uvicorn worker each."
    )


def _short(statement: str) -> str:
    """Shorten a statement as `gist` does, telling a count from a page: `SELECT count(*) tasks`."""
    short = gist(statement)
    return short.replace("SELECT", "SELECT count(*)", 1) if "count(" in statement else short


def _app_env(context: RunContext, stage: Stage) -> dict[str, str]:
    """Return the template app's environment: the run's database, secret, and psycopg."""
    env = {
        "BENCH_APP_DATABASE_URL": context.database.url,
        "BENCH_APP_SECRET_KEY": context.secret,
    }
    if context.database.kind == "postgresql":
        env["PYTHONPATH"] = str(_psycopg(context, stage))
    return env


def _psycopg(context: RunContext, stage: Stage) -> Path:
    """Install psycopg for the stage's interpreter into a folder of the run; return the folder.

    Raises:
        BenchmarkError: uv is missing, or the installation failed.

    """
    target = context.workdir / f"psycopg-{stage.name}"
    if target.is_dir():
        return target
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        raise BenchmarkError("uv is needed to install psycopg for the template-style app")
    command = [uv, "pip", "install", "--quiet", "--no-deps", "--python", str(stage.python)]
    command += ["--target", str(target), *PSYCOPG]
    finished = run_command(command, cwd=context.workdir, env=uv_environment(), timeout=300)
    if finished.returncode != 0:
        raise BenchmarkError(f"installing psycopg failed:\n{finished.stderr[-3000:]}")
    return target


def _same_tasks(stage_url: str, template_url: str, headers: dict[str, str], tasks: int) -> None:
    """Check that both list the same page of tasks, and that the template counts them all.

    Raises:
        BenchmarkError: They list different tasks, or either answers wrongly.

    """
    staged = expect(httpx.get(stage_url, headers=headers, timeout=30), 200)
    template = expect(httpx.get(template_url, headers=headers, timeout=30), 200)
    listed = [
        [(task["id"], task["title"]) for task in page]
        for page in (staged["items"], template["data"])
    ]
    if len(listed[0]) != PAGE or listed[0] != listed[1]:
        raise BenchmarkError(
            "the two apps list different tasks; the comparison would not be fair:\n"
            f"stage: {listed[0][:5]}...\ntemplate-style: {listed[1][:5]}..."
        )
    if template["count"] != tasks or staged["next_cursor"] is None:
        raise BenchmarkError(
            f"the project should hold {tasks} tasks: the template counted {template['count']},"
            f" the stage's next cursor is {staged['next_cursor']!r}"
        )


def _template_statements(
    context: RunContext, stage: Stage, path: str, headers: dict[str, str], env: dict[str, str]
) -> list[str]:
    """Return the statements of one request of the template-style app, from its SQL log."""
    echo = env | {"BENCH_APP_DATABASE_ECHO": "1"}
    logged = context.app_server(stage, "template_task_list", "template-style, SQL logged", echo)
    with context.serve(logged) as (server,):
        return statements_of(server, path, headers)
