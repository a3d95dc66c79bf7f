"""`task_list`: an authenticated page of 100 tasks from the stage vs a one-function app.

Before measuring, the case registers a user, logs in, and creates a project with 100 tasks,
all through the stage's API. Both servers then answer the same request, with the same access
token, from the same database; the case checks that their bodies are identical before it
loads either. The ratio is what the structure costs on a real read: dependencies, services,
ORM objects, response models and the edge, against `benchmarks/apps/bare_task_list.py`.
"""

from __future__ import annotations

import json

import httpx

from benchmarks.case import Outcome, ratio_outcome
from benchmarks.context import RunContext
from benchmarks.load import BenchmarkError, Target, compare
from benchmarks.owners import expect, fill_project
from benchmarks.sql import gist, statements_of
from benchmarks.stages import Stage

TASKS = 100
MINIMUM = 0.9
LIST = "/api/v2/projects/{project_id}/tasks?limit=100"


def run(context: RunContext, stage: Stage) -> Outcome:
    """Fill the database through the stage, check that both do the same work, then load both."""
    staged = context.stage_server(stage, f"stage {stage.name}")
    app_env = {
        "BENCH_APP_DATABASE_URL": context.database.url,
        "BENCH_APP_SECRET_KEY": context.secret,
    }
    bare = context.app_server(stage, "bare_task_list", "one-function app", env=app_env)
    with context.serve(staged, bare) as (stage_server, bare_server):
        email = f"benchmark-{context.run_id}@example.com"
        headers, project_id = fill_project(stage_server.url, email, "Benchmark", TASKS)
        path = LIST.format(project_id=project_id)
        bodies = _same_bodies(bare_server.url + path, stage_server.url + path, headers)
        statements = _same_statements(context, stage, path, headers, app_env)
        comparison = compare(
            Target("one-function app, same work", bare_server.url + path, headers),
            Target(f"stage `{stage.name}`", stage_server.url + path, headers),
            context.load,
        )
    note = (
        f"Both answer `GET {LIST}` for the owner of a project of {TASKS} tasks. Before"
        f" measuring, the run checked that both bodies are {bodies}, and that both run the"
        f" same {len(statements)} SQL statements per request, in the same order (from their"
        f" SQL logs): {'; '.join(gist(statement) for statement in statements)}. Both check"
        " the bearer token with PyJWT (HS256), and both engines are set up as the stage's."
    )
    return ratio_outcome(
        comparison,
        label="stage / one function",
        minimum=MINIMUM,
        notes=(note,),
        extra={"tasks": TASKS, "bodies": bodies, "statements": statements},
    )


def _same_bodies(bare_url: str, stage_url: str, headers: dict[str, str]) -> str:
    """Return how the two answers compare: "byte-identical" or "identical after parsing".

    Raises:
        BenchmarkError: They differ, or either is not a 200 with a full page.

    """
    bare, staged = (httpx.get(url, headers=headers, timeout=30) for url in (bare_url, stage_url))
    for response in (bare, staged):
        expect(response, 200)
    if len(staged.json()["items"]) != TASKS:
        raise BenchmarkError(f"the stage listed {len(staged.json()['items'])} tasks, not {TASKS}")
    if bare.content == staged.content:
        return "byte-identical"
    if json.loads(bare.content) == json.loads(staged.content):
        return "identical after parsing"
    raise BenchmarkError(
        "the two apps answer differently; the comparison would not be fair:\n"
        f"stage: {staged.text[:400]}\nbare:  {bare.text[:400]}"
    )


def _same_statements(
    context: RunContext, stage: Stage, path: str, headers: dict[str, str], app_env: dict[str, str]
) -> list[str]:
    """Return the statements of one request, after checking that both apps run the same.

    Raises:
        BenchmarkError: The two apps run different statements.

    """
    staged = context.stage_server(stage, "stage, SQL logged", settings={"DATABASE__ECHO": "true"})
    echo = app_env | {"BENCH_APP_DATABASE_ECHO": "1"}
    bare = context.app_server(stage, "bare_task_list", "one function, SQL logged", env=echo)
    with context.serve(staged, bare) as servers:
        staged_statements, bare_statements = (
            statements_of(server, path, headers) for server in servers
        )
    if staged_statements != bare_statements or not staged_statements:
        raise BenchmarkError(
            "the two apps run different SQL; the comparison would not be fair:\n"
            f"stage: {staged_statements}\nbare:  {bare_statements}"
        )
    return staged_statements
