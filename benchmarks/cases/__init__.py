"""The registry of benchmark cases: what each one asks, in the order that benchmarks run them.

Each case is declared here, in one table: its question, its target and the routes it needs can
be read side by side. How it measures is in its own module.

To add a case (`cache`, `n_plus_one` and `blocking` show each of the patterns below):

1. Write `benchmarks/cases/<name>.py` with the routes the stage must serve (`ROUTES`) and a
   `run(context, stage)` that starts servers with `context.serve(...)`, measures with
   `load.compare(...)`, and returns `ratio_outcome(...)` (`metric="p99_ms"` for a latency
   ratio), whose table and plot are the standard ones, or its own `Outcome` with its own
   `table` and `plot` functions.
   To compare two settings of the stage (its cache off and on), start two servers of it,
   each with its own `settings=`. To count the SQL statements of a request (N+1 vs fixed,
   at 100 and 1,000 rows), start a server with `settings={"DATABASE__ECHO": "true"}` and
   use `benchmarks.sql.statements_of`.
   For a cheap endpoint's latency while a blocking one is loaded, run a second
   `context.load.generator.run(...)` on a thread during the measured one. A case that applies
   another load than the run's (fewer connections, fewer rounds) passes it as `load=` to its
   outcome, so that its results say what was applied.
2. Put any single-file app it compares the stage with in `benchmarks/apps/`.
3. Declare its `Case` below (see `benchmarks.case`), in the order it should run: its `run`,
   its routes, the apps it runs (`apps`), and its own `table` and `plot` if it has them (leave
   them out for the standard ones). Run `uv run python -m benchmarks --only <name>` and commit
   what it writes under `benchmarks/results/` and `docs/assets/benchmarks/`.
"""

from benchmarks.case import Case
from benchmarks.cases import (
    background,
    blocking,
    cache,
    dependency_cost,
    edge_profile,
    health,
    hostile_body,
    list_profile,
    n_plus_one,
    probe_access,
    task_list,
    template_list,
    workers,
)
from benchmarks.owners import TASK_LIST_ROUTES

CASES: dict[str, Case] = {
    case.name: case
    for case in (
        Case(
            name="health",
            title="Health check through the whole edge",
            question="What does the stage's edge cost on its cheapest route?",
            target=f"stage / bare ≥ {health.MINIMUM}x",
            routes=(f"GET {health.PATH}",),
            apps=("bare_health",),
            run=health.run,
            in_smoke=True,
        ),
        Case(
            name="probe_access",
            title="Probes' access lines dropped",
            question="What does dropping the probes' access lines save on GET /health?",
            target="shown, no target",
            routes=(f"GET {probe_access.PATH}",),
            run=probe_access.run,
        ),
        Case(
            name="edge_profile",
            title="Where a cheap request's time goes, before and after",
            question="Which parts of the code does a GET /health spend its CPU in, in 07 and now?",
            target="the profile is shown; the edge's target is `health`'s",
            routes=("GET /health",),
            apps=("bare_health", "profile_health", "profile_request"),
            run=edge_profile.run,
            table=edge_profile.table,
            plot=edge_profile.plot,
        ),
        Case(
            name="task_list",
            title="Authenticated list of 100 tasks",
            question=(
                "What does the structure cost on a real read, against one function doing the same?"
            ),
            target=(
                f"stage / one function ≥ {task_list.MINIMUM}x (the structure costs at most 10%)"
            ),
            routes=TASK_LIST_ROUTES,
            apps=("bare_task_list",),
            run=task_list.run,
        ),
        Case(
            name="template_list",
            title="The list of 100 tasks, against the template's way",
            question="How much faster is the guide's keyset list than a sync count + offset list?",
            target=f"stage / template-style ≥ {template_list.MINIMUM}x",
            routes=TASK_LIST_ROUTES,
            apps=("template_task_list",),
            run=template_list.run,
        ),
        Case(
            name="list_profile",
            title="Where a real read's time goes",
            question="Which parts of the code does the list of 100 tasks spend its CPU in?",
            target="the profile is shown; the structure's target is `task_list`'s",
            routes=TASK_LIST_ROUTES,
            apps=(list_profile.BARE, "profile_request"),
            run=list_profile.run,
            table=list_profile.table,
            plot=list_profile.plot,
        ),
        Case(
            name="dependency_cost",
            title="What a dependency costs",
            question=(
                "How much CPU does FastAPI spend per request resolving each kind of dependency?"
            ),
            target="shown, no target",
            routes=(),
            apps=("dependency_cost", "profile_request"),
            run=dependency_cost.run,
            table=dependency_cost.table,
            plot=dependency_cost.plot,
        ),
        Case(
            name="workers",
            title="Two workers vs one",
            question="How much does a second uvicorn worker add on this machine?",
            target=f"2 workers / 1 ≥ {workers.MINIMUM}x on 2 cores",
            routes=(f"GET {workers.PATH}",),
            run=workers.run,
        ),
        Case(
            name="hostile_body",
            title="Worst bodies under the size limit",
            question="Can one request of at most 1 MiB make the service slow for everyone?",
            target="answered in milliseconds (under 100 ms), with an answer under 64 KiB",
            routes=(f"POST {hostile_body.ROUTE}", "GET /health"),
            run=hostile_body.run,
            table=hostile_body.table,
            plot=hostile_body.plot,
        ),
        Case(
            name="cache",
            title="A hot read, cached vs not",
            question="How much does the cache add to the stage's hot read, the project summaries?",
            target=f"cache on / off ≥ {cache.MINIMUM:g}x",
            routes=cache.ROUTES,
            run=cache.run,
        ),
        Case(
            name="n_plus_one",
            title="Summaries: N+1 queries vs one",
            question="What do one query per project cost against one query for the whole page?",
            target="the stage's statements per request are the same at every owner's size and page",
            routes=n_plus_one.ROUTES,
            apps=(n_plus_one.APP,),
            run=n_plus_one.run,
            table=n_plus_one.table,
            plot=n_plus_one.plot,
        ),
        Case(
            name="blocking",
            title="A blocking call in async code",
            question=(
                "What does a blocking call in `async def` do to the other requests of its worker?"
            ),
            target=(
                f"blocking / in a thread ≥ {blocking.MINIMUM:g}x at p99: "
                "one blocking call holds up everyone"
            ),
            routes=(),
            apps=(blocking.APP,),
            run=blocking.run,
        ),
        Case(
            name="background",
            title="An export: queued vs built in the request",
            question=(
                "How long does one client wait for an export that is queued, against one built "
                "in the request?"
            ),
            target="reported: no bound; every queued export must finish, with the same CSV",
            routes=background.ROUTES,
            apps=(background.APP,),
            run=background.run,
            table=background.table,
            plot=background.plot,
        ),
    )
}
