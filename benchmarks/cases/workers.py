"""`workers`: the stage's `GET /health` served by two uvicorn workers vs by one.

Both servers may use every CPU here (the other cases give a server one CPU). The load
generator still needs one of them: on a two-core machine it shares a core with one of the two
workers, so the ratio understates what a second worker gives when the load comes from
elsewhere, as it does in production.
"""

from __future__ import annotations

from benchmarks.case import Case, Outcome, ratio_outcome
from benchmarks.context import RunContext
from benchmarks.load import Target, compare
from benchmarks.plots import comparison_plot
from benchmarks.report import comparison_table
from benchmarks.stages import Stage

PATH = "/health"
MINIMUM = 1.5


def run(context: RunContext, stage: Stage) -> Outcome:
    """Load a one-worker and a two-worker server of the stage in alternating rounds."""
    every = context.cpus.every
    one = context.stage_server(stage, f"stage {stage.name}, 1 worker", cpus=every)
    two = context.stage_server(stage, f"stage {stage.name}, 2 workers", workers=2, cpus=every)
    with context.serve(one, two) as (one_server, two_servers):
        comparison = compare(
            Target(f"stage `{stage.name}`, 1 worker", one_server.url + PATH),
            Target(f"stage `{stage.name}`, 2 workers", two_servers.url + PATH),
            context.load,
        )
    cpus = "every CPU" if every is None else f"CPUs {','.join(str(cpu) for cpu in sorted(every))}"
    note = (
        f"Both servers could use {cpus}, and the load generator ran on one of them: with two"
        " cores, it takes CPU time from one of the two workers. The workers share one"
        " listening socket and wrk keeps its connections open, so how the connections happen"
        " to split between the workers at the start of a round decides much of that round."
    )
    return ratio_outcome(comparison, label="2 workers / 1", minimum=MINIMUM, notes=(note,))


CASE = Case(
    name="workers",
    title="Two workers vs one",
    question="How much does a second uvicorn worker add on this machine?",
    target=f"2 workers / 1 ≥ {MINIMUM}x on 2 cores",
    routes=(f"GET {PATH}",),
    apps=(),
    run=run,
    table=comparison_table,
    plot=comparison_plot,
)
