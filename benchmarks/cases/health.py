"""`health`: the stage's `GET /health` through its whole edge vs a bare FastAPI `/health`.

Neither touches the database, so the ratio is what the stage's edge costs per request: its
middleware (request id, body limit, security headers, deprecation headers), its access log
line and its response model, against FastAPI with nothing added.
"""

from __future__ import annotations

import httpx

from benchmarks.case import Outcome, ratio_outcome
from benchmarks.context import RunContext
from benchmarks.load import BenchmarkError, Target, compare
from benchmarks.stages import Stage

PATH = "/health"
MINIMUM = 0.8


def run(context: RunContext, stage: Stage) -> Outcome:
    """Load the bare app and the stage in alternating rounds."""
    bare = context.app_server(stage, "bare_health", "bare FastAPI, one file")
    staged = context.stage_server(stage, f"stage {stage.name}")
    with context.serve(bare, staged) as (bare_server, stage_server):
        headers = {
            "baseline": _response_headers(bare_server.url),
            "subject": _response_headers(stage_server.url),
        }
        comparison = compare(
            Target(f"bare FastAPI `{PATH}`, one file", bare_server.url + PATH),
            Target(f"stage `{stage.name}` `{PATH}`, whole edge", stage_server.url + PATH),
            context.load,
        )
    added = sorted(set(headers["subject"]) - set(headers["baseline"]))
    note = f"Headers the stage's edge adds to each answer: {', '.join(f'`{h}`' for h in added)}."
    return ratio_outcome(
        comparison,
        label="stage / bare",
        minimum=MINIMUM,
        notes=(note,) if added else (),
        extra={"response_headers": headers},
    )


def _response_headers(url: str) -> list[str]:
    """Check that the route answers 200 with the same body, and return its header names."""
    response = httpx.get(url + PATH, timeout=10)
    if response.status_code != 200 or response.json() != {"status": "ok"}:
        raise BenchmarkError(f"{url}{PATH} answered {response.status_code}: {response.text}")
    return sorted(response.headers.keys())
