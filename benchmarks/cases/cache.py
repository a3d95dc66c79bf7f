"""`cache`: the hot read `GET /api/v2/projects/summaries`, from the cache vs from the database.

Both servers are the stage, on the same data: one as it ships, its cache on (in Redis when the
run has one, else in the process's memory), and one with `cache.enabled` off, so that every
read runs the summary query. The owner has 100 projects of 100 tasks each, and asks for all of
them: a dashboard over ten thousand tasks, the read a cache is for. Before measuring, the case
checks that both servers answer the same JSON, and counts the SQL statements of one request on
each side from their SQL logs, then the transactions per request from PostgreSQL's counters.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from benchmarks.case import Outcome, ratio_outcome
from benchmarks.context import RunContext
from benchmarks.load import BenchmarkError, Target, compare
from benchmarks.owners import make_owner, same_json
from benchmarks.pg_counters import transactions_per_request
from benchmarks.sql import gist, statements_of
from benchmarks.stages import Stage

PROJECTS = 100
TASKS_EACH = 100
PATH = f"/api/v2/projects/summaries?limit={PROJECTS}"
MINIMUM = 10.0
CACHE_OFF = {"CACHE__ENABLED": "false"}
ECHO = {"DATABASE__ECHO": "true"}
# Requests counted in PostgreSQL's transaction counters, per side.
COUNTED = 200
SMOKE_COUNTED = 5
ROUTES = ("POST /api/v2/users", "POST /api/v2/auth/token", "GET /api/v2/projects/summaries")


def run(context: RunContext, stage: Stage) -> Outcome:
    """Fill one owner's projects, check both servers, then load them in alternating rounds."""
    off = context.stage_server(stage, f"stage {stage.name}, cache off", settings=CACHE_OFF)
    on = context.stage_server(stage, f"stage {stage.name}, cache on")
    # Logging every statement slows a server down: the counting is done by servers of its own,
    # started with the measured ones so that they all start at once, and idle while measured.
    off_logged = context.stage_server(
        stage, "stage, cache off, SQL logged", settings=CACHE_OFF | ECHO
    )
    on_logged = context.stage_server(stage, "stage, cache on, SQL logged", settings=ECHO)
    with context.serve(off, on, off_logged, on_logged) as servers:
        off_server, on_server, *logged = servers
        email = f"cache-{context.run_id}@example.com"
        owner = make_owner(on_server.url, context.database.url, email, PROJECTS, TASKS_EACH)
        urls = {"cache off": off_server.url + PATH, "cache on": on_server.url + PATH}
        bodies = same_json(urls, owner.headers, PROJECTS)
        # The second request of each is counted: on the cached side, the first fills the entry.
        statements = {
            side: statements_of(server, PATH, owner.headers)
            for side, server in zip(("off", "on"), logged, strict=True)
        }
        counted = _counted_transactions(context, owner.headers, urls)
        comparison = compare(
            Target(f"stage `{stage.name}`, cache off", urls["cache off"], owner.headers),
            Target(f"stage `{stage.name}`, cache on", urls["cache on"], owner.headers),
            context.load,
        )
    where = "in Redis" if context.redis is not None else "in the server's memory"
    note = (
        f"Both answer `GET {PATH}` for an owner of {PROJECTS} projects with {TASKS_EACH} tasks"
        f" each; the cache is {where}. Before measuring, the run checked that both bodies are"
        f" {bodies}. SQL statements per request, from the servers' SQL logs: with the cache"
        f" off, {len(statements['off'])} ({_listed(statements['off'])}); with it on, once"
        f" the entry is filled, {len(statements['on'])}"
        f"{' (' + _listed(statements['on']) + ')' if statements['on'] else ''}."
        f" {_counted_note(counted)}"
    )
    return ratio_outcome(
        comparison,
        label="cache on / off",
        minimum=MINIMUM,
        notes=(note,),
        extra={
            "projects": PROJECTS,
            "tasks_each": TASKS_EACH,
            "cache": where,
            "bodies": bodies,
            "statements": statements,
            "transactions_per_request": counted,
        },
    )


def _counted_transactions(
    context: RunContext, headers: Mapping[str, str], urls: Mapping[str, str]
) -> dict[str, float | None]:
    """Count each side's transactions per request from PostgreSQL's own counters."""
    requests = SMOKE_COUNTED if context.smoke else COUNTED
    counted: dict[str, float | None] = {}
    for side, url in urls.items():

        def send(url: str = url, side: str = side) -> None:
            with httpx.Client(headers=dict(headers), timeout=30) as client:
                for _ in range(requests):
                    if client.get(url).status_code != httpx.codes.OK:
                        raise BenchmarkError(f"GET {PATH} did not answer 200 ({side})")

        counted[side] = transactions_per_request(context.database, send, requests)
    return counted


def _counted_note(counted: Mapping[str, float | None]) -> str:
    off, on = counted["cache off"], counted["cache on"]
    if off is None or on is None:
        return "The database keeps no transaction counters (SQLite): none were read."
    return (
        f"PostgreSQL's own counters (pg_stat_database), over {COUNTED} requests of each side:"
        f" {off:.2f} transactions per request with the cache off, {on:.2f} with it on (the"
        " pool's check of a connection as it leaves the pool is one more). Every statement"
        " runs in a transaction, so a side that adds none ran no SQL."
    )


def _listed(statements: list[str]) -> str:
    return "; ".join(gist(statement) for statement in statements)
