"""The registry of benchmark cases: `python -m benchmarks` runs them in this order.

To add a case (`cache`, `n_plus_one` and `blocking` show each of the patterns below):

1. Write `benchmarks/cases/<name>.py` defining `CASE = Case(...)` (see `benchmarks.case`):
   the routes the stage must serve, and a `run(context, stage)` that starts servers with
   `context.serve(...)`, measures with `load.compare(...)`, and returns `ratio_outcome(...)`
   (`metric="p99_ms"` for a latency ratio), whose table and plot are the standard ones (leave
   `table` and `plot` out of the `Case`), or its own `Outcome` with its own `table` and `plot`.
   A single-file app that it runs goes in `apps`.
   To compare two settings of the stage (its cache off and on), start two servers of it,
   each with its own `settings=`. To count the SQL statements of a request (N+1 vs fixed,
   at 100 and 1,000 rows), start a server with `settings={"DATABASE__ECHO": "true"}` and
   use `benchmarks.sql.statements_of`.
   For a cheap endpoint's latency while a blocking one is loaded, run a second
   `context.load.generator.run(...)` on a thread during the measured one. A case that applies
   another load than the run's (fewer connections, fewer rounds) passes it as `load=` to its
   outcome, so that its results say what was applied.
2. Put any single-file app it compares the stage with in `benchmarks/apps/`.
3. Add the module below. Run `uv run python -m benchmarks --only <name>` and commit what it
   writes under `benchmarks/results/` and `docs/assets/benchmarks/`.
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

CASES: dict[str, Case] = {
    case.name: case
    for case in (
        health.CASE,
        probe_access.CASE,
        edge_profile.CASE,
        task_list.CASE,
        template_list.CASE,
        list_profile.CASE,
        dependency_cost.CASE,
        workers.CASE,
        hostile_body.CASE,
        cache.CASE,
        n_plus_one.CASE,
        blocking.CASE,
        background.CASE,
    )
}
