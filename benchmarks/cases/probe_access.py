"""`probe_access`: what dropping the probes' access lines saves on `GET /health`.

The stages write a probe's access line (`/health`, `/ready`) at DEBUG, so that at INFO it is
dropped, unless `log.probe_access` is on: a proxy probes every process every few seconds, and
those lines would be most of the log. This case loads `GET /health` of two servers of the same
stage side by side, one with the setting off (the default) and one with it on, each writing its
lines where a server's go (its output). Shown, with no target: the saving is a side effect,
the setting exists for the log's reader.
"""

from __future__ import annotations

from benchmarks.case import Outcome, ratio_outcome
from benchmarks.context import RunContext
from benchmarks.load import BenchmarkError, Target, compare
from benchmarks.stages import ENV_PREFIX, Stage

PATH = "/health"
SETTING = "LOG__PROBE_ACCESS"


def run(context: RunContext, stage: Stage) -> Outcome:
    """Load `/health` with the probes' access lines written, and dropped (the default)."""
    if f"{ENV_PREFIX}{SETTING}" not in stage.settings:
        raise BenchmarkError(f"{stage.name} has no setting {SETTING}: nothing to compare")
    logged = context.stage_server(stage, "probe lines written", settings={SETTING: "true"})
    dropped = context.stage_server(stage, "probe lines dropped")
    with context.serve(logged, dropped) as (logged_server, dropped_server):
        comparison = compare(
            Target(
                f"`{PATH}`, its access line written (`{SETTING}=true`)", logged_server.url + PATH
            ),
            Target(f"`{PATH}`, its access line dropped (the default)", dropped_server.url + PATH),
            context.load,
        )
    note = (
        f"Two servers of the same stage, one uvicorn worker each, logging JSON lines at INFO"
        f" to their output; they differ only in `{SETTING}`. With it off, the edge still"
        " calls the logger, at DEBUG, which drops the line."
    )
    return ratio_outcome(comparison, label="dropped / written", notes=(note,))
