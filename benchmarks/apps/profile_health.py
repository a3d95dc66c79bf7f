"""Where the CPU time of one `GET /health` goes, in one process: the profile of `edge_profile`.

Run by the runner under the interpreter of the app it profiles, with the stage's folder (or
this folder, for the bare app) as working directory:

    python -P profile_health.py stage|bare REQUESTS

The app is called as an ASGI callable, without a server or a network, so that only the app's
own work is counted: FastAPI, Starlette, the middleware, the access line. It prints one JSON
object: the CPU time of a request (the best of several rounds, unprofiled), and how a profiled
run splits it between parts of the code (by the file each function lives in).
"""

import asyncio
import importlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

# The apps and the profiler of any route live beside this file. It runs as a script, from a
# stage's folder: its own folder is put on the path (`-P` leaves it off), and the type checker,
# which reads this repository as one package, finds them in the package.
sys.path.insert(0, str(Path(__file__).parent))
if TYPE_CHECKING:
    from benchmarks.apps.profile_request import PARTS as REQUEST_PARTS
    from benchmarks.apps.profile_request import App
    from benchmarks.apps.profile_request import Request as ServerRequest
    from benchmarks.apps.profile_request import measure as measure_request
else:
    from profile_request import PARTS as REQUEST_PARTS
    from profile_request import App
    from profile_request import Request as ServerRequest
    from profile_request import measure as measure_request

# The parts that the profile is split into, first match wins; the rest is "other". The
# middleware is what `profile_request` counts as the app's middleware.
PARTS = {
    "the app's middleware": REQUEST_PARTS["the app's middleware"],
    "the access line (logging)": ("/structlog/", "/logging/", "/orjson/", "/json/", "uuid.py"),
    "FastAPI and Starlette": ("/fastapi/", "/starlette/", "/pydantic/", "/pydantic_core/"),
}


def load(kind: str) -> App:
    """Build the app: the stage's, from the working directory, or the bare one beside us."""
    if kind == "bare":
        app: App = importlib.import_module("bare_health").app
        return app
    sys.path.insert(0, str(Path.cwd()))
    stage_app: App = importlib.import_module("fast_api_template.app").create_app()
    return stage_app


async def measure(app: App, requests: int) -> dict[str, Any]:
    """Time the best round, then profile one more, as `profile_request` does; split its time."""
    result, stats = await measure_request(app, ServerRequest("GET", "/health", []), requests)
    if result["status"] != 200:
        raise SystemExit(f"GET /health answered {result['status']}, not 200")
    return {"cpu_us": result["cpu_us"], "shares": shares(stats)}


def shares(stats: dict[tuple[str, int, str], Any]) -> dict[str, float]:
    """Split a profile's own times between the parts, as fractions of the whole."""
    totals = dict.fromkeys([*PARTS, "other"], 0.0)
    for (file, _line, _name), (_calls, _primitive, own_time, *_rest) in stats.items():
        totals[_part_of(file)] += own_time
    whole = sum(totals.values()) or 1.0
    return {part: round(value / whole, 4) for part, value in totals.items()}


def _part_of(file: str) -> str:
    return next((part for part, marks in PARTS.items() if any(m in file for m in marks)), "other")


async def main(kind: str, requests: int, nowhere: TextIO) -> None:
    """Profile the app's `/health` and print the result as one JSON line."""
    app = load(kind)
    lifespan = getattr(getattr(app, "router", None), "lifespan_context", None)
    if lifespan is None:
        print(json.dumps(await measure(app, requests)))
        return
    async with lifespan(app):
        # The access lines go nowhere: writing them is the server's cost, not the app's.
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(nowhere)
        print(json.dumps(await measure(app, requests)))


if __name__ == "__main__":
    with Path(os.devnull).open("w") as devnull:
        asyncio.run(main(sys.argv[1], int(sys.argv[2]), devnull))
