"""`cache`: the hot read `GET /api/v2/projects/summaries`, from the cache vs from the database.

Both servers are the stage, on the same data: one as it ships, its cache on (in Redis when the
run has one, else in the process's memory), and one with `cache.enabled` off, so that every
read runs the summary query. The owner has 100 projects of 100 tasks each, and asks for all of
them: a dashboard over ten thousand tasks, the read a cache is for. Before measuring, the case
checks that both servers answer the same JSON, and counts the SQL statements of one request on
each side from their SQL logs.
"""

from __future__ import annotations

from benchmarks.case import Case, Outcome, ratio_outcome
from benchmarks.context import RunContext
from benchmarks.load import Target, compare
from benchmarks.owners import make_owner, same_json
from benchmarks.plots import comparison_plot
from benchmarks.report import comparison_table
from benchmarks.sql import gist, statements_of
from benchmarks.stages import Stage

PROJECTS = 100
TASKS_EACH = 100
PATH = f"/api/v2/projects/summaries?limit={PROJECTS}"
MINIMUM = 10.0
CACHE_OFF = {"CACHE__ENABLED": "false"}
ECHO = {"DATABASE__ECHO": "true"}
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
        f" the entry is filled, {len(statements['on'])} ({_listed(statements['on'])}). A"
        " cached read still checks the token and reads its user, and still builds and"
        " serialises the response: that is what the cache does not save."
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
        },
    )


def _listed(statements: list[str]) -> str:
    return "; ".join(gist(statement) for statement in statements)


CASE = Case(
    name="cache",
    title="A hot read, cached vs not",
    question="How much does the cache add to the stage's hot read, the project summaries?",
    target=f"cache on / off ≥ {MINIMUM:g}x",
    routes=ROUTES,
    apps=(),
    run=run,
    table=comparison_table,
    plot=comparison_plot,
)
